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

from service.core.auth import _policy_for_request
from tests import factories

# Strings that appear only in Norway's records: none may reach the Polish liaison.
NORWAY_MARKERS = ("Norway", "NO-C-1", "K9-NO-", '"NO"', "Europe/Oslo", "no@example.org",
                  "Rena leir", "Vidar crew course", "Oslo range", "Oslo winter", "Oslo Vidar",
                  "Oslo spare", "KS-NO-")


def _norway_params(world: Any) -> dict[str, Any]:
    """Path parameter -> a value that designates Norway's record (or a non-country record)."""
    return {
        "filename": "app.css",  # the pages' static files
        "lang": "ko",  # the language switch
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
        **factories.norway_training(world),
        "move": "dispute",  # a delivery's page form: accept, dispute or answer
        **factories.norway_planning(world),
        **factories.norway_bulletin(world),
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
    "actions.ActionComments": {"body": "hello"},
    # A country administrator creates their own country's liaisons only.
    "users.Users": {"email": "new.no@example.org", "name": "New", "role": "liaison", "country": "NO",
                    "password": "amber quiet lantern orbit"},
    "users.UserItem": {"active": False},
    "users.UserTokens": {"name": "x"},
    "trainees.Trainees": {"country": "NO", "name": "Ola Nordmann"},
    "trainees.TraineeItem": {"name": "Ola Nordmann"},
    "nominations.Nominations": {"trainee_id": 1},
    "certificates.CertificateRefresher": {},
    "deliveries.DeliveryDispute": {"reason": "Two kits were missing"},
    "bulletins.BulletinComplianceItem": {"status": "done", "done_on": "2026-11-30"},
}
# Routes a liaison may upload to (multipart), with a valid file.
LIAISON_UPLOADS = {"deficiencies.DeficiencyAttachments": lambda: {
    "file": (io.BytesIO(b"%PDF-1.7\n%%EOF\n"), "scan.pdf")}}
PUBLIC = {"health.health", "auth.TokenIssue", "public_surveys.PublicSurvey", "calendar.CalendarFeed",
          "public_certificates.PublicCertificate"}
OWN_ACCOUNT_WRITES = {"me.CalendarFeedRotate",  # act on the caller alone (tests/test_calendar.py,
                      "me.SignOutEverywhere",  # tests/test_auth.py,
                      "me.Me"}  # PATCH /me: my language (tests/test_i18n.py)


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
            # the audit trail and the tokens' last use record refusals too
            for t in SQLModel.metadata.sorted_tables if t.name not in {"audit_entry", "api_token_use"}
        }


PUBLIC |= {"web.login", "web.static", "web.favicon"}  # the sign-in page, its stylesheet, the icon
PUBLIC |= {"web.survey_by_link", "web.survey_thanks"}  # the survey form behind the e-mailed link
PUBLIC |= {"web.password_reset"}  # the new-password form behind the e-mailed reset link
PUBLIC |= {"web.switch_language"}  # the language switch of the pages before sign-in
PUBLIC |= {"web.certificate_verify"}  # a certificate's verification: number and check code


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


# Poland's people: its liaison, and its country administrator (who reads what a liaison reads and
# manages Poland's liaisons): neither may reach anything of Norway, its users included.
POLAND_CALLERS = ("pl", "ca_pl")


@pytest.mark.parametrize("caller", POLAND_CALLERS)
def test_a_liaison_sees_nothing_of_another_country(app, client, world, engine, caller):
    params = _norway_params(world)
    headers = world.headers(caller)
    reads = [(endpoint, rule) for endpoint, method, rule in _routes(app)
             if method == "GET" and endpoint not in PUBLIC]
    # The audit trail first: later, a country administrator's own refused asks for Norway's records
    # are on it (their own words echoed back, alike for a record that does not exist;
    # tests/test_country_admins.py checks what it shows of whom).
    reads.sort(key=lambda read: "audit" not in read[1])
    # Norway's liaison and the staff read everything first: whatever a process kept of what
    # they were answered is there to leak, and must not.
    for _endpoint, rule in reads:
        for who in ("no", "ca_no", "staff"):
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


@pytest.mark.parametrize("caller", POLAND_CALLERS)
def test_a_liaison_cannot_write_registry_or_other_countries(app, client, world, engine, caller):
    params = _norway_params(world)
    before = _counts(engine)
    for endpoint, method, rule in _routes(app):
        if method == "GET" or endpoint in PUBLIC or endpoint in OWN_ACCOUNT_WRITES:
            continue
        upload = LIAISON_UPLOADS.get(endpoint)
        body: dict[str, Any] = ({"data": upload(), "content_type": "multipart/form-data"} if upload
                                else {"json": LIAISON_WRITES.get(endpoint, {})})
        r = client.open(_url(rule, params), method=method, **body,
                        headers=world.headers(caller, **{"If-Match": "*"}))
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
        assert _policy_for_request(app).roles == {"admin", "staff", "liaison", "country_admin"}


# --- a hidden record and a missing one answer alike ---------------------------------------------

MISSING = 10**6


