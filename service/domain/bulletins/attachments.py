"""Drawings and PDFs attached to a bulletin, through the same checked upload as deficiency
reports (`service.domain.uploads`): at most 10 per bulletin, 10 MiB each, the type read from
the content. Seen by exactly the countries the bulletin is released to."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from models import BulletinAttachment, BulletinAttachmentFile, ServiceBulletin
from service.core.auth import Principal
from service.domain import uploads
from service.domain.errors import Conflict

MAX_FILES = 10


def listing(*, session: Session, bulletin: ServiceBulletin) -> list[BulletinAttachment]:
    return list(session.exec(select(BulletinAttachment).where(BulletinAttachment.bulletin_id == bulletin.id)
                             .order_by(col(BulletinAttachment.id))))


def attach(*, session: Session, bulletin: ServiceBulletin, actor: Principal, filename: str,
           data: bytes) -> BulletinAttachment:
    """Store one file; refused (nothing written) past the limits or for another type; commits."""
    checked = uploads.check(filename=filename, data=data)
    session.exec(select(ServiceBulletin.id).where(ServiceBulletin.id == bulletin.id).with_for_update())
    count = session.scalar(select(func.count()).select_from(BulletinAttachment)
                           .where(BulletinAttachment.bulletin_id == bulletin.id)) or 0
    if count >= MAX_FILES:
        raise Conflict("A bulletin has at most 10 attachments", {"file": [f"{MAX_FILES} attached already"]})
    attachment = BulletinAttachment(bulletin_id=bulletin.id or 0, filename=checked.filename,
                                    content_type=checked.content_type, size=checked.size,
                                    sha256=checked.sha256, uploaded_by=actor.user_id)
    session.add(attachment)
    session.flush()
    session.add(BulletinAttachmentFile(attachment_id=attachment.id or 0, bulletin_id=bulletin.id or 0,
                                       content=data))
    session.commit()
    return attachment


def find(*, session: Session, bulletin: ServiceBulletin, attachment_id: int) -> BulletinAttachment | None:
    a = BulletinAttachment
    return session.exec(select(a).where(a.id == attachment_id, a.bulletin_id == bulletin.id)).first()


def content(*, session: Session, attachment: BulletinAttachment) -> bytes:
    stored = session.exec(select(BulletinAttachmentFile.content).where(
        BulletinAttachmentFile.attachment_id == attachment.id)).first()
    return stored or b""
