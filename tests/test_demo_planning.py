"""Demo planning data: skills for every system and buyer language, a few leaves clear of
bookings, and the issue's scenario (two K9A1 instructors for Poland) answered by a suggestion."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session

from models import StaffMember
from service.domain.planning.suggest import suggest
from service.schemas.planning import SKILL_RE, SuggestSchema
from tests.conftest import DEMO_DAY

TODAY = DEMO_DAY  # the day `demo_small` is seeded as of


def test_demo_staff_have_skills_leaves_and_a_suggestion_for_poland(engine, demo_small):
    with engine.connect() as conn:
        skills = {s for (row,) in conn.execute(sa.select(StaffMember.skills)) for s in row}
        assert all(SKILL_RE.match(s) for s in skills)
        systems = set(conn.scalars(sa.text("SELECT code FROM weapon_system")))
        assert {f"instructor:{code}" for code in systems} <= skills
        assert {"interpreter:pl", "interpreter:no", "interpreter:ro", "interpreter:ar",
                "interpreter:en"} <= skills
        assert any(s.startswith("technician:") for s in skills)
        leaves = conn.execute(sa.text("SELECT staff_id, starts_at, ends_at FROM staff_unavailability")).all()
        assert len(leaves) >= 4
        clashes = conn.scalar(sa.text(
            "SELECT count(*) FROM staff_unavailability u JOIN event_staff es ON es.staff_id = u.staff_id "
            "JOIN service_event e ON e.id = es.event_id WHERE e.status != 'cancelled' "
            "AND e.starts_at < u.ends_at AND e.ends_at > u.starts_at"))
        assert clashes == 0
        k9 = conn.scalar(sa.text("SELECT id FROM weapon_system WHERE code = 'K9A1'"))
    with Session(engine) as s:
        start = dt.datetime.combine(TODAY + dt.timedelta(days=7), dt.time(), dt.UTC)
        request = SuggestSchema().load({
            "kind": "joint_training", "country": "PL", "system": k9, "duration_days": 2,
            "earliest_start": start.isoformat(), "latest_end": (start + dt.timedelta(days=90)).isoformat(),
            "requirements": [{"skill": "instructor:K9A1", "count": 2},
                             {"skill": "interpreter:pl", "count": 1}],
            "units": {"count": 2}})
        answer = suggest(session=s, now=dt.datetime.combine(TODAY, dt.time(), dt.UTC), data=request)
    assert answer["proposals"], answer["unmet"]
    first = answer["proposals"][0]
    assert sorted(x["skill"] for x in first["staff"]) == [
        "instructor:K9A1", "instructor:K9A1", "interpreter:pl"]
    assert len(first["units"]) == 2
