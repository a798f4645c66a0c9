"""Reading bulletins: the one list query (API and pages) and, for a page of them, their serial
ranges and releases with the acknowledgement of the current revision (two statements)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import BulletinAcknowledgement, BulletinRelease, ServiceBulletin, utcnow
from service.domain.bulletins.publishing import serial_ranges


@dataclass
class BulletinOut:
    """A bulletin with its ranges and the releases its reader may see."""

    bulletin: ServiceBulletin
    serial_ranges: list[dict[str, str]] = field(default_factory=list)
    releases: list[dict[str, Any]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.bulletin, name)

    @property
    def acknowledged(self) -> bool:
        """Every country it is released to (a liaison: theirs) acknowledged this revision."""
        active = [r for r in self.releases if r["withdrawn_at"] is None]
        return bool(active) and all(r["acknowledged_at"] for r in active)


def list_statement(query: dict[str, Any]) -> Any:
    """Bulletins matching the filters, newest first."""
    sb = ServiceBulletin
    stmt = select(sb).order_by(col(sb.created_at).desc(), col(sb.id).desc())
    if "system" in query:
        stmt = stmt.where(sb.system_id == query["system"])
    if "kind" in query:
        stmt = stmt.where(sb.kind == query["kind"])
    if "country" in query:  # released to that country now (a liaison's session: theirs alone)
        stmt = stmt.where(col(sb.id).in_(
            sa.select(col(BulletinRelease.bulletin_id))
            .where(col(BulletinRelease.country_code) == query["country"],
                   col(BulletinRelease.withdrawn_at).is_(None))))
    return stmt


def with_details(*, session: Session, bulletins: Sequence[ServiceBulletin],
                 now: dt.datetime | None = None) -> list[BulletinOut]:
    now = now or utcnow()
    out = cast(dict[int, BulletinOut], {b.id: BulletinOut(b) for b in bulletins})  # stored rows: ids set
    for bid, ranges in serial_ranges(session=session, bulletin_ids=list(out)).items():
        out[bid].serial_ranges = ranges
    rel, ack, sb = BulletinRelease, BulletinAcknowledgement, ServiceBulletin
    for bid, code, released_at, due_at, withdrawn_at, acked_at, acked_by in session.execute(
        sa.select(col(rel.bulletin_id), col(rel.country_code), col(rel.released_at), col(rel.due_at),
                  col(rel.withdrawn_at), col(ack.at), col(ack.user_name))
        .join(sb, col(sb.id) == rel.bulletin_id)
        .outerjoin(ack, sa.and_(col(ack.bulletin_id) == rel.bulletin_id,
                                col(ack.country_code) == rel.country_code, col(ack.revision) == sb.revision))
        .where(col(rel.bulletin_id).in_(out)).order_by(rel.country_code)
    ):
        out[bid].releases.append({"country": code, "released_at": released_at, "due_at": due_at,
                                  "withdrawn_at": withdrawn_at, "acknowledged_at": acked_at,
                                  "acknowledged_by": acked_by,
                                  "overdue": withdrawn_at is None and due_at < now})
    return list(out.values())
