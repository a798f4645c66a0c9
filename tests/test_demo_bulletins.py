"""Demo service bulletins: a handful across systems, released to the countries operating them,
acknowledged by most, with partial compliance — and the same figures through the API."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session

from service.domain.bulletins import compliance
from tests.conftest import DEMO_DAY

TODAY = DEMO_DAY  # the day `demo_small` is seeded as of


def test_demo_bulletins_look_real(engine, demo_small):
    with engine.connect() as conn:
        kinds = dict(conn.execute(sa.text("SELECT kind, count(*) FROM service_bulletin GROUP BY kind")).all())
        systems = conn.scalar(sa.text("SELECT count(DISTINCT system_id) FROM service_bulletin"))
        released = conn.scalar(sa.text("SELECT count(DISTINCT country_code) FROM bulletin_release"))
        foreign = conn.scalar(sa.text(
            "SELECT count(*) FROM bulletin_release r JOIN service_bulletin b ON b.id = r.bulletin_id "
            "WHERE NOT EXISTS (SELECT 1 FROM unit u WHERE u.country_code = r.country_code "
            "AND u.system_id = b.system_id)"))
        statuses = dict(conn.execute(sa.text(
            "SELECT status, count(*) FROM bulletin_compliance GROUP BY status")).all())
        wrong_country = conn.scalar(sa.text(
            "SELECT count(*) FROM bulletin_compliance c JOIN unit u ON u.id = c.unit_id "
            "WHERE u.country_code != c.country_code"))
    assert set(kinds) == {"safety", "mandatory", "recommended", "information"} and systems >= 2
    assert released >= 3 and foreign == 0  # released to the countries operating the system only
    assert statuses.get("done", 0) > 0 and statuses.get("not_applicable", 0) >= 0
    assert wrong_country == 0
    now = dt.datetime.combine(TODAY, dt.time(12), dt.UTC)
    with Session(engine) as s:
        figures = compliance.figures(session=s, now=now)
    assert any(0 < f["done"] < f["units"] for f in figures)  # partial compliance
    assert any(f["pending"] for f in figures) and any(f["acknowledged"] < f["released"] for f in figures)
