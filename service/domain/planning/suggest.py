"""Suggested slots for a service (SPEC §10): who and what is free, when, in working hours.

The busy windows of every candidate person and unit over the range (and 180 days past it,
for the nearest miss) are read once (`busy`: three statements); the candidate slots are then
swept in Python, each resource's windows searched by bisection. The few proposals returned
are checked again by `conflicts.find_conflicts` — the rule a booking must pass — so that a
proposal is one the scheduling call would accept at that moment.

Slots start at the working day's start (whole days) or on the hour from it (hours), in the
country's time zone: a local 08:00 stays 08:00 across a daylight-saving change. Ranking:
the earliest day first, then the fewest idle staff-hours (the gaps of less than a day
between the chosen people's neighbouring bookings and this one), then the earliest start.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from models import Country, WeaponSystem, utcnow
from service.domain.conflicts import find_conflicts
from service.domain.errors import Invalid
from service.domain.planning.busy import Busy, active_staff, staff_busy, unit_busy, units_of

MAX_PROPOSALS = 5
MISS_HORIZON = dt.timedelta(days=180)
HOUR = dt.timedelta(hours=1)
STRANDED = dt.timedelta(days=1)


class Calendar:
    """One resource's busy windows, searchable: is [s, e) free, and how long is it idle around."""

    def __init__(self, windows: list[Busy]) -> None:
        ordered = sorted(windows, key=lambda b: b.starts_at)
        self.starts = [b.starts_at for b in ordered]
        self.max_end: list[dt.datetime] = []
        for b in ordered:
            self.max_end.append(max(b.ends_at, self.max_end[-1]) if self.max_end else b.ends_at)

    def free(self, start: dt.datetime, end: dt.datetime) -> bool:
        i = bisect.bisect_left(self.starts, end)
        return i == 0 or self.max_end[i - 1] <= start

    def idle(self, start: dt.datetime, end: dt.datetime) -> float:
        """Hours stranded between [start, end) and the neighbouring bookings less than a day
        away on either side (a gap of a day or more is not idle time: it can be booked)."""
        i = bisect.bisect_left(self.starts, end)
        gaps = []
        if i:
            gaps.append(start - self.max_end[i - 1])
        if i < len(self.starts):
            gaps.append(self.starts[i] - end)
        return sum((g for g in gaps if dt.timedelta() <= g < STRANDED), dt.timedelta()) / HOUR


@dataclass
class _Need:
    label: str  # the skill, or "units"
    count: int
    best: int = 0  # the most free at once in the window
    first_fit: dt.datetime | None = None  # the first slot after the window where it is met


@dataclass
class _Search:
    tz: ZoneInfo
    lo: dt.datetime
    hi: dt.datetime
    pools: dict[str, list[Any]]  # skill -> active staff members with it
    units: list[Any]
    staff_cal: dict[int, Calendar]
    unit_cal: dict[int, Calendar]
    needs: list[_Need] = field(default_factory=list)


