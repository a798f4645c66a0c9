"""A country's acknowledgement of each revision, and its units' compliance with a `safety` or
`mandatory` bulletin, recorded by the unit's own country; the figures per country drawn from
them (staff: every country; a liaison's session holds their own alone)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import (
    BulletinAcknowledgement,
    BulletinCompliance,
    BulletinComplianceChange,
    BulletinRelease,
    BulletinReleaseSpan,
    BulletinRevision,
    ServiceBulletin,
    Unit,
    UTCDateTime,
    utcnow,
)
from models.bulletins import COMPLIANCE_KINDS
from service.core.auth import Principal
from service.domain.bulletins import history
from service.domain.bulletins.publishing import applies_to
from service.domain.errors import Conflict, Forbidden, Invalid, NotFound
from service.domain.satisfaction import rounded

PENDING = ("pending",)


def acknowledgements(*, session: Session, bulletin: ServiceBulletin) -> list[BulletinAcknowledgement]:
    """Every revision's acknowledgements, oldest first."""
    a = BulletinAcknowledgement
    return list(session.exec(select(a).where(a.bulletin_id == bulletin.id)
                             .order_by(col(a.revision), col(a.at))))


def acknowledge(*, session: Session, bulletin: ServiceBulletin, actor: Principal) -> BulletinAcknowledgement:
    """The liaison's country acknowledges the bulletin's current revision; commits."""
    if not actor.is_liaison or actor.country_code is None:
        raise Forbidden("A bulletin is acknowledged by a liaison of a country it is released to")
    done = session.exec(select(BulletinAcknowledgement).where(
        BulletinAcknowledgement.bulletin_id == bulletin.id,
        BulletinAcknowledgement.country_code == actor.country_code,
        BulletinAcknowledgement.revision == bulletin.revision)).first()
    if done is not None:
        raise Conflict(f"Revision {bulletin.revision} was acknowledged already",
                       {"revision": [f"acknowledged by {done.user_name} at {done.at.isoformat()}"]})
    ack = BulletinAcknowledgement(bulletin_id=bulletin.id or 0, country_code=actor.country_code,
                                  revision=bulletin.revision, user_id=actor.user_id,
                                  user_name=actor.name or actor.email, at=utcnow())
    session.add(ack)
    session.commit()
    return ack


@dataclass
class UnitCompliance:
    """One applicable unit of a released country and what its country recorded."""

    unit_id: int
    serial: str
    country_code: str
    due_at: dt.datetime
    status: str
    done_on: dt.date | None
    reason: str | None
    recorded_at: dt.datetime | None
    version: int | None
    overdue: bool


def units(*, session: Session, bulletin: ServiceBulletin,
          now: dt.datetime | None = None) -> list[UnitCompliance]:
    """The units the bulletin concerns in the countries it is released to, with their compliance."""
    now = now or utcnow()
    c, rel = BulletinCompliance, BulletinRelease
    rows = session.execute(
        sa.select(col(Unit.id), col(Unit.serial), col(Unit.country_code), col(rel.due_at), col(c.status),
                  col(c.done_on), col(c.reason), col(c.recorded_at), col(c.version))
        .join(rel, sa.and_(col(rel.bulletin_id) == bulletin.id, col(rel.country_code) == Unit.country_code,
                           col(rel.withdrawn_at).is_(None)))
        .outerjoin(c, sa.and_(col(c.bulletin_id) == bulletin.id, col(c.unit_id) == Unit.id))
        .where(applies_to(bulletin))
        .order_by(Unit.country_code, Unit.serial))
    out = []
    for uid, serial, code, due, status, done_on, reason, at, version in rows:
        status = status or "pending"
        out.append(UnitCompliance(uid, serial, code, due, status, done_on, reason, at, version,
                                  status == "pending" and due < now))
    return out


def current(*, session: Session, bulletin: ServiceBulletin, unit_id: int) -> BulletinCompliance | None:
    return session.get(BulletinCompliance, (bulletin.id, unit_id))


def record(*, session: Session, bulletin: ServiceBulletin, unit_id: int, data: dict[str, Any],
           actor: Principal) -> BulletinCompliance:
    """What the unit's own country records for it (`done` with a date, `not_applicable` with a
    reason, or `pending` again); a unit of another country is not found; commits."""
    if not actor.is_liaison:
        raise Forbidden("Compliance is recorded by the unit's own country")
    if bulletin.kind not in COMPLIANCE_KINDS:
        raise Conflict("Only safety and mandatory bulletins track compliance per unit",
                       {"kind": [f"this bulletin is {bulletin.kind}"]})
    unit = session.exec(select(Unit).where(Unit.id == unit_id)).first()
    if unit is None:
        raise NotFound(f"Unit {unit_id} not found")
    concerned = session.scalar(sa.select(col(Unit.id)).where(col(Unit.id) == unit_id,
                                                        applies_to(bulletin)))
    if concerned is None:
        raise Invalid("This bulletin does not concern that unit",
                      {"unit_id": [f"{unit.serial} is outside the bulletin's system or serial ranges"]})
    status, done_on, reason = data["status"], data.get("done_on"), data.get("reason")
    if status == "done":
        if done_on is None:
            raise Invalid("Give the date the bulletin was applied", {"done_on": ["required when done"]})
        if done_on > utcnow().date() + dt.timedelta(days=1):
            raise Invalid("The date is in the future", {"done_on": ["not after today"]})
        reason = None
    elif status == "not_applicable":
        if not reason:
            raise Invalid("Say why the bulletin does not apply", {"reason": ["required when not applicable"]})
        done_on = None
    else:
        done_on = reason = None
    row = current(session=session, bulletin=bulletin, unit_id=unit_id)
    if row is None:
        row = BulletinCompliance(bulletin_id=bulletin.id or 0, unit_id=unit_id,
                                 country_code=unit.country_code)
        session.add(row)
    row.status, row.done_on, row.reason = status, done_on, reason
    row.recorded_by, row.recorded_at = actor.user_id, utcnow()
    history.recorded(session, row)
    session.commit()
    return row


