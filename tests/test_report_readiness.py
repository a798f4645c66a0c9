"""The monthly reports' readiness and fleet, as of the period's end: every figure equals the
API's (`GET /readiness`, `GET /countries/{code}/fleet?as_of=`, `GET /deficiencies`) for the
same filters, and a past month regenerated later gives the same figures."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlmodel import Session

from models import DeficiencyReport, Unit, User
from service.core.auth import principal_for_user
from service.core.db import session_scope
from service.domain import periods, report_data
from service.domain.deficiencies import history, lifecycle
from tests import factories

PERIOD = "2026-10"
START, END = periods.bounds(PERIOD)
LATER = dt.datetime(2026, 12, 1, 6, tzinfo=dt.UTC)


def _at(day: str, hour: int = 0) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


def _status(engine, unit_id: int, status: str, at: dt.datetime) -> None:
    with session_scope(engine) as s:
        history.set_status(session=s, unit=s.get(Unit, unit_id), status=status, at=at)


def _move(engine, world, report_id: int, status: str, at: dt.datetime, **extra) -> None:
    with Session(engine) as s:
        actor = principal_for_user(s.get(User, world.ids["user_staff"]))
        lifecycle.transition(session=s, report=s.get(DeficiencyReport, report_id), actor=actor,
                             status=status, now=at, **extra)


def _country(engine, now: dt.datetime = LATER) -> dict:
    with Session(engine) as s:
        return report_data.country_monthly(session=s, country_code="PL", period=PERIOD, now=now,
                                           revision=1, marking="UNCLASSIFIED")


def _hq(engine, now: dt.datetime = LATER) -> dict:
    with Session(engine) as s:
        return report_data.hq_monthly(session=s, period=PERIOD, now=now, revision=1,
                                      marking="UNCLASSIFIED", timezone="UTC")


def _k9(fleet: list[dict]) -> dict:
    return next(line for line in fleet if line["system_code"] == "K9A1")


@pytest.fixture
def october(engine, world):
    """Poland's K9s in October 2026: one down from 21 October (and back on 3 November), one
    that broke only on 5 November; three reports filed in October, one acknowledged late, one
    resolved on time, one critical left overdue."""
    first, second, _third = world.ids["units_PL"]
    _status(engine, first, "under_repair", _at("2026-10-21"))
    _status(engine, first, "operational", _at("2026-11-03"))
    _status(engine, second, "non_operational", _at("2026-11-05"))
    major = factories.add_deficiency(engine, world, now=_at("2026-10-02", 8))
    _move(engine, world, major, "acknowledged", _at("2026-10-02", 10))  # 2 h: on time
    _move(engine, world, major, "investigating", _at("2026-10-03"))
    _move(engine, world, major, "resolved", _at("2026-10-20"), disposition="repaired",
          resolution="Buffer replaced")
    minor = factories.add_deficiency(engine, world, severity="minor", now=_at("2026-10-05"))
    _move(engine, world, minor, "acknowledged", _at("2026-10-15"))  # 10 days: late (120 h)
    critical = factories.add_deficiency(engine, world, category="safety", severity=None,
                                        now=_at("2026-10-10"))  # never acknowledged
    return {"major": major, "minor": minor, "critical": critical}


def test_the_fleet_counts_statuses_as_of_the_periods_end(client, world, engine, october):
    report = _country(engine)
    k9 = _k9(report["fleet"])
    # the unit down on 31 October is under repair; the one that broke in November is not
    assert (k9["delivered"], k9["operational"], k9["under_repair"], k9["non_operational"]) == (3, 2, 1, 0)
    assert report["as_of"] == "2026-10-31"
    api = client.get("/api/v1/countries/PL/fleet", headers=world.headers("pl"),
                     query_string={"as_of": "2026-10-31"})
    assert api.status_code == 200 and api.get_json() == report["fleet"]
    now = _k9(client.get("/api/v1/countries/PL/fleet", headers=world.headers("pl")).get_json())
    assert (now["operational"], now["under_repair"], now["non_operational"]) == (2, 0, 1)
    # regenerated months later, after more changes, the October report is the same
    _status(engine, world.ids["units_PL"][2], "under_repair", _at("2026-11-20"))
    again = _country(engine, now=dt.datetime(2027, 3, 1, tzinfo=dt.UTC))
    assert again["fleet"] == report["fleet"] and again["readiness"] == report["readiness"]


def test_the_readiness_section_equals_get_readiness(client, world, engine, october):
    section = _country(engine)["readiness"]
    api = client.get("/api/v1/readiness", headers=world.headers("pl"),
                     query_string={"from": section["from"], "to": section["to"]}).get_json()
    assert (api["from"], api["to"]) == ("2025-11", PERIOD)
    by_period = {r["period"]: r for r in api["countries"]}
    assert [m["period"] for m in section["by_month"]] == periods.between("2025-11", PERIOD)
    for month in section["by_month"]:
        row = by_period.get(month["period"])
        if row is None:  # no unit-day nor report that month: the section shows zeros and blanks
            assert month["unit_days"] == 0 and month["availability"] is None
            continue
        assert {k: month[k] for k in report_data.READINESS_FIGURES} == \
            {k: row[k] for k in report_data.READINESS_FIGURES}, month["period"]
        assert month["availability_target"] == row["availability_target"]
    month = section["month"]
    # hand-computed: 3 units × 31 days, one under repair from the 21st (11 days)
    assert month["unit_days"] == 93.0 and month["availability"] == round(100 * 82 / 93, 1)
    assert month["units_down"] == 1 and month["under_target"] is False
    # the critical report's resolution was due on 17 October and missed
    assert (month["reports_opened"], month["reports_resolved"], month["reports_overdue"]) == (3, 1, 1)
    assert (month["reports_acknowledged"], month["acknowledged_on_time"]) == (2, 50.0)
    assert month["resolved_on_time"] == 100.0
    assert section["critical_overdue"] == 1
    # every per-system row sums to the country's
    k9_rows = [r for r in api["rows"] if r["period"] == PERIOD]
    assert sum(r["reports_opened"] for r in k9_rows) == month["reports_opened"]


def test_the_rendered_pdfs_show_the_readiness_figures(client, world, engine, october, monkeypatch):
    staff = world.headers("staff")
    r = client.post("/api/v1/reports", json={"period": PERIOD, "country": "PL"}, headers=staff)
    assert r.status_code == 201, r.get_json()
    pdf = client.get(r.get_json()["pdf_url"], headers=staff).data
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(pdf)).pages)
    ready = text[text.index("6. Fleet readiness"):]
    availability = f"{round(100 * 82 / 93, 1)}%"
    assert availability in ready and "target 85.0%" in ready
    assert "CRITICAL OVERDUE 1" in ready
    assert f"{PERIOD} {availability} 93 1" in ready  # the month's row: availability, whole unit-days, down
    assert "50.0% of 2" in ready  # the on-time share with its n
    assert "93 unit-days in" in ready and "under repair or not operational at the end of 2026-10-31" in ready
    fleet = text[text.index("2. Fleet"):text.index("3. Services")]
    assert "K9A1 K9A1 Thunder 5 3 2 1 0" in fleet and "As of 2026-10-31" in fleet

    r = client.post("/api/v1/reports", json={"period": PERIOD}, headers=staff)
    assert r.status_code == 201, r.get_json()
    pdf = client.get(r.get_json()["pdf_url"], headers=staff).data
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(pdf)).pages)
    assert "1 overdue critical deficiency report" in text
    ready = text[text.index("4. Fleet readiness"):]
    assert f"PL Poland {availability}" in ready


def test_hq_needs_attention_under_target_or_with_an_overdue_critical_report(client, world, engine,
                                                                              october):
    # Norway: a unit down the whole month puts it under its target
    _status(engine, world.ids["units_NO"][0], "non_operational", _at("2026-09-15"))
    r = client.put("/api/v1/countries/NO/sla", json={"availability_target": 90},
                   headers=world.headers("staff", **{"If-Match": "*"}))
    assert r.status_code == 200, r.get_json()
    hq = _hq(engine)
    rows = {r["code"]: r for r in hq["countries"]}
    no, pl = rows["NO"], rows["PL"]
    assert no["readiness"]["availability"] == round(100 * 2 / 3, 1)
    assert no["readiness"]["availability_target"] == 90.0 and no["readiness"]["under_target"]
    assert "availability 66.7% below its 90% target" in no["reasons"] and no["critical_overdue"] == 0
    assert pl["critical_overdue"] == 1 and "1 overdue critical deficiency report" in pl["reasons"]
    assert {r["code"] for r in hq["attention"]} == {"PL", "NO"}
    api = client.get("/api/v1/readiness", headers=world.headers("staff"),
                     query_string={"from": PERIOD, "to": PERIOD}).get_json()["countries"]
    for row in api:
        assert {k: rows[row["country"]]["readiness"][k] for k in report_data.READINESS_FIGURES} == \
            {k: row[k] for k in report_data.READINESS_FIGURES}
    # for the month not over yet, the overdue critical reports are the API's overdue list
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as s:
        current = report_data.hq_monthly(session=s, period=periods.of(now), now=now, revision=1,
                                         marking="UNCLASSIFIED", timezone="UTC")
    listed = client.get("/api/v1/deficiencies", headers=world.headers("staff"),
                        query_string={"severity": "critical", "overdue": "true",
                                      "country": "PL"}).get_json()
    assert next(r for r in current["countries"] if r["code"] == "PL")["critical_overdue"] == len(listed) == 1
