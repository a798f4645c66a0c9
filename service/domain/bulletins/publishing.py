"""Publishing a bulletin and revising it: its number per system, its applicability (the whole
system or serial ranges), and a revision that asks every released country to acknowledge again."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import BulletinRelease, BulletinSerialRange, ServiceBulletin, Unit, WeaponSystem, utcnow
from service.core.auth import Principal
from service.domain import mail, outbox
from service.domain.bulletins import history
from service.domain.errors import Invalid

DETAIL_FIELDS = ("kind", "title", "body", "compliance_due_days")


def format_number(system_code: str, seq: int) -> str:
    return f"{system_code}-SB-{seq:04d}"


def _ranges(session: Session, system_id: int, ranges: list[dict[str, str]]) -> list[dict[str, str]]:
    """`ranges`, each running forwards and covering one country's units at most: a liaison is
    shown the ranges covering their units, and a range's bounds are then that country's serials
    alone. Serials are compared by the database, as `applies_to` compares them (its collation),
    the ranges' countries read in one statement."""
    if not ranges:
        return ranges
    given = sa.union_all(*(
        sa.select(sa.literal(n + 1).label("n"), sa.literal(r["from"]).label("lo"),
                  sa.literal(r["to"]).label("hi"))
        for n, r in enumerate(ranges))).subquery("given")
    found = session.execute(
        sa.select(given.c.n, given.c.lo > given.c.hi, col(Unit.country_code))
        .outerjoin(Unit, sa.and_(col(Unit.system_id) == system_id, col(Unit.serial) >= given.c.lo,
                                 col(Unit.serial) <= given.c.hi))
        .distinct().order_by(given.c.n, col(Unit.country_code))).all()
    backwards = sorted({n for n, back, _ in found if back})
    if backwards:
        raise Invalid("A serial range runs from its first serial to its last", {"serial_ranges": [
            f"range {n}: {ranges[n - 1]['from']} is after {ranges[n - 1]['to']}" for n in backwards]})
    countries: dict[int, list[str]] = {}
    for n, _, code in found:
        if code is not None:
            countries.setdefault(n, []).append(code)
    bad = [f"range {n} covers units of {', '.join(codes)}: split it by country"
           for n, codes in sorted(countries.items()) if len(codes) > 1]
    if bad:
        raise Invalid("A serial range covers one country's units", {"serial_ranges": bad})
    return ranges


def check_serial_outside_foreign_ranges(*, session: Session, system_id: int, serial: str,
                                        country_code: str) -> None:
    """A unit delivered or re-serialled into a bulletin's range that covers another country's
    units is refused (422): its country would be shown that range, the other country's serials."""
    r, u, sb = BulletinSerialRange, Unit, ServiceBulletin
    found = session.execute(
        sa.select(col(sb.number), col(r.serial_from), col(r.serial_to))
        .join(sb, col(sb.id) == r.bulletin_id)
        .where(col(sb.system_id) == system_id, col(r.serial_from) <= serial, col(r.serial_to) >= serial,
               sa.exists().where(col(u.system_id) == system_id, col(u.serial) >= r.serial_from,
                                 col(u.serial) <= r.serial_to, col(u.country_code) != country_code))
        .order_by(col(sb.number)).limit(1)).first()
    if found is not None:
        number, lo, hi = found
        raise Invalid("The serial falls in a serial range of another country's units", {"serial": [
            f"inside {lo} to {hi} of bulletin {number}, which covers another country's units"]})


def applies_to(bulletin: Any) -> Any:
    """SQL: the `Unit` rows a bulletin concerns (its system; within a range, if it is
    `limited_to_ranges`). Works for one bulletin (a row) or across bulletins (the class)."""
    r = BulletinSerialRange
    of_system = col(Unit.system_id) == bulletin.system_id
    in_range = sa.exists().where(col(r.bulletin_id) == bulletin.id, col(r.serial_from) <= col(Unit.serial),
                                 col(r.serial_to) >= col(Unit.serial))
    limited = bulletin.limited_to_ranges
    if isinstance(limited, bool):  # one bulletin's
        return sa.and_(of_system, in_range) if limited else of_system
    return sa.and_(of_system, sa.or_(sa.not_(limited), in_range))


