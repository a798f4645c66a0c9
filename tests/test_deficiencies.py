"""Deficiency reports: filing and numbering, units of the report's country, severity rules,
the lifecycle (every move, for every kind of caller), withdraw, reopen once, auto-close."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from models import DeficiencyReport, UnitStatusChange
from service.core.db import session_scope
from service.domain.deficiencies import lifecycle
from tests import factories
from tests.conftest import rows

API = "/api/v1/deficiencies"


def _body(world, **over):
    return {"system_id": world.ids["k9"], "unit_ids": [world.ids["unit_PL"]], "category": "quality",
            "severity": "major", "title": "Recoil buffer cracked",
            "description": "Hairline crack after 40 rounds", **over}


def _move(client, world, rid, status, who="staff", **extra):
    version = client.get(f"{API}/{rid}", headers=world.headers(who)).get_json()["version"]
    return client.post(f"{API}/{rid}/transition", json={"status": status, **extra},
                       headers=world.headers(who, **{"If-Match": str(version)}))


def test_a_liaison_files_for_their_fleet_with_consecutive_numbers(client, world):
    year = dt.datetime.now(dt.UTC).year
    first = client.post(API, json=_body(world), headers=world.headers("pl"))
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["number"] == f"PL-{year}-0001" and body["country"] == "PL"
    assert body["status"] == "submitted" and body["units"][0]["serial"] == "K9-PL-000"
    submitted = dt.datetime.fromisoformat(body["submitted_at"])
    assert dt.datetime.fromisoformat(body["acknowledge_due_at"]) - submitted == dt.timedelta(hours=72)
    assert dt.datetime.fromisoformat(body["resolve_due_at"]) - submitted == dt.timedelta(days=30)
    assert body["allowed"] == ["withdrawn"]
    second = client.post(API, json=_body(world), headers=world.headers("pl")).get_json()
    assert second["number"] == f"PL-{year}-0002"
    other = client.post(API, json=_body(world, country="NO", unit_ids=[world.ids["unit_NO"]]),
                        headers=world.headers("staff")).get_json()
    assert other["number"] == f"NO-{year}-0001"  # each country counts for itself


def test_another_countrys_unit_is_refused_like_a_missing_one_and_uses_no_number(client, world, engine):
    foreign = client.post(API, json=_body(world, unit_ids=[world.ids["unit_NO"]]),
                          headers=world.headers("pl"))
    missing = client.post(API, json=_body(world, unit_ids=[987654]), headers=world.headers("pl"))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json()["errors"].keys() == missing.get_json()["errors"].keys() == {"unit_ids"}
    assert "K9-NO" not in foreign.get_data(as_text=True)
    named = client.post(API, json=_body(world, country="NO"), headers=world.headers("pl"))
    assert named.status_code == 404
    staff = client.post(API, json=_body(world, country="PL", unit_ids=[world.ids["unit_NO"]]),
                        headers=world.headers("staff"))
    assert staff.status_code == 404  # a Norwegian unit is no Polish unit, for staff either
    assert rows(engine, "deficiency_report") == 0
    ok = client.post(API, json=_body(world), headers=world.headers("pl")).get_json()
    assert ok["number"].endswith("-0001")


def test_a_refused_filing_after_the_number_was_taken_gives_it_back(engine, world):
    from service.domain.deficiencies import numbering

    with pytest.raises(RuntimeError), session_scope(engine) as s:
        assert numbering.take(session=s, country_code="PL", year=2030) == 1
        raise RuntimeError("refused after numbering")
    with session_scope(engine) as s:
        assert numbering.take(session=s, country_code="PL", year=2030) == 1


def test_units_of_another_system_and_severity_rules(client, world, engine):
    r = client.post(API, json=_body(world, system_id=world.ids["k2"]), headers=world.headers("pl"))
    assert r.status_code == 422 and "unit_ids" in r.get_json()["errors"]
    r = client.post(API, json=_body(world, category="safety", severity="minor"), headers=world.headers("pl"))
    assert r.status_code == 422 and "severity" in r.get_json()["errors"]
    body = _body(world, category="quality")
    del body["severity"]
    r = client.post(API, json=body, headers=world.headers("pl"))
    assert r.status_code == 422 and "severity" in r.get_json()["errors"]
    r = client.post(API, json=_body(world, category="toaster", title=""), headers=world.headers("pl"))
    assert r.status_code == 422 and set(r.get_json()["errors"]["json"]) == {"category", "title"}
    assert rows(engine, "deficiency_report") == 0
    body = _body(world, category="safety")
    del body["severity"]
    safe = client.post(API, json=body, headers=world.headers("pl")).get_json()
    assert safe["severity"] == "critical"
    assert (dt.datetime.fromisoformat(safe["resolve_due_at"])
            - dt.datetime.fromisoformat(safe["submitted_at"])) == dt.timedelta(days=7)


def test_list_filters(client, world):
    rid = factories.add_deficiency(world.engine, world)
    factories.add_deficiency(world.engine, world, who="no", category="safety", severity=None)
    staff = world.headers("staff")
    by_country = client.get(API, headers=staff, query_string={"country": "PL"}).get_json()
    assert [r["id"] for r in by_country] == [rid]
    assert len(client.get(API, headers=staff, query_string={"severity": "critical"}).get_json()) == 1
    assert [r["id"] for r in client.get(API, headers=staff,
                                        query_string={"unit": world.ids["unit_PL"]}).get_json()] == [rid]
    assert client.get(API, headers=staff, query_string={"overdue": "true"}).get_json() == []
    assert len(client.get(API, headers=staff, query_string={"from": "2000-01-01"}).get_json()) == 2
    assert client.get(API, headers=staff, query_string={"to": "2000-01-01"}).get_json() == []
    assert [r["country"] for r in client.get(API, headers=world.headers("pl")).get_json()] == ["PL"]


# --- the lifecycle table -----------------------------------------------------------------------

PATHS = {  # how to bring a fresh report (filed by the Polish liaison) to each status
    "submitted": [],
    "acknowledged": [("acknowledged", "staff")],
    "investigating": [("acknowledged", "staff"), ("investigating", "staff")],
    "awaiting_buyer": [("acknowledged", "staff"), ("investigating", "staff"),
                       ("awaiting_buyer", "staff")],
    "resolved": [("acknowledged", "staff"), ("investigating", "staff"), ("resolved", "staff")],
    "closed": [("acknowledged", "staff"), ("investigating", "staff"), ("resolved", "staff"),
               ("closed", "pl")],
    "withdrawn": [("withdrawn", "pl")],
}
LEGAL = {  # (from, to) -> who may
    ("submitted", "acknowledged"): {"staff"}, ("submitted", "withdrawn"): {"pl"},
    ("acknowledged", "investigating"): {"staff"},
    ("investigating", "awaiting_buyer"): {"staff"}, ("investigating", "resolved"): {"staff"},
    ("awaiting_buyer", "investigating"): {"staff", "pl"},
    ("resolved", "closed"): {"pl"}, ("resolved", "investigating"): {"pl"},
}
RESOLVE = {"disposition": "repaired", "resolution": "Buffer replaced under warranty"}


def _extra(to):
    return RESOLVE if to == "resolved" else {}


@pytest.mark.parametrize("start,to", list(itertools.product(PATHS, PATHS)))
def test_every_move_for_every_caller(client, world, start, to):
    for who in ("staff", "pl"):
        rid = factories.add_deficiency(world.engine, world)
        for status, mover in PATHS[start]:
            assert _move(client, world, rid, status, mover, **_extra(status)).status_code == 200
        r = _move(client, world, rid, to, who, **_extra(to))
        if who in LEGAL.get((start, to), set()):
            assert r.status_code == 200, (start, to, who, r.get_json())
            assert r.get_json()["status"] == to
        else:
            assert r.status_code == 409, (start, to, who, r.get_json())
            assert to not in r.get_json()["allowed"]


def test_resolving_needs_disposition_and_resolution_and_returns_units(client, world, engine):
    rid = factories.add_deficiency(world.engine, world)
    r = _move(client, world, rid, "acknowledged", unit_status="under_repair")
    assert r.status_code == 200
    assert client.get(f"/api/v1/units/{world.ids['unit_PL']}",
                      headers=world.headers("staff")).get_json()["status"] == "under_repair"
    _move(client, world, rid, "investigating")
    r = _move(client, world, rid, "resolved")
    assert r.status_code == 422 and set(r.get_json()["errors"]) == {"disposition", "resolution"}
    assert _move(client, world, rid, "resolved", **RESOLVE).status_code == 200
    assert client.get(f"/api/v1/units/{world.ids['unit_PL']}",
                      headers=world.headers("staff")).get_json()["status"] == "operational"
    with session_scope(engine) as s:
        changes = s.scalars(sa.select(UnitStatusChange).where(
            UnitStatusChange.unit_id == world.ids["unit_PL"]).order_by(UnitStatusChange.id)).all()
        assert [(c.from_status, c.to_status, c.report_id) for c in changes] == [
            (None, "operational", None), ("operational", "under_repair", rid),
            ("under_repair", "operational", rid)]
    r = _move(client, world, rid, "closed", "pl", unit_status="operational")
    assert r.status_code == 422 and "unit_status" in r.get_json()["errors"]


def test_reopen_once_within_30_days(client, world, engine):
    rid = factories.add_deficiency(world.engine, world)
    for status in ("acknowledged", "investigating"):
        _move(client, world, rid, status)
    _move(client, world, rid, "resolved", **RESOLVE)
    r = _move(client, world, rid, "investigating", "pl")
    assert r.status_code == 200 and r.get_json()["reopened"] is True
    assert r.get_json()["disposition"] is None
    _move(client, world, rid, "resolved", **RESOLVE)
    r = _move(client, world, rid, "investigating", "pl")
    assert r.status_code == 409 and r.get_json()["allowed"] == ["closed"]
    late = factories.add_deficiency(world.engine, world)
    for status in ("acknowledged", "investigating"):
        _move(client, world, late, status)
    _move(client, world, late, "resolved", **RESOLVE)
    with session_scope(engine) as s:
        s.get(DeficiencyReport, late).resolved_at -= dt.timedelta(days=31)
    assert _move(client, world, late, "investigating", "pl").status_code == 409


def test_only_the_filer_withdraws(client, world, engine):
    from tests.factories import add_user

    _uid, token = add_user(engine, "pl2@example.org", "liaison", "PL")
    rid = factories.add_deficiency(world.engine, world)
    r = client.post(f"{API}/{rid}/transition", json={"status": "withdrawn"},
                    headers={"Authorization": f"Bearer {token}", "If-Match": "*"})
    assert r.status_code == 409 and r.get_json()["allowed"] == []
    assert _move(client, world, rid, "withdrawn", "pl").status_code == 200


def test_a_transition_needs_if_match_and_is_audited(client, world, engine):
    rid = factories.add_deficiency(world.engine, world)
    r = client.post(f"{API}/{rid}/transition", json={"status": "acknowledged"},
                    headers=world.headers("staff"))
    assert r.status_code == 428
    r = client.post(f"{API}/{rid}/transition", json={"status": "acknowledged"},
                    headers=world.headers("staff", **{"If-Match": '"99"'}))
    assert r.status_code == 412
    assert _move(client, world, rid, "acknowledged").status_code == 200
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM audit_entry WHERE action = 'transition' "
                                   "AND entity = 'deficiency_report'")) == 1


def test_the_pause_moves_the_due_time_on(client, world, engine):
    rid = factories.add_deficiency(world.engine, world)
    for status in ("acknowledged", "investigating", "awaiting_buyer"):
        _move(client, world, rid, status)
    with session_scope(engine) as s:
        report = s.get(DeficiencyReport, rid)
        report.paused_since -= dt.timedelta(days=3)  # three days waiting for the buyer
        due = report.resolve_due_at
    body = _move(client, world, rid, "investigating", "pl").get_json()
    moved = dt.datetime.fromisoformat(body["resolve_due_at"]) - due
    assert dt.timedelta(days=3) <= moved < dt.timedelta(days=3, minutes=1)
    assert body["paused"] is False


def test_patch_severity_moves_due_times(client, world):
    rid = factories.add_deficiency(world.engine, world)
    before = client.get(f"{API}/{rid}", headers=world.headers("staff")).get_json()
    r = client.patch(f"{API}/{rid}", json={"severity": "critical"},
                     headers=world.headers("staff", **{"If-Match": str(before["version"])}))
    assert r.status_code == 200, r.get_json()
    after = r.get_json()
    assert (dt.datetime.fromisoformat(before["resolve_due_at"])
            - dt.datetime.fromisoformat(after["resolve_due_at"])) == dt.timedelta(days=23)
    r = client.patch(f"{API}/{rid}", json={"category": "safety", "severity": "minor"},
                     headers=world.headers("staff", **{"If-Match": str(after["version"])}))
    assert r.status_code == 422
    r = client.patch(f"{API}/{rid}", json={"title": "x"}, headers=world.headers("pl", **{"If-Match": "*"}))
    assert r.status_code == 403


def test_a_resolution_nobody_answers_closes_itself_after_30_days(app, client, world, engine):
    rid = factories.add_deficiency(world.engine, world)
    for status in ("acknowledged", "investigating"):
        _move(client, world, rid, status)
    _move(client, world, rid, "resolved", **RESOLVE)
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:
        assert lifecycle.auto_close(session=s, now=now + dt.timedelta(days=29)) == []
    with app.app_context(), session_scope(engine) as s:  # the survey on its handling is sent
        assert lifecycle.auto_close(session=s, now=now + dt.timedelta(days=31)) == [rid]
    assert client.get(f"{API}/{rid}", headers=world.headers("pl")).get_json()["status"] == "closed"


def test_a_units_history_holds_its_status_changes_reports_and_services(client, world):
    unit = world.ids["unit_PL"]
    rid = factories.add_deficiency(world.engine, world)
    url = f"/api/v1/units/{unit}"
    version = client.get(url, headers=world.headers("staff")).get_json()["version"]
    r = client.patch(url, json={"status": "non_operational", "status_reason": "engine fire"},
                     headers=world.headers("staff", **{"If-Match": str(version)}))
    assert r.status_code == 200
    life = client.get(f"{url}/history", headers=world.headers("pl")).get_json()
    assert [(c["from_status"], c["to_status"], c["reason"]) for c in life["status_changes"]] == [
        (None, "operational", "delivered"), ("operational", "non_operational", "engine fire")]
    assert life["status_changes"][0]["at"].startswith("2024-01-01")
    assert [d["id"] for d in life["deficiencies"]] == [rid] and life["services"] == []
    assert client.get(f"/api/v1/units/{world.ids['unit_NO']}/history",
                      headers=world.headers("pl")).status_code == 404


def test_a_replaced_unit_records_its_replacements_serial(client, world):
    rid = factories.add_deficiency(world.engine, world)
    _move(client, world, rid, "acknowledged", unit_status="non_operational")
    _move(client, world, rid, "investigating")
    r = _move(client, world, rid, "acknowledged", replacement_serial="K9-PL-NEW")
    assert r.status_code == 409
    r = _move(client, world, rid, "resolved", disposition="repaired", resolution="ok",
              replacement_serial="K9-PL-NEW")
    assert r.status_code == 422 and "replacement_serial" in r.get_json()["errors"]
    r = _move(client, world, rid, "resolved", disposition="replaced", resolution="New hull delivered",
              replacement_serial="K9-PL-NEW")
    assert r.status_code == 200
    life = client.get(f"/api/v1/units/{world.ids['unit_PL']}/history", headers=world.headers("pl"))
    last = life.get_json()["status_changes"][-1]
    assert (last["to_status"], last["replacement_serial"], last["report_id"]) == (
        "operational", "K9-PL-NEW", rid)


def test_a_withdrawn_report_is_not_changed(client, world):
    rid = factories.add_deficiency(world.engine, world)
    _move(client, world, rid, "withdrawn", "pl")
    r = client.patch(f"{API}/{rid}", json={"title": "late edit"},
                     headers=world.headers("staff", **{"If-Match": "*"}))
    assert r.status_code == 409
