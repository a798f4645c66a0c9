"""Readiness against hand-computed fixtures (a unit down 3 of 30 days is 90 %), and a statement
count that grows neither with the period nor with the history."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from models import Unit, UnitStatusChange
from service.core.db import session_scope
from service.domain import periods, registry
from service.domain.deficiencies import history
from tests.conftest import QueryCounter

API = "/api/v1/readiness"


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)


@pytest.fixture
def k2(world, engine):
    """A Polish K2 delivered 2024-05-01, under repair 10-13 June, down from 30 July."""
    with session_scope(engine) as s:
        unit = registry.create_unit(session=s, data={
            "serial": "K2-PL-001", "system_id": world.ids["k2"], "contract_id": world.ids["contract_PL"],
            "delivered_on": dt.date(2024, 5, 1)})
        uid = unit.id
    for status, day in (("under_repair", "2024-06-10"), ("operational", "2024-06-13"),
                        ("non_operational", "2024-07-30")):
        with session_scope(engine) as s:
            history.set_status(session=s, unit=s.get(Unit, uid), status=status, at=_at(day))
    return uid


def _rows(client, world, who="staff", **query):
    r = client.get(API, headers=world.headers(who), query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["rows"]


def test_availability_mttr_and_units_down(client, world, k2):
    rows = _rows(client, world, system=world.ids["k2"], **{"from": "2024-04", "to": "2024-08"})
    by_month = {r["period"]: r for r in rows}
    assert "2024-04" not in by_month  # not delivered yet: no unit-days
    assert by_month["2024-05"]["availability"] == 100.0
    june = by_month["2024-06"]
    assert june["availability"] == 90.0 and june["unit_days"] == 30
    assert june["mttr_hours"] == 72.0 and june["repairs"] == 1 and june["units_down"] == 0
    july = by_month["2024-07"]
    assert july["availability"] == round(100 * 29 / 31, 1) and july["units_down"] == 1
    assert july["under_target"] is False
    august = by_month["2024-08"]
    assert august["availability"] == 0.0 and august["under_target"] is True
    assert august["mttr_hours"] is None


def test_country_target_and_scope(client, world, k2):
    r = client.put("/api/v1/countries/PL/sla", json={"availability_target": 95},
                   headers=world.headers("staff", **{"If-Match": "*"}))
    assert r.status_code == 200
    (july,) = _rows(client, world, system=world.ids["k2"], **{"from": "2024-07", "to": "2024-07"})
    assert july["availability_target"] == 95.0 and july["under_target"] is True
    assert {r["country"] for r in _rows(client, world, "pl", country="NO")} == {"PL"}
    assert {r["country"] for r in _rows(client, world)} == {"PL", "NO"}


def test_deficiency_figures(client, world, engine):
    from tests import factories

    now = dt.datetime.now(dt.UTC)
    report = factories.add_deficiency(engine, world)
    month = f"{now.year:04d}-{now.month:02d}"

    def pl_row() -> dict:
        return next(r for r in _rows(client, world, country="PL", **{"from": month, "to": month})
                    if r["system_id"] == world.ids["k9"])

    row = pl_row()
    assert row["reports_opened"] == 1 and row["reports_resolved"] == 0
    assert row["acknowledged_on_time"] is None and row["reports_acknowledged"] == 0
    url = f"/api/v1/deficiencies/{report}"
    etag = client.get(url, headers=world.headers("staff")).headers["ETag"]
    r = client.post(f"{url}/transition", json={"status": "acknowledged"},
                    headers=world.headers("staff", **{"If-Match": etag}))
    assert r.status_code == 200, r.get_json()
    row = pl_row()  # the share comes with its n
    assert (row["reports_acknowledged"], row["acknowledged_on_time"]) == (1, 100.0)


def test_statements_do_not_grow_with_period_or_history(client, world, engine, k2):
    def count(**query):
        _rows(client, world, **query)  # the caller's look-ups after a change of data, once
        with QueryCounter(engine) as q:
            _rows(client, world, **query)
        return q.count

    one = count(**{"from": "2024-06", "to": "2024-06"})
    assert count(**{"from": "2023-01", "to": "2024-12"}) == one
    with session_scope(engine) as s:  # ten years of history more
        unit = s.get(Unit, k2)
        for n in range(120):
            history.set_status(session=s, unit=unit, status="under_repair" if n % 2 else "operational",
                               at=_at("2014-01-01") + dt.timedelta(days=30 * n))
    assert count(**{"from": "2024-06", "to": "2024-06"}) == one


def _spans(engine, unit_id: int) -> list[tuple[str, dt.datetime, dt.datetime | None]]:
    with session_scope(engine) as s:
        rows = s.scalars(sa.select(UnitStatusChange).where(UnitStatusChange.unit_id == unit_id)
                         .order_by(UnitStatusChange.at, UnitStatusChange.id)).all()
        return [(r.to_status, r.at, r.ended_at) for r in rows]


def test_each_change_ends_where_the_units_next_one_begins(client, world, engine, k2):
    """Recorded late (a change dated before the unit's later ones) or early (a delivery in the
    future, and a repair recorded today before it), each change ends at the next one."""
    assert _spans(engine, k2) == [("operational", _at("2024-05-01"), _at("2024-06-10")),
                                  ("under_repair", _at("2024-06-10"), _at("2024-06-13")),
                                  ("operational", _at("2024-06-13"), _at("2024-07-30")),
                                  ("non_operational", _at("2024-07-30"), None)]
    with session_scope(engine) as s:
        history.set_status(session=s, unit=s.get(Unit, k2), status="under_repair", at=_at("2024-06-01"))
    assert [end for _status, _at_, end in _spans(engine, k2)] == [
        _at("2024-06-01"), _at("2024-06-10"), _at("2024-06-13"), _at("2024-07-30"), None]
    later = dt.date.today() + dt.timedelta(days=40)
    with session_scope(engine) as s:
        unit = registry.create_unit(session=s, data={
            "serial": "K2-PL-009", "system_id": world.ids["k2"], "contract_id": world.ids["contract_PL"],
            "delivered_on": later})
        uid = unit.id
    r = client.patch(f"/api/v1/units/{uid}", json={"status": "under_repair"},
                     headers=world.headers("staff", **{"If-Match": "*"}))
    assert r.status_code == 200, r.get_json()
    (repair, repair_at, repair_end), (delivered, delivered_at, delivered_end) = _spans(engine, uid)
    assert (repair, delivered) == ("under_repair", "operational")
    assert repair_end == delivered_at == dt.datetime.combine(later, dt.time(), dt.UTC)
    assert repair_at < delivered_at and delivered_end is None


def test_units_steady_through_the_period_count_with_those_that_change(client, world, engine, k2):
    """Beside the K2 that changes, a second K2 down through the whole period (a unit steady
    through the period is counted per group, a changing one month by month): the same figures."""
    with session_scope(engine) as s:
        unit = registry.create_unit(session=s, data={
            "serial": "K2-PL-002", "system_id": world.ids["k2"], "contract_id": world.ids["contract_PL"],
            "delivered_on": dt.date(2024, 1, 1)})
        uid = unit.id
    with session_scope(engine) as s:
        history.set_status(session=s, unit=s.get(Unit, uid), status="non_operational", at=_at("2024-02-01"))

    def figures(first: str, last: str) -> dict:
        rows = _rows(client, world, system=world.ids["k2"], **{"from": first, "to": last})
        return {r["period"]: (r["unit_days"], r["availability"], r["units_down"]) for r in rows}

    assert figures("2024-06", "2024-08") == {
        "2024-06": (60, round(100 * 27 / 60, 1), 1),  # the first K2's 3 days of repair
        "2024-07": (62, round(100 * 29 / 62, 1), 2),  # the first K2 down from the 30th
        "2024-08": (62, 0.0, 2),
    }
    # May: both steady through the month, one operational (delivered on the 1st), one down
    assert figures("2024-05", "2024-05") == {"2024-05": (62, 50.0, 1)}


def test_reports_count_in_the_utc_month_of_each_date(client, world, engine):
    """A report filed half an hour before a month ends and acknowledged half an hour into the
    next: opened in the first month, acknowledged in the second (each date its own month)."""
    from models import DeficiencyReport
    from tests import factories

    report = factories.add_deficiency(engine, world, now=_at("2024-06-30T23:30:00"))
    with session_scope(engine) as s:
        row = s.get(DeficiencyReport, report)
        row.status, row.acknowledged_at = "acknowledged", _at("2024-07-01T00:30:00")
    rows = [r for r in _rows(client, world, country="PL", **{"from": "2024-06", "to": "2024-07"})
            if r["system_id"] == world.ids["k9"]]
    by_month = {r["period"]: (r["reports_opened"], r["reports_acknowledged"]) for r in rows}
    assert by_month["2024-06"] == (1, 0)
    assert by_month["2024-07"] == (0, 1)


def test_the_answer_is_the_documented_shape(client, world, k2):
    """The rows are answered as the domain builds them (no field-by-field dump): every row has
    exactly the documented fields, each a JSON value of its documented kind, and a country's
    month sums its systems' rows."""
    from marshmallow import fields

    from service.schemas.deficiencies import ReadinessCountrySchema, ReadinessRowSchema

    answer = client.get(API, headers=world.headers("staff"),
                        query_string={"from": "2024-04", "to": "2024-08"}).get_json()
    kinds = {fields.String: str, fields.Integer: int, fields.Float: (int, float), fields.Boolean: bool}
    for key, schema in (("rows", ReadinessRowSchema()), ("countries", ReadinessCountrySchema())):
        assert answer[key]
        for row in answer[key]:
            assert set(row) == set(schema.fields), key
            for name, field in schema.fields.items():
                ok = (row[name] is None and field.allow_none) or isinstance(row[name], kinds[type(field)])
                assert ok, (key, name, row[name])
    for c in answer["countries"]:
        mine = [r for r in answer["rows"] if (r["country"], r["period"]) == (c["country"], c["period"])]
        for name in ("units_down", "reports_opened", "repairs", "bulletin_units_overdue"):
            assert c[name] == sum(r[name] for r in mine), name


