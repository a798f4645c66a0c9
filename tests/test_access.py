"""The access matrix: every route in the URL map, for every kind of caller.

Routes are enumerated from the application itself, so a route added later is covered
without anyone remembering: its path parameters must be resolvable below (the test
fails until they are), and it is probed anonymously, by a liaison of another country,
and by a liaison trying to write.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from service.auth import _policy_for_request
from tests import factories

# Strings that appear only in Norway's records: none may reach the Polish liaison.
NORWAY_MARKERS = ("Norway", "NO-C-1", "K9-NO-", '"NO"', "Europe/Oslo", "no@example.org",
                  "Rena leir", "Vidar crew course", "Oslo range", "Oslo winter")


def _norway_params(world: Any) -> dict[str, Any]:
    """Path parameter -> a value that designates Norway's record (or a non-country record)."""
    return {
        "filename": "app.css",  # the pages' static files
        "code": "NO",
        "contract_id": world.ids["contract_NO"],
        "unit_id": world.ids["unit_NO"],
        "system_id": world.ids["k9"],
        "user_id": world.ids["user_no"],
        "token_id": 1,
        "survey_id": world.ids["survey_NO"],
        "action_id": world.ids["action_NO"],
        "token": world.ids["survey_token_NO"],  # a token opens its one survey to anyone holding it
        "report_id": world.ids["report_NO"],
        **factories.norway_services(world),
        **factories.norway_deficiency(world),
    }


# Routes a liaison may write to, with a body aimed at the other country.
LIAISON_WRITES: dict[str, Any] = {
    "surveys.SurveyResponseItem": {"overall": 5, "recommend": 10},
    "requests.Requests": {"country": "NO", "kind": "trial_run", "system_id": 1,
                          "wished_from": "2030-01-01", "wished_to": "2030-01-31"},
    "deficiencies.Deficiencies": {"country": "NO", "system_id": 1, "unit_ids": [1],
                                  "category": "quality", "severity": "minor", "title": "t",
                                  "description": "d"},
    "deficiencies.DeficiencyTransition": {"status": "withdrawn"},
    "deficiencies.DeficiencyMessages": {"body": "hello"},
}
# Routes a liaison may upload to (multipart), with a valid file.
LIAISON_UPLOADS = {"deficiencies.DeficiencyAttachments": lambda: {
    "file": (io.BytesIO(b"%PDF-1.7\n%%EOF\n"), "scan.pdf")}}
PUBLIC = {"health.health", "auth.TokenIssue", "public_surveys.PublicSurvey", "calendar.CalendarFeed"}
OWN_ACCOUNT_WRITES = {"me.CalendarFeedRotate"}  # acts on the caller alone (tests/test_calendar.py)


@pytest.fixture
def world(full_world):
    """The world with Norway's answered survey, its corrective action, services and reports."""
    return full_world


def _routes(app: Any) -> list[tuple[str, str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("api-docs"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, rule.rule))
    return out


def _url(rule: str, params: dict[str, Any]) -> str:
    from werkzeug.routing import Map, Rule

    r = Rule(rule, endpoint="x")
    Map([r])
    missing = set(r.arguments) - set(params)
    assert not missing, f"access matrix: add a Norway value for path parameter(s) {missing} of {rule}"
    return r.build({k: params[k] for k in r.arguments})[1]


def _counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.scalar(sa.select(sa.func.count()).select_from(t)) or 0
            for t in SQLModel.metadata.sorted_tables if t.name != "audit_entry"
        }


PUBLIC |= {"web.login", "web.static"}  # the sign-in page and the pages' stylesheet
PUBLIC |= {"web.survey_by_link", "web.survey_thanks"}  # the survey form behind the e-mailed link


def test_every_route_refuses_anonymous_callers(app, client, world):
    params = _norway_params(world)
    for endpoint, method, rule in _routes(app):
        if endpoint in PUBLIC:
            continue
        if endpoint.startswith("web."):  # pages send anonymous visitors to /login: test_web_pages.py
            continue
        r = client.open(_url(rule, params), method=method, json={})
        assert r.status_code == 401, (method, rule, r.status_code)
        assert set(r.get_json()) >= {"code", "status"}


