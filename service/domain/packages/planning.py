"""Planning a contract's remaining service lines: proposals without writing, then a confirm that
creates the chosen services in one transaction (all or nothing, double bookings re-checked).

A proposal is a window of `days` days, starting on a weekday at 09:00 in the country's time,
as late as `lead_days` before the line's due date allows and no earlier than tomorrow, where the
named staff are free (the conflict check of `service.domain.conflicts`) and which does not
overlap another proposal of the same plan for those staff.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models import (
    SERVICE_LINES,
    Contract,
    Country,
    EventStatus,
    PackageEvent,
    PackageLine,
    ServiceEvent,
    utcnow,
)
from service.domain import services
from service.domain.conflicts import find_conflicts
from service.domain.errors import Conflict, Invalid
from service.domain.packages import deliveries, lines

SEATS_PER_COURSE = 20  # when a training line's seats are split into courses
SEARCH_DAYS = 366


def _remaining_services(session: Session, contract: Contract, today: dt.date,
                        seats: int) -> list[tuple[dict[str, Any], int]]:
    """(line, how many services still to plan) for each open service line of the contract."""
    states = [s for s in lines.line_states(session=session, today=today, contract_id=contract.id)
              if s["kind"] in SERVICE_LINES and s["remaining"] > 0]
    if not states:
        return []
    planned: dict[int, list[ServiceEvent]] = {}
    for link, event in session.execute(
            select(PackageEvent, ServiceEvent)
            .join(ServiceEvent, col(ServiceEvent.id) == PackageEvent.event_id)
            .where(col(PackageEvent.line_id).in_([s["id"] for s in states]),
                   col(ServiceEvent.status).not_in([EventStatus.completed.value,
                                                    EventStatus.cancelled.value]))):
        planned.setdefault(link.line_id, []).append(event)
    out = []
    for s in states:
        booked = planned.get(s["id"], [])
        if s["kind"] == "training":
            left = s["remaining"] - sum(e.capacity or seats for e in booked)
            count = math.ceil(max(left, 0) / seats)
        else:
            count = s["remaining"] - len(booked)
        if count > 0:
            out.append((s, count))
    return out


def propose(*, session: Session, contract: Contract, staff_ids: list[int], days: int = 3,
            lead_days: int = 14, seats: int = SEATS_PER_COURSE,
            now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The services that would deliver the contract's remaining service lines before their due
    dates; nothing is written. A line that cannot be fitted before its due date is proposed at
    the first free window after it, flagged `late`."""
    now = now or utcnow()
    country = session.get(Country, contract.country_code)
    tz = ZoneInfo(country.timezone if country else "UTC")
    today = now.astimezone(tz).date()
    system_of = {line.system_id for line in contract.lines}
    taken: list[tuple[dt.datetime, dt.datetime]] = []
    proposals = []
    for line, count in _remaining_services(session, contract, today, seats):
        system_id = line["system_id"] or (min(system_of) if system_of else None)
        if system_id is None:
            continue
        for n in range(count):
            start, end, late = _window(session, tz=tz, today=today, due=line["due_on"], days=days,
                                       lead_days=lead_days, staff_ids=staff_ids, taken=taken)
            taken.append((start, end))
            kind = SERVICE_LINES[line["kind"]]
            proposals.append({
                "line_id": line["id"], "kind": kind, "system_id": system_id,
                "title": f"{contract.number} {kind.replace('_', ' ')} {n + 1}/{count}",
                "starts_at": start, "ends_at": end, "timezone": tz.key,
                "staff": [{"id": i, "is_lead": k == 0} for k, i in enumerate(staff_ids)],
                "capacity": seats if line["kind"] == "training" else None,
                "due_on": line["due_on"], "late": late})
    return proposals


def _window(session: Session, *, tz: ZoneInfo, today: dt.date, due: dt.date, days: int,
            lead_days: int, staff_ids: list[int], taken: list[tuple[dt.datetime, dt.datetime]],
            ) -> tuple[dt.datetime, dt.datetime, bool]:
    """The latest free window ending `lead_days` before `due` (else the first free one after)."""
    first = today + dt.timedelta(days=1)
    last = due - dt.timedelta(days=lead_days + days)
    candidates = [last - dt.timedelta(days=k) for k in range(max((last - first).days + 1, 0))]
    later = [max(first, last) + dt.timedelta(days=k + 1) for k in range(SEARCH_DAYS)]
    for late, day in [(False, d) for d in candidates] + [(True, d) for d in later]:
        if day.weekday() >= 5:
            continue
        start = dt.datetime.combine(day, dt.time(9), tz)
        end = dt.datetime.combine(day + dt.timedelta(days=days - 1), dt.time(17), tz)
        if staff_ids and any(s < end and e > start for s, e in taken):
            continue
        if staff_ids and find_conflicts(session, windows=[(start, end)], staff_ids=staff_ids, unit_ids=[]):
            continue
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC), late or day > last
    raise Conflict("No free window within a year", {"staff": ["every window is booked"]})


def confirm(*, session: Session, contract: Contract, chosen: list[dict[str, Any]]) -> list[int]:
    """Create the chosen proposals as planned services linked to their lines, in one transaction:
    a double booking (re-checked now) or a bad line refuses them all; commits."""
    line_rows = {line.id: line for line in session.exec(
        select(PackageLine).where(PackageLine.contract_id == contract.id))}
    ids = []
    for n, item in enumerate(chosen):
        item = {k: v for k, v in item.items() if k not in ("due_on", "late")}
        line = line_rows.get(item.pop("line_id"))
        if line is None or line.kind not in SERVICE_LINES:
            session.rollback()
            raise Invalid("Not a service line of this contract",
                          {f"services.{n}.line_id": ["no such service line on this contract"]})
        if item["kind"] != SERVICE_LINES[line.kind]:
            session.rollback()
            raise Invalid("The service does not deliver this line",
                          {f"services.{n}.kind": [f"a {line.kind} line needs a {SERVICE_LINES[line.kind]}"]})
        if line.system_id is not None and item.get("system_id") != line.system_id:
            session.rollback()
            raise Invalid("The service does not deliver this line",
                          {f"services.{n}.system_id": ["the line is for another system"]})
        try:
            event, _ = services.create_events(session=session, data={
                **item, "country_code": contract.country_code})
        except (Conflict, Invalid):
            session.rollback()
            raise
        row = session.get(ServiceEvent, event.id)
        assert row is not None
        deliveries.link_event(session=session, line=line, event=row)
        ids.append(event.id)
    session.commit()
    return ids
