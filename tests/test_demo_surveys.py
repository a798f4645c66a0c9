"""Demo surveys: one per completed event, a believable spread, Egypt slipping lately."""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa
from sqlmodel import Session

from models import EventStaff, ServiceEvent, StaffMember
from service.core.db import writer
from service.domain import demo, periods, satisfaction
from tests.conftest import DEMO_DAY, rows

TODAY = DEMO_DAY  # the day `demo_small` is seeded as of


def _completed_events(engine, per_country: int = 60) -> int:
    """Completed events over the last year for three demo countries, half with a lead."""
    rng = random.Random(3)
    with engine.begin() as conn:
        system_id = conn.scalar(sa.text("SELECT id FROM weapon_system WHERE code = 'K9A1'"))
        staff = conn.execute(sa.insert(StaffMember.__table__).returning(StaffMember.__table__.c.id),
                             {"name": "Jung Hae-in", "skills": [], "active": True, "version": 1,
                              "created_at": dt.datetime.now(dt.UTC)}).scalar_one()
        events = []
        for code in ("AU", "EG", "PL"):
            for n in range(per_country):
                ends = dt.datetime.combine(TODAY - dt.timedelta(days=2 + n * 6), dt.time(9),
                                           tzinfo=dt.UTC)
                events.append({"kind": rng.choice(["joint_training", "tech_education", "trial_run"]),
                               "title": f"{code} course {n}", "country_code": code,
                               "system_id": system_id, "starts_at": ends - dt.timedelta(days=2),
                               "ends_at": ends, "timezone": "UTC", "location": "Range",
                               "objectives": "", "status": "completed", "completed_at": ends,
                               "version": 1, "created_at": ends, "updated_at": ends})
        conn.execute(sa.insert(ServiceEvent.__table__), events)
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM service_event ORDER BY id"))]
        ids = ids[-len(events):]  # the ones just added
        conn.execute(sa.insert(EventStaff.__table__),
                     [{"event_id": i, "staff_id": staff, "is_lead": True} for i in ids[::2]])
    return len(ids)


def _services(engine, table: str) -> int:
    """Rows about services (the surveys on closed deficiency reports name no event)."""
    with engine.connect() as conn:
        return int(conn.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE event_id IS NOT NULL")))  # noqa: S608


def test_every_completed_event_gets_a_survey_and_poor_answers_get_actions(engine, demo_small):
    with engine.connect() as conn:
        seeded = conn.scalar(sa.text("SELECT count(*) FROM service_event WHERE status = 'completed'"))
    assert seeded > 0 and _services(engine, "survey") == seeded
    added = _completed_events(engine)
    with writer(engine).begin() as conn:
        summary = demo._seed_surveys(conn, demo.SIZES["small"], random.Random(7), TODAY)
    n = seeded + added
    assert _services(engine, "survey") == n and summary.startswith(f"surveys {added},")
    answered = _services(engine, "survey_response")
    assert 0.6 * n < answered < 0.9 * n
    with engine.connect() as conn:
        poor = conn.scalar(sa.text(
            "SELECT count(*) FROM survey_response WHERE event_id IS NOT NULL AND (recommend <= 6 OR "
            "overall <= 2 OR instructors <= 2 OR timeliness <= 2 OR documentation <= 2 OR equipment <= 2)"))
        assert rows(engine, "corrective_action") == poor > 0
        assert conn.scalar(sa.text(
            "SELECT count(*) FROM survey WHERE status = 'answered' AND event_id IS NOT NULL")) == answered
        assert conn.scalar(sa.text(
            "SELECT count(*) FROM survey s JOIN survey_response r ON r.survey_id = s.id "
            "WHERE r.period <> s.period OR r.answered_at < s.sent_at")) == 0
        assert conn.scalar(sa.text(
            "SELECT count(*) FROM survey WHERE status = 'sent' AND expires_at < :now"),
            {"now": "2026-06-15"}) == 0
        owned = conn.scalar(sa.text(
            "SELECT count(*) FROM corrective_action a JOIN event_staff l ON l.event_id = a.event_id "
            "WHERE a.owner_staff_id = l.staff_id"))
        assert owned > 0
    with writer(engine).begin() as conn:  # a second run finds nothing left to survey
        assert demo._seed_surveys(conn, demo.SIZES["small"], random.Random(8), TODAY) == "surveys 0"


def test_the_figures_tell_a_story(engine, demo_small):
    _completed_events(engine, per_country=60)
    with writer(engine).begin() as conn:
        demo._seed_surveys(conn, demo.SIZES["small"], random.Random(7), TODAY)
    last = periods.of(TODAY)
    with Session(engine) as s:
        def csat(country: str, first: str, to: str) -> float:
            return satisfaction.figures(session=s, country=country, period_from=first, period_to=to)["csat"]

        recent, earlier = periods.shift(last, -2), periods.shift(last, -11)
        assert csat("AU", earlier, last) > 85
        assert csat("EG", earlier, periods.shift(last, -5)) > 70
        assert csat("EG", recent, last) < 45
        nps = satisfaction.by_country(session=s, period_from=earlier, period_to=last)
        # Pleased buyers stand well clear of the slipping one (sampling noise aside)
        assert min(nps["AU"]["nps"], nps["PL"]["nps"]) > nps["EG"]["nps"] + 20