def _hidden_and_missing(world: Any) -> list[tuple[str, str]]:
    """(Norway's record, a record that does not exist) as the Polish liaison asks for them."""
    return [
        (f"/api/v1/units/{world.ids['unit_NO']}", f"/api/v1/units/{MISSING}"),
        (f"/api/v1/contracts/{world.ids['contract_NO']}", f"/api/v1/contracts/{MISSING}"),
        (f"/api/v1/surveys/{world.ids['survey_NO']}", f"/api/v1/surveys/{MISSING}"),
        ("/api/v1/countries/NO", "/api/v1/countries/RO"),  # RO: a valid code, not a buyer
        ("/api/v1/countries/NO/status", "/api/v1/countries/RO/status"),
        # a bulletin released to Norway alone, and one withdrawn from Poland
        (f"/api/v1/bulletins/{factories.norway_bulletin(world)['bulletin_id']}",
         f"/api/v1/bulletins/{MISSING}"),
        (f"/api/v1/bulletins/{world.ids['bulletin_withdrawn_PL']}/compliance",
         f"/api/v1/bulletins/{MISSING}/compliance"),
    ]


def _denied(engine: sa.Engine) -> list[tuple[Any, ...]]:
    from models import AuditEntry

    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(AuditEntry.actor, AuditEntry.entity, AuditEntry.changes["status"].as_integer())
            .where(AuditEntry.action == "denied").order_by(AuditEntry.id))]


def test_a_hidden_record_and_a_missing_one_take_the_same_statements(client, world, engine):
    """The deterministic half of "their time cannot be told apart": the same SQL, in the same
    order, and the same audit row, for another country's record and for no record at all."""
    from tests.conftest import QueryCounter

    h = world.headers("pl")
    assert client.get("/api/v1/me", headers=h).status_code == 200  # the token's first use noted
    for hidden, missing in _hidden_and_missing(world):
        seen = []
        for path in (hidden, missing, hidden):  # the first asked again: no warm-up effect
            before = len(_denied(engine))
            with QueryCounter(engine) as q:
                r = client.get(path, headers=h)
            assert r.status_code == 404, (path, r.status_code)
            written = _denied(engine)[before:]
            assert len(written) == 1 and written[0][0] == "pl@example.org" and written[0][2] == 404
            seen.append((q.statements, written[0][1], sorted(r.get_json())))
        assert seen[0] == seen[1] == seen[2], (hidden, missing)


def test_a_hidden_record_and_a_missing_one_answer_in_the_same_time(client, world):
    """The user-visible half: interleaved samples, medians compared with room for a busy machine.
    On SQLite each sample is the CPU time the request took in this thread (the test client and
    the database run in it, so a hidden record's extra work is counted), not the wall clock,
    which measured the other processes of a busy machine as much as the request; on
    PostgreSQL the server's part runs elsewhere, so there it is the wall clock."""
    import statistics
    import time

    clock = time.thread_time if world.engine.dialect.name == "sqlite" else time.perf_counter
    h = world.headers("pl")
    for hidden, missing in _hidden_and_missing(world)[:1] + _hidden_and_missing(world)[3:4]:
        times: dict[str, list[float]] = {hidden: [], missing: []}
        for _ in range(3):  # warm up both
            client.get(hidden, headers=h), client.get(missing, headers=h)
        for n in range(120):
            for path in ((hidden, missing) if n % 2 else (missing, hidden)):
                start = clock()
                assert client.get(path, headers=h).status_code == 404
                times[path].append(clock() - start)
        a, b = statistics.median(times[hidden]), statistics.median(times[missing])
        assert max(a, b) / min(a, b) < 1.35, (hidden, f"{a * 1000:.2f} ms", missing, f"{b * 1000:.2f} ms")


# --- nothing a liaison receives moves with another country's writes ------------------------------

PL_READS = ("/api/v1/me",  # first: its first answer writes the feed's salt
            "/api/v1/countries/PL/status", "/api/v1/events?page_size=50", "/api/v1/events?country=PL",
            "/api/v1/countries", "/api/v1/countries/PL", "/api/v1/countries/PL/fleet",
            "/api/v1/units?page_size=100", "/api/v1/contracts", "/api/v1/requests", "/api/v1/surveys",
            "/api/v1/actions", "/api/v1/reports")


def _what_pl_receives(client: Any, world: Any) -> dict[str, Any]:
    """Every answer of `PL_READS` (status, headers but the date, body); `generated_at` checked to
    be the request's own time and then left out: it moves with the clock, never with data."""
    import datetime as dt

    seen = {}
    for path in PL_READS:
        asked = dt.datetime.now(dt.UTC)
        r = client.get(path, headers=world.headers("pl"))
        body = r.get_json()
        if isinstance(body, dict) and "generated_at" in body:
            at = dt.datetime.fromisoformat(body.pop("generated_at"))
            assert asked <= at <= dt.datetime.now(dt.UTC), path
        headers = sorted((k, v) for k, v in r.headers.items() if k != "Date")
        seen[path] = (r.status_code, headers, body)
    return seen


