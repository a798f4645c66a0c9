"""Photos and PDFs attached to a report: at most 10 per report and 10 MiB each, the type read
from the content (never from the name or the sender's word), the bytes kept in the database."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from models import DeficiencyAttachment, DeficiencyAttachmentFile, DeficiencyReport
from service.core.auth import Principal
from service.domain import uploads
from service.domain.errors import Conflict
from service.domain.uploads import MAX_BYTES, TYPES, sniff

__all__ = ["MAX_BYTES", "MAX_FILES", "TYPES", "attach", "content", "listing", "sniff"]

MAX_FILES = 10


def listing(*, session: Session, report: DeficiencyReport) -> list[DeficiencyAttachment]:
    return list(session.exec(select(DeficiencyAttachment)
                             .where(DeficiencyAttachment.report_id == report.id)
                             .order_by(col(DeficiencyAttachment.id))))


def attach(*, session: Session, report: DeficiencyReport, actor: Principal, filename: str,
           data: bytes) -> DeficiencyAttachment:
    """Store one file; refused (nothing written) past the limits or for another type; commits."""
    checked = uploads.check(filename=filename, data=data)
    # The report's row is locked first, so that two uploads at once cannot both be the tenth.
    session.exec(select(DeficiencyReport.id).where(DeficiencyReport.id == report.id).with_for_update())
    count = session.scalar(select(func.count()).select_from(DeficiencyAttachment)
                           .where(DeficiencyAttachment.report_id == report.id)) or 0
    if count >= MAX_FILES:
        raise Conflict("A report has at most 10 attachments", {"file": [f"{MAX_FILES} attached already"]})
    attachment = DeficiencyAttachment(
        report_id=report.id or 0, country_code=report.country_code,
        filename=checked.filename, content_type=checked.content_type, size=checked.size,
        sha256=checked.sha256, uploaded_by=actor.user_id)
    session.add(attachment)
    session.flush()
    session.add(DeficiencyAttachmentFile(attachment_id=attachment.id or 0,
                                         country_code=report.country_code, content=data))
    session.commit()
    return attachment


def content(*, session: Session, attachment: DeficiencyAttachment) -> bytes:
    stored = session.get(DeficiencyAttachmentFile, attachment.id)
    return stored.content if stored is not None else b""