def test_availability_and_units_down_equal_each_units_spans_counted_one_by_one(client, world, engine):
    """Two units with histories recorded out of order (changes dated before later ones), one
    delivered mid-period: each month's unit-days, availability and units down equal the units'
    spans, each clipped to the month, counted one by one."""
    import random

    rng = random.Random(15)
    statuses = ["operational", "under_repair", "non_operational"]
    ids = []
    for n, delivered in enumerate((dt.date(2023, 3, 9), dt.date(2024, 5, 17))):
        with session_scope(engine) as s:
            unit = registry.create_unit(session=s, data={
                "serial": f"K2-PL-10{n}", "system_id": world.ids["k2"],
                "contract_id": world.ids["contract_PL"], "delivered_on": delivered})
            ids.append(unit.id)
        for _ in range(20):
            day = dt.datetime.combine(delivered, dt.time(), dt.UTC) + dt.timedelta(
                days=rng.randrange(0, 700), hours=rng.randrange(24))
            with session_scope(engine) as s:
                history.set_status(session=s, unit=s.get(Unit, ids[-1]), status=rng.choice(statuses),
                                   at=min(day, dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:
        changes = s.scalars(sa.select(UnitStatusChange).where(
            UnitStatusChange.country_code == "PL", UnitStatusChange.system_id == world.ids["k2"])).all()
        spans = []
        for uid in {c.unit_id for c in changes}:
            mine = sorted((c for c in changes if c.unit_id == uid), key=lambda c: (c.at, c.id))
            ends = [c.at for c in mine[1:]] + [None]
            spans += [(c.to_status, c.at, end) for c, end in zip(mine, ends, strict=True)]
    first, last = "2023-01", f"{now.year:04d}-{now.month:02d}"
    expected = {}
    for period in periods.between(first, last):
        ms, me = periods.bounds(period)
        mend = min(me, now)
        total = up = 0.0
        down = 0
        for status, since, until in spans:
            seconds = max(0.0, (min(until or now, mend) - max(since, ms)).total_seconds())
            total += seconds
            up += seconds if status == "operational" else 0.0
            down += status != "operational" and since < mend <= (until or now)
        if total:
            expected[period] = (round(total / 86400, 2), round(100 * up / total, 1), down)
    rows = _rows(client, world, country="PL", system=world.ids["k2"], **{"from": first, "to": last})
    answered = {r["period"]: (r["unit_days"], r["availability"], r["units_down"]) for r in rows
                if r["unit_days"]}
    assert answered.keys() == expected.keys()
    for period, (days, share, down) in expected.items():
        got = answered[period]
        assert got[0] == pytest.approx(days, abs=0.011) and got[1] == pytest.approx(share, abs=0.11), period
        assert got[2] == down, period
