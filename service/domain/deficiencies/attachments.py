"""Photos and PDFs attached to a report: at most 10 per report and 10 MiB each, the type read
from the content (never from the name or the sender's word), the bytes kept in the database."""

from __future__ import annotations

import hashlib

from sqlmodel import Session, func, select
from werkzeug.utils import secure_filename

from models import DeficiencyAttachment, DeficiencyAttachmentFile, DeficiencyReport
from service.core.auth import Principal
from service.domain.errors import Conflict, Invalid, TooLarge

MAX_FILES = 10
MAX_BYTES = 10 * 1024 * 1024
# The magic bytes of the accepted types, at the start of the file.
SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
              (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"), (b"%PDF-", "application/pdf"))

TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")


def sniff(data: bytes) -> str | None:
    """The content type `data` really is among those accepted (PNG, JPEG, GIF, WebP, PDF)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in SIGNATURES if data.startswith(magic)), None)


def listing(*, session: Session, report: DeficiencyReport) -> list[DeficiencyAttachment]:
    return list(session.exec(select(DeficiencyAttachment)
                             .where(DeficiencyAttachment.report_id == report.id)
                             .order_by(DeficiencyAttachment.id)))  # type: ignore[arg-type]


def attach(*, session: Session, report: DeficiencyReport, actor: Principal, filename: str,
           data: bytes) -> DeficiencyAttachment:
    """Store one file; refused (nothing written) past the limits or for another type; commits."""
    if len(data) > MAX_BYTES:
        raise TooLarge("The file is larger than 10 MiB", {"file": [f"at most {MAX_BYTES} bytes"]})
    kind = sniff(data)
    if kind is None:
        raise Invalid("Only photos (PNG, JPEG, GIF, WebP) and PDF files are accepted",
                      {"file": ["the content is not an image or a PDF"]})
    # The report's row is locked first, so that two uploads at once cannot both be the tenth.
    session.exec(select(DeficiencyReport.id).where(DeficiencyReport.id == report.id).with_for_update())
    count = session.scalar(select(func.count()).select_from(DeficiencyAttachment)
                           .where(DeficiencyAttachment.report_id == report.id)) or 0
    if count >= MAX_FILES:
        raise Conflict("A report has at most 10 attachments", {"file": [f"{MAX_FILES} attached already"]})
    attachment = DeficiencyAttachment(
        report_id=report.id or 0, country_code=report.country_code,
        filename=(secure_filename(filename) or "attachment")[:200], content_type=kind,
        size=len(data), sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor.user_id)
    session.add(attachment)
    session.flush()
    session.add(DeficiencyAttachmentFile(attachment_id=attachment.id or 0,
                                         country_code=report.country_code, content=data))
    session.commit()
    return attachment


def content(*, session: Session, attachment: DeficiencyAttachment) -> bytes:
    stored = session.get(DeficiencyAttachmentFile, attachment.id)
    return stored.content if stored is not None else b""