def _slots(data: dict[str, Any], tz: ZoneInfo, start: dt.datetime,
           end: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Every candidate [start, end) in time order, in working days and hours of `tz`."""
    days = set(data["working_days"])
    w_start, w_end = data["working_hours"]["start"], data["working_hours"]["end"]
    day = start.astimezone(tz).date() - dt.timedelta(days=1)
    last = end.astimezone(tz).date()

    def at(d: dt.date, t: dt.time) -> dt.datetime:
        return dt.datetime.combine(d, t, tz).astimezone(dt.UTC)

    while day <= last:
        day += dt.timedelta(days=1)
        if day.isoweekday() not in days:
            continue
        if "duration_days" in data:
            final, left = day, data["duration_days"] - 1
            while left:
                final += dt.timedelta(days=1)
                left -= final.isoweekday() in days
            yield at(day, w_start), at(final, w_end)
        else:
            s, close, length = at(day, w_start), at(day, w_end), data["duration_hours"] * HOUR
            while s + length <= close:
                yield s, s + length
                s += HOUR


def _free(search: _Search, requirements: list[dict[str, Any]], s: dt.datetime,
          e: dt.datetime) -> dict[str, list[Any]]:
    """Who of each requirement's pool is free in [s, e)."""
    return {req["skill"]: [p for p in search.pools[req["skill"]] if search.staff_cal[p.id].free(s, e)]
            for req in requirements}


def _match(search: _Search, requirements: list[dict[str, Any]], free: dict[str, list[Any]],
           s: dt.datetime, e: dt.datetime) -> list[tuple[Any, str]] | None:
    """Distinct free people meeting every requirement (augmenting paths, least idle first)."""
    ranked = {skill: sorted(people, key=lambda p: (search.staff_cal[p.id].idle(s, e), p.id))
              for skill, people in free.items()}
    seats = [req["skill"] for req in requirements for _ in range(req["count"])]
    taken: dict[int, int] = {}  # person id -> seat

    def place(seat: int, seen: set[int]) -> bool:
        for p in ranked[seats[seat]]:
            if p.id in seen:
                continue
            seen.add(p.id)
            if p.id not in taken or place(taken[p.id], seen):
                taken[p.id] = seat
                return True
        return False

    if not all(place(seat, set()) for seat in range(len(seats))):
        return None
    by_id = {p.id: p for people in ranked.values() for p in people}
    return sorted(((by_id[pid], seats[seat]) for pid, seat in taken.items()),
                  key=lambda x: (x[1], x[0].name))


def _fmt_day(when: dt.datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).date().isoformat()


def suggest(*, session: Session, data: dict[str, Any], now: dt.datetime | None = None) -> dict[str, Any]:
    """Up to five proposals (start, end, staff, units) for `data` (a `SuggestSchema` load), or,
    when none fits, which requirement failed and the nearest miss."""
    country = session.get(Country, data["country"])
    if country is None:
        raise Invalid(_l("Unknown country"), {"country": [_l("no such buyer country is registered")]})
    system = session.get(WeaponSystem, data["system"])
    if system is None:
        raise Invalid(_l("Unknown system"), {"system": [_l("no such system in the catalogue")]})
    tz = ZoneInfo(country.timezone)
    lo = max(data["earliest_start"], now or utcnow())
    hi = data["latest_end"]
    if hi <= lo:
        raise Invalid(_l("The window is over"), {"latest_end": [_l("must be in the future")]})
    requirements = data["requirements"]
    roster = active_staff(session)
    pools = {r["skill"]: [p for p in roster if r["skill"] in p.skills] for r in requirements}
    units = _units(session, data, country.code, system)
    horizon = hi + MISS_HORIZON
    people = {p.id or 0: p for pool in pools.values() for p in pool}
    sbusy = staff_busy(session, staff_ids=list(people), start=lo, end=horizon)
    ubusy = unit_busy(session, unit_ids=[u.id for u in units], start=lo, end=horizon)
    search = _Search(tz=tz, lo=lo, hi=hi, pools=pools, units=units,
                     staff_cal={i: Calendar(sbusy.get(i, [])) for i in people},
                     unit_cal={u.id: Calendar(ubusy.get(u.id, [])) for u in units})
    wanted_units = len(data["units"].get("serials") or []) or data["units"].get("count", 0)
    search.needs = [_Need(r["skill"], r["count"]) for r in requirements]
    if wanted_units:
        search.needs.append(_Need("units", wanted_units))
    found: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    joint_first: dt.datetime | None = None
    seen_slot = False
    stop_day: dt.date | None = None
    for s, e in _slots(data, tz, lo, horizon):
        if s < lo:
            continue
        inside = e <= hi
        day = s.astimezone(tz).date()
        if stop_day is not None and day > stop_day:
            break
        if not inside and found:
            break
        seen_slot |= inside
        free = _free(search, requirements, s, e)
        free_units = [u for u in units if search.unit_cal[u.id].free(s, e)]
        counts = {skill: len(people) for skill, people in free.items()} | {"units": len(free_units)}
        for need in search.needs:
            if inside:
                need.best = max(need.best, counts[need.label])
            elif need.first_fit is None and counts[need.label] >= need.count:
                need.first_fit = s
        enough = all(counts[n.label] >= n.count for n in search.needs)  # else no matching can help
        chosen = _match(search, requirements, free, s, e) if enough else None
        ok = chosen is not None
        if ok and not inside:
            joint_first = joint_first or s
            if all(n.first_fit or n.best >= n.count for n in search.needs):
                break
            continue
        if not ok or chosen is None:
            continue
        idle = sum(search.staff_cal[p.id].idle(s, e) for p, _ in chosen)
        found.append(((day, idle, s), _proposal(s, e, tz, chosen, free_units[:wanted_units], idle)))
        if len(found) >= MAX_PROPOSALS and stop_day is None:
            stop_day = day
    if not seen_slot:
        raise Invalid(_l("No working slot fits the window"),
                      {"latest_end": [_l("no slot of that length within the working days and hours "
                                         "between earliest_start and latest_end")]})
    found.sort(key=lambda f: f[0])
    proposals = _still_free(session, [p for _key, p in found])[:MAX_PROPOSALS]
    unmet = [] if proposals else _misses(search, joint_first, country.code, system.code)
    return {"timezone": country.timezone, "proposals": proposals, "unmet": unmet}


def _units(session: Session, data: dict[str, Any], country_code: str, system: WeaponSystem) -> list[Any]:
    """The units a proposal may use: the named serials (each operational, of the country and
    system), or every operational unit of the country and system."""
    serials = data["units"].get("serials")
    if not serials:
        return units_of(session, country_code=country_code, system_id=system.id, operational_only=True)
    fleet = {u.serial: u for u in units_of(session, country_code=country_code, system_id=system.id)}
    problems = [_l("%(serial)s is not a unit of %(system)s in %(country)s", serial=s, system=system.code,
                   country=country_code) for s in serials if s not in fleet]
    problems += [_l("%(serial)s is %(status)s, not operational", serial=s, status=str(fleet[s].status))
                 for s in serials if s in fleet and str(fleet[s].status) != "operational"]
    if problems:
        raise Invalid(_l("Units cannot be used"), {"units": {"serials": problems}})
    return [fleet[s] for s in serials]


def _proposal(s: dt.datetime, e: dt.datetime, tz: ZoneInfo, chosen: list[tuple[Any, str]],
              units: list[Any], idle: float) -> dict[str, Any]:
    return {"starts_at": s, "ends_at": e, "starts_at_local": s.astimezone(tz).isoformat(),
            "ends_at_local": e.astimezone(tz).isoformat(), "idle_staff_hours": round(idle, 1),
            "staff": [{"id": p.id, "name": p.name, "skill": skill} for p, skill in chosen],
            "units": [{"id": u.id, "serial": u.serial} for u in units]}


def _still_free(session: Session, proposals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The proposals the conflict check accepts now (two statements each, for at most a few)."""
    out: list[dict[str, Any]] = []
    for p in proposals:
        if len(out) == MAX_PROPOSALS:
            break
        if not find_conflicts(session, windows=[(p["starts_at"], p["ends_at"])],
                              staff_ids=[s["id"] for s in p["staff"]],
                              unit_ids=[u["id"] for u in p["units"]]):
            out.append(p)
    return out


def _miss_message(need: _Need, search: _Search, country: str, system: str) -> Any:
    """Why a requirement is not met, as one sentence in the reader's language (lazy: it is
    worded when the page or the API answer is written)."""
    values = {"best": need.best, "count": need.count, "skill": need.label, "system": system,
              "country": country, "days": MISS_HORIZON.days,
              "day": _fmt_day(need.first_fit, search.tz) if need.first_fit is not None else ""}
    if need.label == "units" and len(search.units) < need.count:  # never enough, so no first fit
        return _l("only %(have)s operational %(system)s unit(s) of %(country)s exist; "
                  "none with %(count)s in the %(days)s days after it", **values, have=len(search.units))
    if need.label == "units":
        if need.first_fit is not None:
            return _l("only %(best)s operational %(system)s unit(s) of %(country)s free in the window; "
                      "the first window with %(count)s starts %(day)s", **values)
        return _l("only %(best)s operational %(system)s unit(s) of %(country)s free in the window; "
                  "none with %(count)s in the %(days)s days after it", **values)
    if need.first_fit is not None:
        return _l("only %(best)s %(skill)s free in the window; the first window with %(count)s "
                  "starts %(day)s", **values)
    return _l("only %(best)s %(skill)s free in the window; none with %(count)s in the %(days)s "
              "days after it", **values)


def _misses(search: _Search, joint_first: dt.datetime | None, country: str,
            system: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for need in search.needs:
        if need.best >= need.count:
            continue
        out.append({"requirement": need.label, "needed": need.count, "best": need.best,
                    "first_fit_starts_at": need.first_fit,
                    "message": _miss_message(need, search, country, system)})
    if not out:  # each is met at some time, never all at once
        message = (_l("every requirement is met at some time in the window, but never all at once; "
                      "the first slot meeting all starts %(day)s", day=_fmt_day(joint_first, search.tz))
                   if joint_first is not None else
                   _l("every requirement is met at some time in the window, but never all at once"))
        out.append({"requirement": "all", "needed": 0, "best": 0,
                    "first_fit_starts_at": joint_first, "message": message})
    return out