def test_nothing_a_liaison_receives_changes_with_another_countrys_writes(client, world, engine):
    import datetime as dt

    before = _what_pl_receives(client, world)
    assert all(status == 200 for status, _, _ in before.values()), before
    assert _what_pl_receives(client, world) == before  # asked again: nothing kept from the first
    staff = world.headers("staff")
    factories.add_event(engine, world, country="NO", title="Oslo written meanwhile",
                        starts_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
    factories.add_request(engine, world, who="no", description="Filed meanwhile")
    factories.add_report_row(engine, country="NO", period="2020-02")
    url = f"/api/v1/units/{world.ids['unit_NO']}"
    r = client.patch(url, json={"status": "under_repair"},
                     headers={**staff, "If-Match": client.get(url, headers=staff).headers["ETag"]})
    assert r.status_code == 200
    r = client.post("/api/v1/events", headers=staff, json={
        "kind": "joint_training", "title": "Norwegian drill", "country": "NO",
        "system_id": world.ids["k9"], "starts_at": "2030-07-01T09:00:00+02:00",
        "ends_at": "2030-07-03T17:00:00+02:00", "location": "Rena", "objectives": "Drills"})
    assert r.status_code == 201
    assert _what_pl_receives(client, world) == before


# --- a record released to a set of countries ------------------------------------------------------

BULLETIN_PATHS = ("", "/attachments", "/acknowledgements", "/compliance")


def test_a_bulletin_is_seen_by_exactly_the_countries_it_is_released_to(client, world, engine):
    """Norway only, Poland and Norway, and both but withdrawn from Poland: through every route,
    the figures, and any ORM statement of a Polish session (lists, counts, joins)."""
    import sqlalchemy as sa

    from models import BulletinAcknowledgement, BulletinAttachment, BulletinCompliance, ServiceBulletin
    from service.core.db import SCOPE_KEY, session_scope

    factories.norway_bulletin(world)
    only_no, shared, gone = (world.ids[k] for k in ("bulletin_NO", "bulletin_shared",
                                                    "bulletin_withdrawn_PL"))
    every = {only_no, shared, gone}
    for who, visible in (("pl", {shared}), ("no", every), ("staff", every)):
        listed = {b["id"] for b in client.get("/api/v1/bulletins", headers=world.headers(who)).get_json()}
        assert listed == visible, who
        for bid in (only_no, shared, gone):
            for path in BULLETIN_PATHS:
                r = client.get(f"/api/v1/bulletins/{bid}{path}", headers=world.headers(who))
                assert r.status_code == (200 if bid in visible else 404), (who, bid, path)
    figures = client.get("/api/v1/bulletins/figures", headers=world.headers("pl")).get_json()
    assert [(f["country"], f["released"]) for f in figures] == [("PL", 1)]
    with session_scope(engine) as s:
        s.info[SCOPE_KEY] = "PL"
        assert set(s.scalars(sa.select(ServiceBulletin.id))) == {shared}
        for model in (BulletinAcknowledgement, BulletinCompliance, BulletinAttachment):
            assert s.scalar(sa.select(sa.func.count()).select_from(model)) == 0, model
        joined = s.execute(sa.select(ServiceBulletin.id, BulletinAcknowledgement.id)
                           .join(BulletinAcknowledgement,
                                 BulletinAcknowledgement.bulletin_id == ServiceBulletin.id)).all()
        assert joined == []


def test_a_liaison_session_sees_and_writes_no_other_countrys_serial_range(world, engine):
    """Of a bulletin released to both, a Polish session sees the range covering Polish units
    alone, in any statement (a join, a count, an alias), and writes no range or attachment."""
    import sqlalchemy.orm as orm

    from models import BulletinAttachment, BulletinSerialRange, ServiceBulletin
    from service.core.db import SCOPE_KEY, ScopeViolation, session_scope

    bid = factories.add_bulletin(engine, world, countries=["PL", "NO"], title="Ranged check", ranges=[
        {"from": "K9-NO-000", "to": "K9-NO-999"}, {"from": "K9-PL-000", "to": "K9-PL-001"}])
    r = orm.aliased(BulletinSerialRange)
    with session_scope(engine) as s:
        s.info[SCOPE_KEY] = "PL"
        assert list(s.scalars(sa.select(BulletinSerialRange.serial_from))) == ["K9-PL-000"]
        assert s.execute(sa.select(ServiceBulletin.number, r.serial_to)
                         .join(r, r.bulletin_id == ServiceBulletin.id)).all() == [
            (s.get(ServiceBulletin, bid).number, "K9-PL-001")]
        assert s.scalar(sa.select(sa.func.count()).select_from(BulletinSerialRange)) == 1
        for row in (BulletinSerialRange(bulletin_id=bid, serial_from="K9-PL-002", serial_to="K9-PL-002"),
                    BulletinAttachment(bulletin_id=bid, filename="x.pdf", content_type="application/pdf",
                                       size=1, sha256="0" * 64)):
            s.add(row)
            with pytest.raises(ScopeViolation, match="staff only"):
                s.flush()
            s.rollback()
            s.info[SCOPE_KEY] = "PL"
