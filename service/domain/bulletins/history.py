"""The bulletins' history: when each was in force for a country, when each revision took
effect, and each unit's compliance as it was recorded. Written with the change each row
records (never changed after, but a span's end), so that the figures can be given
as of a past moment (`compliance.figures(as_of=…)`): a monthly report's figures are those of
its month's end, whenever it is made."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from models import (
    BulletinCompliance,
    BulletinComplianceChange,
    BulletinRelease,
    BulletinReleaseSpan,
    BulletinRevision,
    ServiceBulletin,
    utcnow,
)


def released(session: Session, release: BulletinRelease) -> None:
    """A span in force from the release on."""
    session.add(BulletinReleaseSpan(bulletin_id=release.bulletin_id, country_code=release.country_code,
                                    released_at=release.released_at, due_at=release.due_at,
                                    since=release.released_at))


def _end(session: Session, release: BulletinRelease, at: dt.datetime) -> None:
    span = BulletinReleaseSpan
    session.execute(sa.update(span).where(col(span.bulletin_id) == release.bulletin_id,
                                          col(span.country_code) == release.country_code,
                                          col(span.until).is_(None))
                    .values(until=at))


def withdrawn(session: Session, release: BulletinRelease) -> None:
    """The span in force ends with the withdrawal."""
    _end(session, release, release.withdrawn_at or utcnow())


def due_moved(session: Session, release: BulletinRelease, at: dt.datetime) -> None:
    """A revision at `at` gave the release in force a new due time: the span in force ends
    there and the next begins, so that the time before keeps the due time it had."""
    _end(session, release, at)
    session.add(BulletinReleaseSpan(bulletin_id=release.bulletin_id, country_code=release.country_code,
                                    released_at=release.released_at, due_at=release.due_at, since=at))


def revised(session: Session, bulletin: ServiceBulletin, at: dt.datetime) -> None:
    """The bulletin's current revision (and its kind) took effect at `at` (revision 1: its
    publication)."""
    session.add(BulletinRevision(bulletin_id=bulletin.id or 0, revision=bulletin.revision, at=at,
                                 kind=bulletin.kind))


def recorded(session: Session, row: BulletinCompliance) -> None:
    """A unit's compliance as just recorded."""
    session.add(BulletinComplianceChange(bulletin_id=row.bulletin_id, unit_id=row.unit_id,
                                         country_code=row.country_code, status=row.status,
                                         at=row.recorded_at))


def backfill(conn: sa.Connection) -> None:
    """The history of bulletins written without it (the demo's bulk rows), from what they hold
    now: each release one span, revision 1 at publication and the current one when it was made
    (both of today's kind), each compliance record one change at its recording. (Migration 0033
    does the same for the rows it finds.)"""
    models: tuple[Any, ...] = (ServiceBulletin, BulletinRelease, BulletinCompliance, BulletinReleaseSpan,
                               BulletinRevision, BulletinComplianceChange)
    t = {m.__tablename__: m.__table__ for m in models}
    sb, rel, comp = t["service_bulletin"].c, t["bulletin_release"].c, t["bulletin_compliance"].c
    conn.execute(t["bulletin_revision"].insert().from_select(
        ["bulletin_id", "revision", "at", "kind"],
        sa.select(sb.id, sa.literal(1), sb.created_at, sb.kind)))
    conn.execute(t["bulletin_revision"].insert().from_select(
        ["bulletin_id", "revision", "at", "kind"],
        sa.select(sb.id, sb.revision, sa.func.coalesce(sb.revised_at, sb.created_at), sb.kind)
        .where(sb.revision > 1)))
    conn.execute(t["bulletin_release_span"].insert().from_select(
        ["bulletin_id", "country_code", "released_at", "due_at", "since", "until"],
        sa.select(rel.bulletin_id, rel.country_code, rel.released_at, rel.due_at, rel.released_at,
                  rel.withdrawn_at)))
    conn.execute(t["bulletin_compliance_change"].insert().from_select(
        ["bulletin_id", "unit_id", "country_code", "status", "at"],
        sa.select(comp.bulletin_id, comp.unit_id, comp.country_code, comp.status, comp.recorded_at)))
