"""The planning board (SPEC §10): staff × days and units × days for a country, a system and
a range of days, each cell booked (by which services), away, or free.

Days are the country's calendar days (its time zone). Rows are paged (a board never grows
with the roster or the fleet beyond a page); staff are grouped by the skill they are listed
for: the skills asked for, or by default every skill for the system (`<kind>:<system code>`).
The busy windows come from `busy` (three statements for the whole page).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models import Country, UnitStatus, WeaponSystem
from service.domain.planning.busy import Busy, active_staff, staff_busy, unit_busy, units_of

MAX_DAYS = 62
DEFAULT_DAYS = 56
ROWS_PER_PAGE = 25

STATUS_ORDER = {status.value: rank for rank, status in enumerate(UnitStatus)}  # operational first


@dataclass
class Cell:
    state: str  # "booked", "away" or "free"
    busy: list[Busy] = field(default_factory=list)


@dataclass
class Row:
    id: int
    label: str
    group: str  # the skill (staff) or the status (units)
    cells: list[Cell]
    skills: list[str] = field(default_factory=list)


@dataclass
class Board:
    country: Country
    system: WeaponSystem
    days: list[dt.date]
    skills: list[str]
    staff: list[Row]
    units: list[Row]
    staff_total: int
    units_total: int
    staff_page: int
    unit_page: int
    pages: dict[str, int] = field(default_factory=dict)


def day_windows(days: list[dt.date], tz: ZoneInfo) -> list[tuple[dt.datetime, dt.datetime]]:
    """Each local day as a UTC window (23 or 25 hours long on a daylight-saving change)."""
    def midnight(d: dt.date) -> dt.datetime:
        return dt.datetime.combine(d, dt.time(), tz).astimezone(dt.UTC)
    return [(midnight(d), midnight(d + dt.timedelta(days=1))) for d in days]


def _cells(windows: list[Busy], days: list[tuple[dt.datetime, dt.datetime]]) -> list[Cell]:
    out = []
    for start, end in days:
        here = [b for b in windows if b.starts_at < end and b.ends_at > start]
        services = [b for b in here if b.what == "service"]
        state = "booked" if services else "away" if here else "free"
        out.append(Cell(state, services or here))
    return out


def system_skills(system: WeaponSystem) -> list[str]:
    return [f"{kind}:{system.code}" for kind in ("instructor", "technician", "engineer")]


def board(*, session: Session, country: Country, system: WeaponSystem, first: dt.date, last: dt.date,
          skills: list[str] | None = None, staff_page: int = 1, unit_page: int = 1) -> Board:
    """The board for the days `first`..`last` (at most MAX_DAYS): one page of staff with the
    skills (grouped by the first of them each holds) and one page of the country's units (by
    status, operational first, then by serial)."""
    days = [first + dt.timedelta(days=n) for n in range(min((last - first).days + 1, MAX_DAYS))]
    tz = ZoneInfo(country.timezone)
    windows = day_windows(days, tz)
    start, end = windows[0][0], windows[-1][1]
    wanted = skills or system_skills(system)
    people = []
    for person in active_staff(session):
        group = next((s for s in wanted if s in (person.skills or [])), None)
        if group is not None:
            people.append((wanted.index(group), person.name, person, group))
    people.sort(key=lambda p: (p[0], p[1], p[2].id))
    fleet = units_of(session, country_code=country.code, system_id=system.id)  # by serial
    fleet.sort(key=lambda u: STATUS_ORDER.get(str(u.status), len(STATUS_ORDER)))  # one group per status
    staff_page = max(1, min(staff_page, -(-len(people) // ROWS_PER_PAGE) or 1))
    unit_page = max(1, min(unit_page, -(-len(fleet) // ROWS_PER_PAGE) or 1))
    shown = people[(staff_page - 1) * ROWS_PER_PAGE:staff_page * ROWS_PER_PAGE]
    units = fleet[(unit_page - 1) * ROWS_PER_PAGE:unit_page * ROWS_PER_PAGE]
    sbusy = staff_busy(session, staff_ids=[p[2].id or 0 for p in shown], start=start, end=end)
    ubusy = unit_busy(session, unit_ids=[u.id or 0 for u in units], start=start, end=end)
    return Board(
        country=country, system=system, days=days, skills=wanted,
        staff=[Row(p.id or 0, p.name, group, _cells(sbusy.get(p.id or 0, []), windows), p.skills or [])
               for _rank, _name, p, group in shown],
        units=[Row(u.id or 0, u.serial, str(u.status), _cells(ubusy.get(u.id or 0, []), windows))
               for u in units],
        staff_total=len(people), units_total=len(fleet), staff_page=staff_page, unit_page=unit_page,
        pages={"staff": max(1, -(-len(people) // ROWS_PER_PAGE)),
               "units": max(1, -(-len(fleet) // ROWS_PER_PAGE))})


def known_skills(session: Session) -> list[str]:
    """Every skill some active staff member holds, sorted (for the board's skill picker)."""
    return sorted({s for p in active_staff(session) for s in (p.skills or [])})
