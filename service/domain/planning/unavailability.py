"""When a staff member is away: windows with a reason, added and removed by staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from models import StaffMember, StaffUnavailability
from service.domain.errors import NotFound


def windows_of(*, session: Session, staff: StaffMember,
               after: dt.datetime | None = None) -> list[StaffUnavailability]:
    """A staff member's unavailability windows by start (those ending after `after`)."""
    stmt = select(StaffUnavailability).where(StaffUnavailability.staff_id == staff.id)
    if after is not None:
        stmt = stmt.where(StaffUnavailability.ends_at > after)
    return list(session.exec(stmt.order_by(col(StaffUnavailability.starts_at), col(StaffUnavailability.id))))


def add_window(*, session: Session, staff: StaffMember, data: dict[str, Any]) -> StaffUnavailability:
    """Record that `staff` is away from `starts_at` to `ends_at` (validated), and why; commits."""
    window = StaffUnavailability(staff_id=staff.id or 0, starts_at=data["starts_at"],
                                 ends_at=data["ends_at"], reason=data["reason"])
    session.add(window)
    session.commit()
    return window


def remove_window(*, session: Session, staff: StaffMember, window_id: int) -> None:
    """Delete one of `staff`'s windows; another member's or a missing one is a 404; commits."""
    window = session.get(StaffUnavailability, window_id)
    if window is None or window.staff_id != staff.id:
        raise NotFound(_l("Unavailability %(id)s not found", id=window_id))
    session.delete(window)
    session.commit()