def serial_ranges(*, session: Session, bulletin_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """The ranges of each bulletin, in one statement."""
    out: dict[int, list[dict[str, str]]] = {i: [] for i in bulletin_ids}
    r = BulletinSerialRange
    for bid, lo, hi in session.execute(
        select(r.bulletin_id, r.serial_from, r.serial_to)
        .where(col(r.bulletin_id).in_(bulletin_ids)).order_by(col(r.id))
    ):
        out[bid].append({"from": lo, "to": hi})
    return out


def create_bulletin(*, session: Session, data: dict[str, Any], actor: Principal) -> ServiceBulletin:
    """A new bulletin, numbered within its system, released to no one yet; commits."""
    data = dict(data)
    # The system's row is locked first, so two bulletins at once cannot take the same number.
    system = session.exec(select(WeaponSystem).where(WeaponSystem.id == data["system_id"])
                          .with_for_update()).first()
    if system is None:
        raise Invalid("Unknown system", {"system_id": ["no such system in the catalogue"]})
    ranges = _ranges(session, data["system_id"], data.pop("serial_ranges", []))
    seq = (session.scalar(sa.select(sa.func.max(col(ServiceBulletin.seq)))
                          .where(col(ServiceBulletin.system_id) == system.id)) or 0) + 1
    now = utcnow()
    bulletin = ServiceBulletin(**data, seq=seq, number=format_number(system.code, seq),
                               limited_to_ranges=bool(ranges), created_by=actor.user_id,
                               created_at=now, updated_at=now)
    session.add(bulletin)
    session.flush()
    session.add_all([BulletinSerialRange(bulletin_id=bulletin.id or 0, serial_from=r["from"],
                                         serial_to=r["to"]) for r in ranges])
    history.revised(session, bulletin, now)
    session.commit()
    return bulletin


def revise_bulletin(*, session: Session, bulletin: ServiceBulletin, changes: dict[str, Any],
                    actor: Principal) -> ServiceBulletin:
    """A new revision: the changes, `revision` + 1, every released country asked to acknowledge
    it again (their earlier acknowledgements are kept); a new due time follows a new number of
    days; commits."""
    changes = dict(changes)
    if not set(changes) - {"revision_note"}:
        raise Invalid("A revision changes the kind, title, body, serial ranges or due days",
                      {"body": ["nothing to revise"]})
    changes.setdefault("revision_note", None)  # a note belongs to its own revision alone
    now = utcnow()
    if "serial_ranges" in changes:
        ranges = _ranges(session, bulletin.system_id, changes.pop("serial_ranges"))
        bulletin.limited_to_ranges = bool(ranges)
        session.execute(sa.delete(BulletinSerialRange)
                        .where(col(BulletinSerialRange.bulletin_id) == bulletin.id))
        session.add_all([BulletinSerialRange(bulletin_id=bulletin.id or 0, serial_from=r["from"],
                                             serial_to=r["to"]) for r in ranges])
    for key, value in changes.items():
        setattr(bulletin, key, value)
    bulletin.revision += 1
    bulletin.revised_at = bulletin.updated_at = now
    history.revised(session, bulletin, now)
    releases = list(session.exec(select(BulletinRelease).where(
        BulletinRelease.bulletin_id == bulletin.id, col(BulletinRelease.withdrawn_at).is_(None))))
    if "compliance_due_days" in changes:
        from service.domain.bulletins.releases import due_after

        for release in releases:
            release.due_at = due_after(release.released_at, bulletin.compliance_due_days)
            history.due_moved(session, release, now)
    messages = []
    for release in releases:
        for user in outbox.liaisons_of(session=session, country_code=release.country_code):
            messages.append({
                "key": f"bulletin-revised:{bulletin.id}:r{bulletin.revision}:user:{user.id}",
                "kind": "bulletin_revised", "user_id": user.id, "recipient": user.email,
                "country_code": release.country_code,
                **mail.render_to(session, user, "bulletin_revised", bulletin=bulletin),
                "data": {"bulletin_id": bulletin.id, "revision": bulletin.revision}})
    outbox.notify(session=session, messages=messages)
    session.commit()
    return bulletin
