"""The suggester against a brute-force oracle on small random calendars (Hypothesis).

The oracle asks the conflict check itself, slot by slot, and tries every combination of
people; the suggester must agree on whether a slot exists and on the first day with one, and
every proposal it makes must pass the conflict check, avoid absences and meet each requirement.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from models import EventStaff, EventUnit, ServiceEvent, StaffMember, StaffUnavailability
from service.core.db import ACTOR_KEY
from service.domain.conflicts import find_conflicts
from service.domain.planning.suggest import suggest
from service.schemas.planning import SuggestSchema

WARSAW = ZoneInfo("Europe/Warsaw")
DAYS = [dt.date(2030, 3, 4) + dt.timedelta(days=n) for n in range(5)]  # Monday to Friday
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
SKILLS = ["instructor:K9A1", "interpreter:pl"]


def _local(day: int, hour: int) -> dt.datetime:
    return dt.datetime.combine(DAYS[day], dt.time(hour), WARSAW).astimezone(dt.UTC)


busy = st.tuples(st.integers(0, 4), st.integers(5, 17), st.integers(1, 12))  # day, hour, hours
calendars = st.fixed_dictionaries({
    "skills": st.lists(st.sets(st.sampled_from(SKILLS), min_size=1), min_size=2, max_size=4),
    "events": st.lists(st.tuples(busy, st.sets(st.integers(0, 3)), st.sets(st.integers(0, 2)),
                                 st.booleans()), max_size=5),
    "absences": st.lists(st.tuples(busy, st.integers(0, 3)), max_size=3),
    "hours": st.one_of(st.none(), st.integers(1, 5)),
    "days": st.integers(1, 2),
    "instructors": st.integers(1, 2),
    "interpreters": st.integers(0, 1),
    "units": st.integers(0, 2),
})


def _build(s: Session, world: Any, cal: dict[str, Any]) -> list[int]:
    staff = [StaffMember(name=f"Oracle {n}", skills=sorted(sk)) for n, sk in enumerate(cal["skills"])]
    s.add_all(staff)
    s.flush()
    ids = [p.id for p in staff]
    units = world.ids["units_PL"]
    for (day, hour, hours), people, machines, cancelled in cal["events"]:
        start = _local(day, hour)
        e = ServiceEvent(kind="joint_training", title="oracle", country_code="PL", system_id=world.ids["k9"],
                         starts_at=start, ends_at=start + dt.timedelta(hours=hours), timezone="Europe/Warsaw",
                         status="cancelled" if cancelled else "planned")
        s.add(e)
        s.flush()
        s.add_all([EventStaff(event_id=e.id, staff_id=ids[i]) for i in people if i < len(ids)])
        s.add_all([EventUnit(event_id=e.id, unit_id=units[i]) for i in machines])
    for (day, hour, hours), who in cal["absences"]:
        if who < len(ids):
            start = _local(day, hour)
            s.add(StaffUnavailability(staff_id=ids[who], starts_at=start,
                                      ends_at=start + dt.timedelta(hours=hours), reason="leave"))
    s.flush()
    return ids


def _away(s: Session, staff_id: int, start: dt.datetime, end: dt.datetime) -> bool:
    return s.scalar(select(sa.func.count()).select_from(StaffUnavailability).where(
        StaffUnavailability.staff_id == staff_id, StaffUnavailability.starts_at < end,
        StaffUnavailability.ends_at > start)) > 0


def _oracle_slots(cal: dict[str, Any]) -> list[tuple[dt.datetime, dt.datetime]]:
    if cal["hours"]:
        return [(_local(d, h), _local(d, h) + dt.timedelta(hours=cal["hours"]))
                for d in range(5) for h in range(8, 17 - cal["hours"] + 1)]
    return [(_local(d, 8), _local(d + cal["days"] - 1, 17)) for d in range(5 - cal["days"] + 1)]


def _feasible(s: Session, world: Any, ids: list[int], cal: dict[str, Any], start: dt.datetime,
              end: dt.datetime, skills: dict[int, set[str]]) -> bool:
    clash = find_conflicts(s, windows=[(start, end)], staff_ids=ids, unit_ids=world.ids["units_PL"])
    taken = {(c["resource"], c["id"]) for c in clash}
    free = [i for i in ids if ("staff", i) not in taken and not _away(s, i, start, end)]
    if sum(("unit", u) not in taken for u in world.ids["units_PL"]) < cal["units"]:
        return False
    instructors = [i for i in free if "instructor:K9A1" in skills[i]]
    interpreters = [i for i in free if "interpreter:pl" in skills[i]]
    for a in itertools.combinations(instructors, cal["instructors"]):
        for b in itertools.combinations(interpreters, cal["interpreters"]):
            if not set(a) & set(b):
                return True
    return False


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(cal=calendars)
def test_the_suggester_agrees_with_the_brute_force_oracle(world, engine, cal):
    with Session(engine) as s:
        s.info[ACTOR_KEY] = (None, "test")
        ids = _build(s, world, cal)
        skills = {i: set(sk) for i, sk in zip(ids, cal["skills"], strict=True)}
        requirements = [{"skill": "instructor:K9A1", "count": cal["instructors"]}]
        if cal["interpreters"]:
            requirements.append({"skill": "interpreter:pl", "count": cal["interpreters"]})
        data = SuggestSchema().load({
            "kind": "trial_run", "country": "PL", "system": world.ids["k9"],
            **({"duration_hours": cal["hours"]} if cal["hours"] else {"duration_days": cal["days"]}),
            "earliest_start": "2030-03-04", "latest_end": "2030-03-09T00:00:00+01:00",
            "requirements": requirements, "units": {"count": cal["units"]}})
        # Only the people of this calendar: others' skills are hidden from the suggester.
        s.execute(sa.update(StaffMember).where(StaffMember.id.not_in(ids)).values(active=False))
        answer = suggest(session=s, data=data, now=NOW)
        slots = [w for w in _oracle_slots(cal) if _feasible(s, world, ids, cal, *w, skills)]
        proposals = answer["proposals"]
        assert bool(proposals) == bool(slots), (answer, slots)
        if slots:
            first_day = slots[0][0].astimezone(WARSAW).date()
            assert proposals[0]["starts_at"].astimezone(WARSAW).date() == first_day
        else:
            assert answer["unmet"]
        for p in proposals:
            start, end = p["starts_at"], p["ends_at"]
            assert (start, end) in _oracle_slots(cal)
            people = [x["id"] for x in p["staff"]]
            assert len(people) == len(set(people)) == cal["instructors"] + cal["interpreters"]
            assert all(x["skill"] in skills[x["id"]] for x in p["staff"])
            assert len(p["units"]) == cal["units"]
            assert not find_conflicts(s, windows=[(start, end)], staff_ids=people,
                                      unit_ids=[u["id"] for u in p["units"]])
            assert not any(_away(s, i, start, end) for i in people)
        s.rollback()
