"""The schedule form's pickers: for the window being scheduled, each staff member's and each
unit's state (free, booked and by what, away), with a search and a bounded list.

A picker lists the chosen ones and at most `LIMIT` others matching the search, so the form
never grows with the roster or the fleet; the busy windows come from `busy` in one statement
per kind, for the listed rows only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import Unit, UnitStatus
from service.domain.planning.busy import Busy, active_staff, staff_busy, unit_busy

LIMIT = 30
AHEAD = dt.timedelta(days=365)  # how far a unit's next booking is looked for

Window = tuple[dt.datetime, dt.datetime]


@dataclass
class Pick:
    id: int
    label: str
    detail: str  # skills, or the unit's status
    state: str  # "free", "booked", "away", or "" when no window is chosen yet
    chosen: bool
    busy: list[Busy] = field(default_factory=list)  # what holds it in the window
    next_booking: Busy | None = None
    status: str = ""


@dataclass
class Picker:
    rows: list[Pick]
    matching: int  # how many match the search (beyond the chosen ones)
    shown: int


def _state(windows: list[Busy], window: Window | None, exclude: int | None) -> tuple[str, list[Busy]]:
    if window is None:
        return "", []
    start, end = window
    here = [b for b in windows if b.starts_at < end and b.ends_at > start
            and (exclude is None or b.event_id != exclude)]
    services = [b for b in here if b.what == "service"]
    return ("booked" if services else "away" if here else "free"), services or here


def staff_picker(*, session: Session, window: Window | None, q: str, chosen: list[int],
                 exclude_event: int | None = None) -> Picker:
    """The chosen staff, then up to LIMIT others whose name or skill contains `q`, free first."""
    needle = q.strip().lower()
    people = active_staff(session)
    picked = [p for p in people if p.id in chosen]
    others = [p for p in people if p.id not in chosen and (
        not needle or needle in p.name.lower() or any(needle in s.lower() for s in p.skills or []))]
    listed = picked + others
    busy = (staff_busy(session, staff_ids=[p.id or 0 for p in listed], start=window[0], end=window[1])
            if window else {})
    rows = []
    for p in listed:
        state, why = _state(busy.get(p.id or 0, []), window, exclude_event)
        rows.append(Pick(p.id or 0, p.name, ", ".join(p.skills or []), state, p.id in chosen, why))
    order = {"free": 0, "": 0, "away": 1, "booked": 2}
    head, rest = rows[:len(picked)], sorted(rows[len(picked):], key=lambda r: (order[r.state], r.label))
    return Picker(head + rest[:LIMIT], len(others), len(head) + min(len(rest), LIMIT))


def unit_picker(*, session: Session, country_code: str, system_id: int, window: Window | None,
                q: str, chosen: list[int], exclude_event: int | None = None,
                now: dt.datetime | None = None) -> Picker:
    """The chosen units, then up to LIMIT others of the country and system whose serial
    contains `q` (by serial), each with its status, next booking and state in the window."""
    fleet = select(Unit).where(Unit.country_code == country_code, Unit.system_id == system_id)
    picked = list(session.exec(fleet.where(col(Unit.id).in_(chosen)).order_by(Unit.serial))) if chosen else []
    others_q = fleet.where(col(Unit.id).not_in(chosen)) if chosen else fleet
    if q.strip():
        others_q = others_q.where(col(Unit.serial).icontains(q.strip(), autoescape=True))
    others = list(session.exec(others_q.order_by(Unit.serial).limit(LIMIT)))
    matching = session.scalar(select(sa.func.count()).select_from(others_q.subquery())) or 0
    listed = picked + others
    start = now or dt.datetime.now(dt.UTC)
    lo = min(start, window[0]) if window else start
    hi = max(start + AHEAD, window[1]) if window else start + AHEAD
    busy = unit_busy(session, unit_ids=[u.id or 0 for u in listed], start=lo, end=hi)
    rows = []
    for u in listed:
        windows = busy.get(u.id or 0, [])
        state, why = _state(windows, window, exclude_event)
        after = window[0] if window else start
        upcoming = next((b for b in windows if b.ends_at > after
                         and (exclude_event is None or b.event_id != exclude_event)
                         and not (window and b.starts_at < window[1])), None)
        rows.append(Pick(u.id or 0, u.serial, str(u.status), state, u.id in chosen, why, upcoming,
                         str(u.status)))
    return Picker(rows, matching, len(rows))


def first_operational(*, session: Session, country_code: str, system_id: int, window: Window,
                      count: int, exclude_event: int | None = None) -> list[int]:
    """The first `count` operational units (by serial) free in the window."""
    units = list(session.exec(select(Unit).where(
        Unit.country_code == country_code, Unit.system_id == system_id,
        Unit.status == UnitStatus.operational.value).order_by(Unit.serial)))
    busy = unit_busy(session, unit_ids=[u.id or 0 for u in units], start=window[0], end=window[1])
    free = [u.id or 0 for u in units if _state(busy.get(u.id or 0, []), window, exclude_event)[0] == "free"]
    return free[:count]
