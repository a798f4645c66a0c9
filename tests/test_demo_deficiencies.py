"""Demo fleet quality: a history for every unit, availability like a real fleet's, reports in
every state with each disposition, numbers consecutive per country and year."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session

from service.domain.deficiencies import readiness
from tests.conftest import DEMO_DAY

TODAY = DEMO_DAY  # the day `demo_small` is seeded as of


def test_demo_fleet_looks_real(engine, demo_small):
    with engine.connect() as conn:
        units = conn.scalar(sa.text("SELECT count(*) FROM unit"))
        first_rows = conn.scalar(sa.text("SELECT count(*) FROM unit_status_change WHERE from_status IS NULL"))
        assert units and first_rows == units
        mismatched = conn.scalar(sa.text(
            "SELECT count(*) FROM unit u WHERE u.status != (SELECT c.to_status FROM unit_status_change c "
            "WHERE c.unit_id = u.id ORDER BY c.at DESC, c.id DESC LIMIT 1)"))
        assert mismatched == 0  # the history ends where each unit stands
        states = dict(conn.execute(sa.text(
            "SELECT status, count(*) FROM deficiency_report GROUP BY status")).all())
        dispositions = {r[0] for r in conn.execute(sa.text(
            "SELECT DISTINCT disposition FROM deficiency_report WHERE status = 'closed'"))}
        numbers = conn.execute(sa.text("SELECT country_code, year, seq, last FROM deficiency_report "
                                       "JOIN deficiency_counter USING (country_code, year)")).all()
        filed = conn.execute(sa.text("SELECT country_code, year, seq FROM deficiency_report "
                                     "ORDER BY submitted_at, id")).all()
    assert {"closed", "resolved", "awaiting_buyer", "investigating"} <= set(states)
    assert dispositions >= {"repaired", "replaced", "credited", "no_fault_found", "rejected"}
    assert all(seq <= last for _c, _y, seq, last in numbers)
    last_seen: dict[tuple[str, int], int] = {}
    for code, year, seq in filed:  # each country's numbers follow the order the reports were filed
        assert seq == last_seen.get((code, year), 0) + 1, (code, year, seq)
        last_seen[code, year] = seq
    now = dt.datetime.combine(TODAY, dt.time(12), dt.UTC)
    with Session(engine) as s:
        rows = readiness.figures(session=s, period_from="2025-07", period_to="2026-05", now=now)["rows"]
    by_country: dict[str, list[float]] = {}
    for r in rows:
        if r["availability"] is not None and r["unit_days"] > 100:
            by_country.setdefault(r["country"], []).append(r["availability"])
    means = {c: sum(v) / len(v) for c, v in by_country.items()}
    assert len(means) >= 5 and all(72 <= m <= 98 for m in means.values()), means


def test_demo_reports_closed_lately_were_surveyed_on_their_handling(engine, demo_small):  # the last 120 days
    from service.domain import satisfaction

    with engine.connect() as conn:
        unsurveyed = conn.scalar(sa.text(
            "SELECT count(*) FROM deficiency_report r WHERE r.status = 'closed' AND r.closed_at > :since "
            "AND NOT EXISTS (SELECT 1 FROM survey s WHERE s.deficiency_id = r.id)"),
            {"since": dt.datetime(2026, 2, 20) if engine.dialect.name == "sqlite"
             else dt.datetime(2026, 2, 20, tzinfo=dt.UTC)})
    assert unsurveyed == 0
    with Session(engine) as s:
        services = satisfaction.figures(session=s, period_from="2025-07", period_to="2026-06")
        handling = satisfaction.figures(session=s, period_from="2025-07", period_to="2026-06",
                                        handling=True)
        total = s.execute(sa.text("SELECT count(*) FROM survey_response WHERE period BETWEEN "
                                  "'2025-07' AND '2026-06'")).scalar_one()
    assert handling["responses"] >= 10 and handling["csat"] is not None
    assert services["responses"] + handling["responses"] == total  # apart, each counted once


def test_seeded_on_the_day_itself_nothing_happens_after_the_moment_of_seeding(engine, world):
    """Seeded as of today (the demo's first start), no report is acknowledged, resolved or
    closed, no message written and no survey sent later than the moment the seed ran."""
    import random

    from models import utcnow
    from service.domain.demo_deficiencies import seed_deficiencies

    started = utcnow()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE unit SET status = 'under_repair' WHERE id % 2 = 0"))
        # a repair every few weeks, so some end near today, and half the units down since days
        seed_deficiencies(conn, rng=random.Random(7), today=started.date(), report_share=1.0,
                          repair_gap_days=10)
    finished, latest = utcnow(), []
    with engine.connect() as conn:
        for table, column in (("deficiency_report", "submitted_at"), ("deficiency_report", "acknowledged_at"),
                              ("deficiency_report", "resolved_at"), ("deficiency_report", "closed_at"),
                              ("deficiency_message", "created_at"), ("survey", "sent_at"),
                              ("survey", "answered_at"), ("unit_status_change", "at")):
            value = conn.scalar(sa.text(f"SELECT max({column}) FROM {table}"))  # noqa: S608 - constants
            latest.append((table, column, value))
    assert all(v is not None for t, c, v in latest if c != "answered_at"), latest
    too_late = [(t, c, v) for t, c, v in latest if v is not None and str(v)[:26] > finished.strftime(
        "%Y-%m-%d %H:%M:%S.%f")]
    assert too_late == []
