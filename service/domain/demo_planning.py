"""Demo planning data: a few leaves and trips of the staff in the coming weeks.

The staff's skills (instructors per system, interpreters per buyer language, technicians) are
seeded with them (`demo_services.STAFF`); here each absence is placed where its person has no
booking, so the board shows a plausible mix of booked, away and free days.
"""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlmodel import col

from models import EventStaff, EventStatus, ServiceEvent, StaffMember, StaffUnavailability, utcnow

REASONS = ["annual leave", "travel to the factory in Changwon", "instructor recertification course",
           "family leave", "trade fair duty", "annual leave"]
LEAVES = 6  # at least; one staff member in eight on a larger roster (the bench data set's 400)


def _busy(conn: sa.Connection, staff_id: int, start: dt.datetime, end: dt.datetime) -> bool:
    return bool(conn.scalar(
        sa.select(sa.func.count()).select_from(EventStaff)
        .join(ServiceEvent, col(ServiceEvent.id) == EventStaff.event_id)
        .where(col(EventStaff.staff_id) == staff_id, col(ServiceEvent.status) != EventStatus.cancelled.value,
               col(ServiceEvent.starts_at) < end, col(ServiceEvent.ends_at) > start)))


def seed_planning(conn: sa.Connection, *, rng: random.Random, today: dt.date) -> str:
    """Absences of a few days each in the next eight weeks, clear of bookings."""
    staff: list[int] = list(conn.scalars(sa.select(col(StaffMember.id)).order_by(col(StaffMember.id))))
    rows = []
    for sid in rng.sample(staff, k=min(max(LEAVES, len(staff) // 8), len(staff))):
        for _try in range(8):
            day = today + dt.timedelta(days=rng.randint(3, 50))
            start = dt.datetime.combine(day, dt.time(), dt.UTC)
            end = start + dt.timedelta(days=rng.randint(2, 7))
            if not _busy(conn, sid, start, end):
                rows.append({"staff_id": sid, "starts_at": start, "ends_at": end,
                             "reason": rng.choice(REASONS), "created_at": utcnow()})
                break
    if rows:
        conn.execute(sa.insert(StaffUnavailability.__table__), rows)  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    return _("staff absences %(absences)s", absences=len(rows))
