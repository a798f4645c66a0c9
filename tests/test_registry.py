"""Registry behaviour through the API: countries, systems, contracts, units, fleet."""

from __future__ import annotations

import json
import re

import pytest

from service.core.db import session_scope
from service.domain import registry
from service.domain.errors import Invalid
from tests.conftest import rows
from tests.factories import add_event


def test_health(client):
    assert client.get("/health").get_json() == {"status": "ok", "database": "ok", "storage": "ok"}


def test_health_says_when_the_database_cannot_be_reached(tmp_path):
    from service import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/k.db",
                      "SECRET_KEY": "t" * 40})
    r = app.test_client().get("/health")
    assert r.status_code == 503 and r.get_json() == {"status": "degraded", "database": "unavailable"}


def test_staff_registers_a_country_with_iso_name(client, world, engine):
    r = client.post("/api/v1/countries", json={"code": "ro", "timezone": "Europe/Bucharest"},
                    headers=world.headers("staff"))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["code"] == "RO" and r.get_json()["name"] == "Romania"
    assert r.headers["ETag"] == '"1"'


def test_invalid_country_is_422_with_fields_and_writes_nothing(client, world, engine):
    before = rows(engine, "country")
    r = client.post("/api/v1/countries", json={"code": "XX", "timezone": "Mars/Olympus"},
                    headers=world.headers("staff"))
    assert r.status_code == 422
    errors = r.get_json()["errors"]["json"]
    assert set(errors) == {"code", "timezone"}
    assert rows(engine, "country") == before


def test_a_country_named_by_an_unknown_code_and_no_name_is_refused_and_writes_nothing(world, engine):
    """The domain refuses it itself (callers other than the API, such as the seeding, skip the
    schema): an Invalid naming the code, not a crash on a missing ISO entry."""
    before = rows(engine, "country")
    with session_scope(engine) as s, pytest.raises(Invalid) as refused:
        registry.create_country(session=s, data={"code": "XX", "timezone": "UTC"})
    assert "code" in refused.value.errors
    assert rows(engine, "country") == before


def test_duplicate_country_is_409(client, world):
    r = client.post("/api/v1/countries", json={"code": "PL", "timezone": "Europe/Warsaw"},
                    headers=world.headers("staff"))
    assert r.status_code == 409 and "code" in r.get_json()["errors"]


def test_contract_validation_names_each_field(client, world, engine):
    before = rows(engine, "contract")
    r = client.post("/api/v1/contracts", headers=world.headers("staff"), json={
        "number": "", "country": "ZZ", "signed_on": "2024-13-45", "value": "lots",
        "currency": "XYZ", "lines": [{"system_id": "one", "quantity": 0}],
    })
    assert r.status_code == 422
    errors = r.get_json()["errors"]["json"]
    assert {"number", "country", "signed_on", "value", "currency", "lines"} <= set(errors)
    r = client.post("/api/v1/contracts", headers=world.headers("staff"), json={})
    assert set(r.get_json()["errors"]["json"]) >= {"number", "country", "signed_on", "value", "lines"}
    assert rows(engine, "contract") == before


def test_contract_for_unregistered_country_is_422(client, world, engine):
    r = client.post("/api/v1/contracts", headers=world.headers("staff"), json={
        "number": "EE-1", "country": "EE", "signed_on": "2024-01-01", "value": "10.00",
        "currency": "EUR", "lines": [{"system_id": world.ids["k9"], "quantity": 1}],
    })
    assert r.status_code == 422 and "country" in r.get_json()["errors"]
    assert rows(engine, "contract") == 2


def test_contract_and_units_make_the_fleet(client, world):
    h = world.headers("staff")
    r = client.post("/api/v1/contracts", headers=h, json={
        "number": "PL-C-2", "country": "PL", "signed_on": "2024-05-01", "value": "99.50",
        "currency": "PLN", "lines": [{"system_id": world.ids["k2"], "quantity": 3}],
    })
    assert r.status_code == 201, r.get_json()
    contract = r.get_json()
    assert contract["value"] == "99.50" and contract["lines"][0]["quantity"] == 3
    r = client.post("/api/v1/units", headers=h, json={
        "serial": "K2-PL-900", "system_id": world.ids["k2"], "contract_id": contract["id"],
        "delivered_on": "2025-01-01", "warranty_ends_on": "2099-01-01", "status": "under_repair",
    })
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["country"] == "PL"
    fleet = {f["system_code"]: f for f in client.get("/api/v1/countries/PL/fleet", headers=h).get_json()}
    assert fleet["K2"]["contracted"] == 5 and fleet["K2"]["delivered"] == 1
    assert fleet["K2"]["under_repair"] == 1 and fleet["K2"]["in_warranty"] == 1
    assert fleet["K9A1"]["contracted"] == 5 and fleet["K9A1"]["delivered"] == 3
    assert fleet["K9A1"]["operational"] == 3
    assert fleet["K9A1"]["warranty_ending_90d"] == 1  # the first unit's warranty ends in 30 days


