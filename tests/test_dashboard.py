"""A country's status summary and the countries side by side (service.domain.dashboard)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from models import Country
from service.core.db import SCOPE_KEY
from service.domain import dashboard
from tests.conftest import QueryCounter
from tests.factories import add_overview_data


def test_status_endpoint_summarises_the_country(client, world, engine):
    add_overview_data(engine, world)
    r = client.get("/api/v1/countries/pl/status", headers=world.headers("pl"))
    assert r.status_code == 200
    body = r.get_json()
    assert body["country"] == {"code": "PL", "name": "Poland", "timezone": "Europe/Warsaw", "active": True}
    assert {f["system_code"]: f["delivered"] for f in body["fleet"]} == {"K9A1": 3, "K2": 0}
    assert [e["title"] for e in body["next_services"]] == ["Fire direction course PL",
                                                         "Maintenance education PL"]
    assert body["next_services"][0]["starts_at"].endswith("+00:00")
    assert [e["title"] for e in body["completed_services"]] == ["Crew conversion PL", "Gunnery drill PL"]
    assert body["open_requests"]["total"] == 1
    assert body["open_requests"]["items"][0]["kind"] == "trial_run"
    actions = body["open_actions"]
    assert actions["total"] == actions["overdue"] == 1 and actions["items"][0]["overdue"] is True
    assert "internal_notes" not in actions["items"][0] and "internal only" not in r.get_data(as_text=True)
    assert body["surveys_waiting"]["total"] == 1
    assert body["surveys_waiting"]["items"][0]["event_title"] == "Crew conversion PL"
    assert "tok-" not in r.get_data(as_text=True)  # survey tokens are not a dashboard's business
    assert [rep["revision"] for rep in body["reports"]] == [1]  # the failed one is not listed
    sat = body["satisfaction"]
    assert (sat["responses"], sat["surveys_sent"], sat["csat"], sat["nps"]) == (1, 2, 100.0, 100.0)
    assert len(sat["by_month"]) == 12 and sat["from"] < sat["to"]


def test_a_liaison_gets_404_for_another_countrys_status(client, world, engine):
    add_overview_data(engine, world)
    foreign = client.get("/api/v1/countries/NO/status", headers=world.headers("pl"))
    missing = client.get("/api/v1/countries/ZZ/status", headers=world.headers("pl"))
    assert foreign.status_code == missing.status_code == 404
    assert client.get("/api/v1/countries/NO/status", headers=world.headers("staff")).status_code == 200


def test_overview_costs_a_fixed_number_of_queries(world, engine):
    now = dt.datetime.now(dt.UTC)

    def count() -> int:
        with Session(engine) as s:
            poland = s.get(Country, "PL")
            with QueryCounter(engine) as q:
                dashboard.country_overview(session=s, country=poland, now=now)
        return q.count

    empty = count()
    add_overview_data(engine, world, now=now)
    assert count() == empty == 11  # 7, 1 for the deficiency figures, 1 for their handling surveys,
    # 2 for training and packages


def _sections(statements: list[str]) -> list[str]:
    """The statements of a request but the caller's own look-up (their token and account)."""
    return [s for s in statements if "api_token" not in s and "app_user" not in s]


def test_the_dashboard_takes_eight_statements_and_one_for_deficiencies(app, client, world, engine):
    add_overview_data(engine, world)
    for path, who in (("/api/v1/countries/PL/status", "pl"), ("/api/v1/countries/PL/status", "staff")):
        client.get(path, headers=world.headers(who))
        with QueryCounter(engine) as q:
            assert client.get(path, headers=world.headers(who)).status_code == 200
        assert len(_sections(q.statements)) == 8 + 1 + 1 + 2, q.statements  # defects, handling, training


def test_a_liaisons_scope_reaches_every_statement_of_the_dashboard(world, engine):
    """Asked for another country's overview, a liaison's session finds nothing in any section:
    the scope reaches the unions, subqueries and windows as it reaches a plain select."""
    add_overview_data(engine, world)
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as s:
        norway = s.get(Country, "NO")
        staff = dashboard.country_overview(session=s, country=norway, now=now)
        s.info[SCOPE_KEY] = "PL"
        seen = dashboard.country_overview(session=s, country=norway, now=now)
    assert staff["fleet"] and staff["next_services"] and staff["completed_services"]
    assert staff["open_actions"]["total"] and staff["surveys_waiting"]["total"] and staff["reports"]
    assert staff["satisfaction"]["responses"] and staff["open_requests"]["total"]
    assert seen["fleet"] == seen["next_services"] == seen["completed_services"] == seen["reports"] == []
    assert seen["open_requests"] == seen["surveys_waiting"] == {"total": 0, "items": []}
    assert seen["open_actions"] == {"total": 0, "overdue": 0, "items": []}
    assert (seen["satisfaction"]["responses"], seen["satisfaction"]["surveys_sent"]) == (0, 0)


def test_a_liaisons_dashboard_counts_only_their_country(app, client, world, engine, monkeypatch):
    add_overview_data(engine, world)
    as_liaison = client.get("/api/v1/countries/PL/status", headers=world.headers("pl")).get_json()
    as_staff = client.get("/api/v1/countries/PL/status", headers=world.headers("staff")).get_json()
    for body in (as_liaison, as_staff):
        body.pop("generated_at")
    assert as_liaison == as_staff
    assert as_liaison["open_requests"]["total"] == as_liaison["surveys_waiting"]["total"] == 1
    assert client.get("/api/v1/countries/NO/status", headers=world.headers("pl")).status_code == 404


def test_countries_side_by_side_sorts_and_respects_the_scope(world, engine):
    add_overview_data(engine, world)
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as s:
        with QueryCounter(engine) as q:
            rows = dashboard.countries_at_a_glance(session=s, now=now)
        assert q.count <= 8
        assert [r["code"] for r in rows] == ["NO", "PL"]  # by name: Norway, Poland
        pl = rows[1]
        assert (pl["csat"], pl["nps"], pl["overdue_actions"], pl["fleet"]) == (100.0, 100.0, 1, 3)
        assert pl["next_service"] > now and pl["next_service"].tzinfo is not None
        assert [r["code"] for r in dashboard.countries_at_a_glance(session=s, now=now, sort="-csat")] \
            == ["PL", "NO"]
        assert [r["code"] for r in dashboard.countries_at_a_glance(session=s, now=now, sort="nps")] \
            == ["NO", "PL"]
        s.info[SCOPE_KEY] = "PL"
        assert [r["code"] for r in dashboard.countries_at_a_glance(session=s, now=now)] == ["PL"]


def test_sort_puts_missing_figures_last_and_ignores_unknown_keys():
    rows = [{"name": "B", "csat": None}, {"name": "A", "csat": 50.0}, {"name": "C", "csat": 90.0}]
    assert [r["name"] for r in dashboard.sort_rows(rows, "-csat")] == ["C", "A", "B"]
    assert [r["name"] for r in dashboard.sort_rows(rows, "csat")] == ["A", "C", "B"]
    assert [r["name"] for r in dashboard.sort_rows(rows, "password")] == ["A", "B", "C"]


def test_odd_country_codes_are_404_not_errors(client, world):
    for code in ("%00", "P%00", "x" * 300, "1A", "ÅÅ"):
        r = client.get(f"/api/v1/countries/{code}/status", headers=world.headers("staff"))
        assert r.status_code == 404, code
