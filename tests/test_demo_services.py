"""The demo data's services: a believable year, without double bookings."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from service.domain import demo


def test_demo_year_of_services_without_overlaps(engine):
    demo.seed(engine, size="small", today=dt.date(2026, 6, 1))
    with engine.connect() as conn:
        statuses = dict(conn.execute(
            sa.text("SELECT status, count(*) FROM service_event GROUP BY status")).all())
        assert sum(statuses.values()) == demo.SIZES["small"].events
        assert statuses["postponed"] == 1
        assert {"completed", "cancelled", "planned", "confirmed"} <= set(statuses)
        assert conn.execute(sa.text(
            "SELECT count(*) FROM service_event WHERE status = 'completed' "
            "AND (participants_actual IS NULL OR outcome IS NULL)")).scalar() == 0
        assert conn.execute(sa.text(
            "SELECT count(*) FROM service_event WHERE status = 'cancelled' AND cancel_reason IS NULL")
        ).scalar() == 0
        for link in ("event_staff", "event_unit"):
            column = "staff_id" if link == "event_staff" else "unit_id"
            clashes = conn.execute(sa.text(
                f"SELECT count(*) FROM {link} a JOIN {link} b ON a.{column} = b.{column} "  # noqa: S608
                "AND a.event_id < b.event_id "
                "JOIN service_event x ON x.id = a.event_id JOIN service_event y ON y.id = b.event_id "
                "WHERE x.status != 'cancelled' AND y.status != 'cancelled' "
                "AND x.starts_at < y.ends_at AND y.starts_at < x.ends_at")).scalar()
            assert clashes == 0, link
        assert conn.execute(sa.text("SELECT count(*) FROM staff_member")).scalar() == 12
        pending = "SELECT count(*) FROM service_request WHERE status = 'pending'"
        assert conn.execute(sa.text(pending)).scalar() == 2
        # Units of a trial run belong to the event's country and system.
        assert conn.execute(sa.text(
            "SELECT count(*) FROM event_unit eu JOIN unit u ON u.id = eu.unit_id "
            "JOIN service_event e ON e.id = eu.event_id "
            "WHERE u.country_code != e.country_code OR u.system_id != e.system_id")).scalar() == 0


def _readiness(engine, today: dt.date) -> list:
    from sqlmodel import Session

    from service.domain.deficiencies import readiness

    now = dt.datetime.combine(today, dt.time(), dt.UTC)
    with Session(engine) as s:
        return readiness.figures(session=s, period_from="2025-07", period_to="2026-05", now=now)["rows"]


def test_demo_years_keeps_exactly_the_last_years_of_the_full_history(engine, monkeypatch):
    from tests.conftest import clean

    monkeypatch.setitem(demo.SIZES, "three", demo.Size("three", 0, 11, 14, 0, events=400, event_years=3))
    today = dt.date(2026, 6, 1)
    recent = ("SELECT starts_at, country_code, title, status FROM service_event "
              "WHERE starts_at >= '2025-06-01' ORDER BY starts_at, id")
    demo.seed(engine, size="three", today=today)
    full_readiness = _readiness(engine, today)
    with engine.connect() as conn:
        full = conn.execute(sa.text(recent)).all()
        assert conn.scalar(sa.text("SELECT count(*) FROM service_event")) > len(full)
    clean(engine)
    demo.seed(engine, size="three", today=today, years=1)
    with engine.connect() as conn:
        assert conn.execute(sa.text(recent)).all() == full
        assert conn.scalar(sa.text("SELECT count(*) FROM service_event")) == len(full)
        for table in ("survey", "survey_response", "corrective_action", "event_staff", "event_unit"):
            orphans = conn.scalar(sa.text(
                f"SELECT count(*) FROM {table} t LEFT JOIN service_event e ON e.id = t.event_id "  # noqa: S608
                "WHERE e.id IS NULL AND t.event_id IS NOT NULL"))  # none: a deficiency report's
            assert orphans == 0, table
    # the fleet's history keeps each unit's status when the kept year begins: same readiness
    assert _readiness(engine, today) == full_readiness