def test_unit_rules(client, world, engine):
    h = world.headers("staff")
    base = {"system_id": world.ids["k2"], "contract_id": world.ids["contract_PL"]}
    r = client.post("/api/v1/units", headers=h, json={**base, "serial": "X", "system_id": 99999})
    assert r.status_code == 422 and "system_id" in r.get_json()["errors"]
    r = client.post("/api/v1/units", headers=h, json={**base, "serial": "K9-PL-000",
                                                       "system_id": world.ids["k9"]})
    assert r.status_code == 409 and "serial" in r.get_json()["errors"]
    r = client.post("/api/v1/units", headers=h, json={
        **base, "serial": "A", "delivered_on": "2025-01-02", "warranty_ends_on": "2025-01-01"})
    assert r.status_code == 422 and "warranty_ends_on" in r.get_json()["errors"]["json"]
    for serial in ("A", "B"):
        assert client.post("/api/v1/units", headers=h, json={**base, "serial": serial}).status_code == 201
    r = client.post("/api/v1/units", headers=h, json={**base, "serial": "C"})
    assert r.status_code == 409 and "contract_id" in r.get_json()["errors"]
    assert rows(engine, "unit") == 8


def test_update_needs_if_match_and_refuses_stale(client, world, engine):
    h = world.headers("staff")
    url = f"/api/v1/units/{world.ids['unit_PL']}"
    first = client.get(url, headers=h)
    tag = first.headers["ETag"]
    assert client.patch(url, headers=h, json={"status": "under_repair"}).status_code == 428
    r = client.patch(url, headers={**h, "If-Match": tag}, json={"status": "under_repair"})
    assert r.status_code == 200 and r.get_json()["status"] == "under_repair"
    assert r.headers["ETag"] != tag
    stale = client.patch(url, headers={**h, "If-Match": tag}, json={"status": "non_operational"})
    assert stale.status_code == 412
    assert client.get(url, headers=h).get_json()["status"] == "under_repair"
    # the version number itself is accepted as If-Match
    version = client.get(url, headers=h).get_json()["version"]
    r = client.patch(url, headers={**h, "If-Match": str(version)}, json={"status": "operational"})
    assert r.status_code == 200


def test_contract_lines_cannot_drop_below_delivered(client, world):
    h = world.headers("staff")
    url = f"/api/v1/contracts/{world.ids['contract_PL']}"
    tag = client.get(url, headers=h).headers["ETag"]
    r = client.patch(url, headers={**h, "If-Match": tag},
                     json={"lines": [{"system_id": world.ids["k9"], "quantity": 2}]})
    assert r.status_code == 409
    r = client.patch(url, headers={**h, "If-Match": tag},
                     json={"lines": [{"system_id": world.ids["k9"], "quantity": 7}]})
    assert r.status_code == 200, r.get_json()
    assert [(ln["system_id"], ln["quantity"]) for ln in r.get_json()["lines"]] == [(world.ids["k9"], 7)]
    assert r.get_json()["version"] == 2


def test_lists_paginate_with_x_pagination(client, world):
    h = world.headers("staff")
    r = client.get("/api/v1/units?page_size=2&page=2", headers=h)
    assert r.status_code == 200 and len(r.get_json()) == 2
    meta = json.loads(r.headers["X-Pagination"])
    assert meta["total"] == 6 and meta["page"] == 2 and meta["total_pages"] == 3
    assert client.get("/api/v1/units?page_size=101", headers=h).status_code == 422
    assert client.get("/api/v1/units?page_size=abc", headers=h).status_code == 422


def test_list_filters(client, world):
    h = world.headers("staff")
    units = client.get("/api/v1/units?country=NO", headers=h).get_json()
    assert {u["country"] for u in units} == {"NO"} and len(units) == 3
    assert client.get("/api/v1/units?status=bogus", headers=h).status_code == 422
    systems = client.get("/api/v1/systems?q=panther", headers=h).get_json()
    assert [s["code"] for s in systems] == ["K2"]
    contracts = client.get(f"/api/v1/contracts?system={world.ids['k2']}&country=NO", headers=h)
    assert [c["number"] for c in contracts.get_json()] == ["NO-C-1"]