def test_a_liaison_sees_nothing_of_another_country(app, client, world, engine):
    params = _norway_params(world)
    headers = world.headers("pl")
    reads = [(endpoint, rule) for endpoint, method, rule in _routes(app)
             if method == "GET" and endpoint not in PUBLIC]
    # Norway's liaison and the staff read everything first: what the read cache keeps for
    # them is there to leak, and must not.
    for _endpoint, rule in reads:
        for who in ("no", "staff"):
            client.get(_url(rule, params), headers=world.headers(who))
            client.get(_url(rule, params), headers=world.headers(who), query_string={"country": "NO"})
    checked = 0
    for _endpoint, rule in reads:
        url = _url(rule, params)
        r = client.get(url, headers=headers)
        body = r.get_data(as_text=True)
        assert not any(m in body for m in NORWAY_MARKERS), (rule, body[:300])
        if "<" in rule and "system_id" not in rule:
            assert r.status_code in (403, 404), (rule, r.status_code)
        else:
            assert r.status_code in (200, 403), (rule, r.status_code)
        # And with the other country named in every filter, still nothing of it.
        r = client.get(url, headers=headers, query_string={"country": "NO"})
        assert not any(m in r.get_data(as_text=True) for m in NORWAY_MARKERS), rule
        checked += 1
    assert checked >= 10


def test_a_liaison_cannot_write_registry_or_other_countries(app, client, world, engine):
    params = _norway_params(world)
    before = _counts(engine)
    for endpoint, method, rule in _routes(app):
        if method == "GET" or endpoint in PUBLIC or endpoint in OWN_ACCOUNT_WRITES:
            continue
        upload = LIAISON_UPLOADS.get(endpoint)
        body: dict[str, Any] = ({"data": upload(), "content_type": "multipart/form-data"} if upload
                                else {"json": LIAISON_WRITES.get(endpoint, {})})
        r = client.open(_url(rule, params), method=method, **body,
                        headers=world.headers("pl", **{"If-Match": "*"}))
        assert r.status_code in (403, 404), (method, rule, r.status_code, r.get_json())
    assert _counts(engine) == before


def test_own_country_is_visible_to_its_liaison(client, world):
    h = world.headers("pl")
    assert client.get("/api/v1/countries/PL", headers=h).status_code == 200
    assert [c["code"] for c in client.get("/api/v1/countries", headers=h).get_json()] == ["PL"]
    units = client.get("/api/v1/units?page_size=100", headers=h)
    assert {u["country"] for u in units.get_json()} == {"PL"}
    assert json.loads(units.headers["X-Pagination"])["total"] == 3
    fleet = client.get("/api/v1/countries/PL/fleet", headers=h).get_json()
    assert {f["system_code"]: f["delivered"] for f in fleet} == {"K9A1": 3, "K2": 0}
    assert client.get(f"/api/v1/contracts/{world.ids['contract_PL']}", headers=h).status_code == 200


def test_foreign_record_is_indistinguishable_from_a_missing_one(client, world):
    h = world.headers("pl")
    foreign = client.get(f"/api/v1/units/{world.ids['unit_NO']}", headers=h)
    missing = client.get("/api/v1/units/999999", headers=h)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json()["status"] == missing.get_json()["status"]
    assert set(foreign.get_json()) == set(missing.get_json())


@pytest.mark.parametrize("who", ["admin", "staff"])
def test_staff_and_admin_see_every_country(client, world, who):
    codes = {c["code"] for c in client.get("/api/v1/countries", headers=world.headers(who)).get_json()}
    assert codes == {"PL", "NO"}


def test_undecorated_writes_default_to_staff_only(app):
    """A write view without an explicit policy falls back to staff-only, never to open."""
    with app.test_request_context("/api/v1/systems", method="POST"):
        assert _policy_for_request(app).roles == {"admin", "staff"}
    with app.test_request_context("/api/v1/systems", method="GET"):
        assert _policy_for_request(app).roles == {"admin", "staff", "liaison"}
