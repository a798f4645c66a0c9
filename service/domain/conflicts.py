"""Double bookings: a staff member or a unit in two overlapping non-cancelled events.

Windows are half-open, [starts_at, ends_at): an event ending at 12:00 and another starting at
12:00 do not clash. Each check is one indexed query per resource type, whatever the number of
people, units or occurrences involved. Racing writers are serialized before the check: on
PostgreSQL the involved staff_member and unit rows are locked (SELECT ... FOR UPDATE, in id
order, so two bookings cannot deadlock); on SQLite every write transaction already holds the
database's write lock from BEGIN IMMEDIATE (`service.core.db.writer`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import EventStaff, EventStatus, EventUnit, ServiceEvent, StaffMember, Unit

Window = tuple[dt.datetime, dt.datetime]


def lock_resources(session: Session, *, staff_ids: Iterable[int], unit_ids: Iterable[int]) -> None:
    """Lock the rows of the people and units about to be booked (PostgreSQL; SQLite is serialized)."""
    staff, units = sorted(set(staff_ids)), sorted(set(unit_ids))
    if session.get_bind().dialect.name == "sqlite":
        return
    if staff:
        session.execute(select(col(StaffMember.id)).where(col(StaffMember.id).in_(staff))
                        .order_by(col(StaffMember.id)).with_for_update())
    if units:
        session.execute(select(col(Unit.id)).where(col(Unit.id).in_(units)).order_by(col(Unit.id)).with_for_update())


def _overlapping(windows: Sequence[Window]) -> Any:
    return sa.or_(*(sa.and_(col(ServiceEvent.starts_at) < end, col(ServiceEvent.ends_at) > start)
                    for start, end in windows))


def find_conflicts(
    session: Session, *, windows: Sequence[Window], staff_ids: Iterable[int],
    unit_ids: Iterable[int], exclude_event_ids: Iterable[int] = (),
) -> list[dict[str, Any]]:
    """Every (other event, resource) pair that overlaps one of `windows`, in a stable order."""
    staff, units, exclude = set(staff_ids), set(unit_ids), set(exclude_event_ids)
    if not windows or not (staff or units):
        return []
    live = [ServiceEvent.status != EventStatus.cancelled.value, _overlapping(windows)]
    if exclude:
        live.append(col(ServiceEvent.id).not_in(exclude))
    found: list[dict[str, Any]] = []
    if staff:
        rows = session.execute(
            sa.select(col(ServiceEvent.id), col(ServiceEvent.starts_at), col(ServiceEvent.ends_at),
                      col(StaffMember.id), col(StaffMember.name))
            .join(EventStaff, col(EventStaff.event_id) == ServiceEvent.id)
            .join(StaffMember, col(StaffMember.id) == EventStaff.staff_id)
            .where(col(EventStaff.staff_id).in_(staff), *live)
        )
        found += [_entry(r, "staff", windows) for r in rows]
    if units:
        rows = session.execute(
            sa.select(col(ServiceEvent.id), col(ServiceEvent.starts_at), col(ServiceEvent.ends_at),
                      col(Unit.id), col(Unit.serial))
            .join(EventUnit, col(EventUnit.event_id) == ServiceEvent.id)
            .join(Unit, col(Unit.id) == EventUnit.unit_id)
            .where(col(EventUnit.unit_id).in_(units), *live)
        )
        found += [_entry(r, "unit", windows) for r in rows]
    found.sort(key=lambda c: (c["starts_at"], c["event_id"], c["resource"], c["id"]))
    return found


def _entry(row: Any, resource: str, windows: Sequence[Window]) -> dict[str, Any]:
    event_id, starts, ends, rid, name = row
    clash = next(s for s, e in windows if starts < e and ends > s)
    return {"event_id": event_id, "resource": resource, "id": rid, "name": name,
            "starts_at": starts.isoformat(), "ends_at": ends.isoformat(),
            "occurrence_starts_at": clash.isoformat()}