def test_body_over_one_mebibyte_is_413(client, world, engine):
    big = {"code": "RO", "timezone": "Europe/Bucharest", "name": "x" * (1024 * 1024)}
    r = client.post("/api/v1/countries", json=big, headers=world.headers("staff"))
    assert r.status_code == 413 and r.get_json()["code"] == 413
    assert rows(engine, "country") == 2


def test_malformed_json_is_a_json_error(client, world):
    r = client.post("/api/v1/countries", data="{not json", content_type="application/json",
                    headers=world.headers("staff"))
    assert r.status_code in (400, 422) and r.get_json()["code"] == r.status_code


def test_openapi_describes_every_api_route(client, app):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = set(spec["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and not rule.endpoint.startswith("api-docs"):
            path = rule.rule.replace("<int:", "{").replace("<string:", "{").replace(">", "}")
            assert path in documented, path
    assert client.get("/api/v1/docs").status_code == 200


def test_only_operations_that_check_if_match_document_it(client, app):
    """412 / 428 and the If-Match header are listed exactly where the view checks If-Match."""
    import inspect

    spec = client.get("/api/v1/openapi.json").get_json()
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        if not rule.rule.startswith("/api/v1/") or view_class is None:
            continue
        path = rule.rule.replace("<int:", "{").replace("<string:", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            handler = getattr(view_class, method.lower())
            checks = "check_if_match(" in inspect.getsource(handler)
            operation = spec["paths"][path][method.lower()]
            headers = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "header"]
            assert ({"412", "428"} <= set(operation["responses"])) is checks, (method, path)
            assert ("If-Match" in headers) is checks, (method, path)
            assert not checks or not {"412", "428"} - set(operation["responses"]), (method, path)
    survey_post = spec["paths"]["/api/v1/public/surveys/{token}"]["post"]
    assert "412" not in survey_post["responses"] and "428" not in survey_post["responses"]
    transition = spec["paths"]["/api/v1/events/{event_id}/transition"]["post"]
    assert "If-Match" in [p["name"] for p in transition["parameters"] if p.get("in") == "header"]


def test_every_openapi_schema_keeps_its_own_name(tmp_path):
    """Two schemas of one name make apispec rename the second (`Proposal1`): a client generated
    from the document would get that name. Each component is named after its own schema."""
    import warnings

    from service import create_app

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'spec.db'}", "SECRET_KEY": "s" * 40})
        spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert not [w for w in caught if "Multiple schemas resolved" in str(w.message)]
    renamed = [name for name in spec["components"]["schemas"] if re.search(r"\d$", name)]
    assert not renamed, renamed


def test_the_document_gives_every_country_filter_and_date_range_its_shape(app, client, world, engine):
    """A client generated from the document knows a list's sort keys, that a country is two
    letters, and that a `from`/`to` of the events and deficiency reports is a date or a datetime
    (they were typeless before); the API answers as documented: `pl` is Poland, `PLN`, a naive
    datetime and a one-way key reversed are refused."""
    spec = client.get("/api/v1/openapi.json").get_json()
    params = [(path, p) for path, ops in spec["paths"].items() for op in ops.values()
              if isinstance(op, dict) for p in op.get("parameters", []) if p.get("in") == "query"]
    countries = [p["schema"] for _, p in params if p["name"] == "country"]
    assert len(countries) >= 15
    assert all(s["pattern"] == "^[A-Za-z]{2}$" and s["maxLength"] == 2 for s in countries)
    ranges = [p["schema"] for path, p in params
              if p["name"] in ("from", "to") and path in ("/api/v1/events", "/api/v1/deficiencies")]
    assert len(ranges) == 4
    assert all(s["anyOf"] == [{"format": "date"}, {"format": "date-time"}] for s in ranges)
    add_event(engine, world, country="PL")
    add_event(engine, world, country="NO")
    sort = next(p["schema"] for path, p in params if path == "/api/v1/events" and p["name"] == "sort")
    assert re.match(sort["pattern"], "upcoming,-start") and not re.match(sort["pattern"], "-upcoming")
    staff = world.headers("staff")
    assert client.get("/api/v1/events?sort=upcoming,-start", headers=staff).status_code == 200
    assert client.get("/api/v1/events?sort=-upcoming", headers=staff).status_code == 422
    pl = client.get("/api/v1/events?country=pl", headers=staff)
    assert pl.status_code == 200 and {e["country"] for e in pl.get_json()} == {"PL"}
    assert client.get("/api/v1/events?country=PLN", headers=staff).status_code == 422
    naive = client.get("/api/v1/events?from=2026-01-01T00:00:00", headers=staff)
    assert naive.status_code == 422 and "from" in str(naive.get_json())
    both = client.get("/api/v1/events?from=2026-01-01&to=2026-02-01T00:00:00Z", headers=staff)
    assert both.status_code == 200