def _released() -> Any:
    return (sa.select(ServiceBulletin, BulletinRelease)
            .join(BulletinRelease, sa.and_(col(BulletinRelease.bulletin_id) == ServiceBulletin.id,
                                           col(BulletinRelease.withdrawn_at).is_(None))))


def figures(*, session: Session, bulletin_id: int | None = None, system_id: int | None = None,
            country: str | None = None, now: dt.datetime | None = None,
            as_of: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per country: bulletins released and acknowledged (current revision), and the units of its
    safety and mandatory bulletins: concerned, done, not applicable, pending, overdue; shares with
    their n. Two statements. `as_of`: as they stood then, from the bulletins' history (the
    releases in force then, the revision current then and its acknowledgements by then, each
    unit's compliance as last recorded by then, the units delivered by then)."""
    sb = ServiceBulletin
    where: list[Any] = []
    if bulletin_id is not None:
        where.append(col(sb.id) == bulletin_id)
    if system_id is not None:
        where.append(col(sb.system_id) == system_id)
    counts, units = (_statements(where, country, now or utcnow()) if as_of is None
                     else _statements_at(where, country, as_of))
    rows: dict[str, dict[str, Any]] = {}

    def row(code: str) -> dict[str, Any]:
        return rows.setdefault(code, {"country": code, "released": 0, "acknowledged": 0,
                                      "units": 0, "done": 0, "not_applicable": 0, "pending": 0,
                                      "overdue": 0})

    for code, released, acked in session.execute(counts):
        row(code).update(released=int(released), acknowledged=int(acked))
    for code, total, done, na, pending, overdue in session.execute(units):
        row(code).update(units=int(total), done=int(done or 0), not_applicable=int(na or 0),
                         pending=int(pending or 0), overdue=int(overdue or 0))
    out = []
    for code in sorted(rows):
        r = rows[code]
        r["acknowledged_share"] = rounded(100 * r["acknowledged"], r["released"])
        r["complied_share"] = rounded(100 * (r["done"] + r["not_applicable"]), r["units"])
        out.append(r)
    return out


def _count_if(*conds: Any) -> Any:
    return sa.func.sum(sa.case((sa.and_(*conds), 1), else_=0))


def _statements(where: list[Any], country: str | None, now: dt.datetime) -> tuple[Any, Any]:
    """The figures now: (country, released, acknowledged) and (country, units, done, not
    applicable, pending, overdue), from the releases in force and the compliance recorded."""
    sb, rel, ack, c = ServiceBulletin, BulletinRelease, BulletinAcknowledgement, BulletinCompliance
    where = [*where, col(rel.withdrawn_at).is_(None)]
    if country is not None:
        where.append(col(rel.country_code) == country)
    counts = (sa.select(col(rel.country_code), sa.func.count(), sa.func.count(col(ack.id)))
              .select_from(sb).join(rel, col(rel.bulletin_id) == sb.id)
              .outerjoin(ack, sa.and_(col(ack.bulletin_id) == sb.id,
                                      col(ack.country_code) == rel.country_code,
                                      col(ack.revision) == sb.revision))
              .where(*where).group_by(rel.country_code))
    status = sa.func.coalesce(c.status, "pending")
    units = (sa.select(col(rel.country_code), sa.func.count(), _count_if(status == "done"),
                       _count_if(status == "not_applicable"), _count_if(status == "pending"),
                       _count_if(status == "pending", col(rel.due_at) < sa.literal(now, UTCDateTime())))
             .select_from(sb).join(rel, col(rel.bulletin_id) == sb.id)
             .join(Unit, sa.and_(col(Unit.country_code) == rel.country_code, applies_to(sb),
                                 _delivered_by(now)))
             .outerjoin(c, sa.and_(col(c.bulletin_id) == sb.id, col(c.unit_id) == Unit.id))
             .where(*where, col(sb.kind).in_(COMPLIANCE_KINDS)).group_by(rel.country_code))
    return counts, units


def _delivered_by(at: dt.datetime) -> Any:
    """The units delivered by `at` (by the day it closes; undelivered ones with no date count):
    the fleet a figure of that moment is about."""
    return sa.or_(col(Unit.delivered_on).is_(None),
                  col(Unit.delivered_on) <= (at - dt.timedelta(microseconds=1)).astimezone(dt.UTC).date())


def _statements_at(where: list[Any], country: str | None, at: dt.datetime) -> tuple[Any, Any]:
    """The same figures as they stood at `at`, from the history (`history`): the spans in force
    then (with the due time they had), the revision current then (its kind; its acknowledgements
    made by then), each unit's latest change by then (none: pending), the units delivered by then."""
    sb, span, ack = ServiceBulletin, BulletinReleaseSpan, BulletinAcknowledgement
    rev, ch = BulletinRevision, BulletinComplianceChange
    then = sa.literal(at, UTCDateTime())
    where = [*where, col(span.since) <= then, sa.or_(col(span.until).is_(None), col(span.until) > then)]
    if country is not None:
        where.append(col(span.country_code) == country)
    current = (sa.select(col(rev.revision), col(rev.kind))
               .where(col(rev.bulletin_id) == sb.id, col(rev.at) <= then)
               .order_by(col(rev.revision).desc()).limit(1).correlate(sb))
    revision, kind = current.with_only_columns(col(rev.revision)), current.with_only_columns(col(rev.kind))
    counts = (sa.select(col(span.country_code), sa.func.count(), sa.func.count(col(ack.id)))
              .select_from(sb).join(span, col(span.bulletin_id) == sb.id)
              .outerjoin(ack, sa.and_(col(ack.bulletin_id) == sb.id,
                                      col(ack.country_code) == span.country_code,
                                      col(ack.revision) == revision.scalar_subquery(), col(ack.at) <= then))
              .where(*where).group_by(span.country_code))
    latest = (sa.select(col(ch.status))
              .where(col(ch.bulletin_id) == sb.id, col(ch.unit_id) == Unit.id, col(ch.at) <= then)
              .order_by(col(ch.at).desc(), col(ch.id).desc()).limit(1)
              .correlate(sb, Unit).scalar_subquery())
    each = (sa.select(col(span.country_code).label("country"),
                      sa.func.coalesce(latest, "pending").label("status"),
                      (col(span.due_at) < then).label("late"))
            .select_from(sb).join(span, col(span.bulletin_id) == sb.id)
            .join(Unit, sa.and_(col(Unit.country_code) == span.country_code, applies_to(sb),
                                _delivered_by(at)))
            .where(*where, kind.scalar_subquery().in_(COMPLIANCE_KINDS))
            .subquery("each_unit"))
    e = each.c
    units = (sa.select(e.country, sa.func.count(), _count_if(e.status == "done"),
                       _count_if(e.status == "not_applicable"), _count_if(e.status == "pending"),
                       _count_if(e.status == "pending", e.late))
             .group_by(e.country))
    return counts, units


def overdue_by_month(months: Any, now: Any, country: str | None, system_id: int | None) -> Any:
    """SQL for readiness: (country, system, period, units) — applicable units of released safety
    and mandatory bulletins whose compliance fell due in the month, before now, and is still
    pending."""
    sb, rel, c = ServiceBulletin, BulletinRelease, BulletinCompliance
    where = [col(rel.withdrawn_at).is_(None), col(sb.kind).in_(COMPLIANCE_KINDS), rel.due_at < now,
             rel.due_at >= months.c.ms, rel.due_at < months.c.me,
             sa.func.coalesce(c.status, "pending") == "pending"]
    if country:
        where.append(rel.country_code == country)
    if system_id:
        where.append(sb.system_id == system_id)
    return (sa.select(col(rel.country_code), col(sb.system_id), months.c.period, sa.func.count())
            .select_from(sb).join(rel, col(rel.bulletin_id) == sb.id)
            .join(months, sa.true())
            .join(Unit, sa.and_(col(Unit.country_code) == rel.country_code,
                                applies_to(sb)))
            .outerjoin(c, sa.and_(col(c.bulletin_id) == sb.id, col(c.unit_id) == Unit.id))
            .where(*where).group_by(col(rel.country_code), col(sb.system_id), months.c.period))


def due_soon(*, session: Session, now: dt.datetime,
             within: dt.timedelta) -> list[tuple[ServiceBulletin, BulletinRelease, int]]:
    """Releases of safety and mandatory bulletins due within `within` from now whose country
    still has pending units, with how many."""
    sb, rel, c = ServiceBulletin, BulletinRelease, BulletinCompliance
    pending = (sa.select(sa.func.count()).select_from(Unit)
               .outerjoin(c, sa.and_(col(c.bulletin_id) == sb.id, col(c.unit_id) == Unit.id))
               .where(col(Unit.country_code) == rel.country_code, applies_to(sb),
                      sa.func.coalesce(c.status, "pending") == "pending")
               .correlate(sb, rel).scalar_subquery())
    stmt = (_released().add_columns(pending.label("pending"))
            .where(col(sb.kind).in_(COMPLIANCE_KINDS), rel.due_at >= now, rel.due_at < now + within,
                   pending > 0)
            .order_by(sb.id, rel.country_code))
    return [(b, r, int(n)) for b, r, n in session.execute(stmt)]
