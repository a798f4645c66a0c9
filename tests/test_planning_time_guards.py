"""Time guards (SPEC §10): no starting before starts_at, no completing before ends_at, unless
staff say `"early": true` with a reason, which the audit trail keeps."""

from __future__ import annotations

import datetime as dt

from tests import factories
from tests.conftest import rows


def _move(client, world, event_id, **body):
    version = client.get(f"/api/v1/events/{event_id}", headers=world.headers("staff")).get_json()["version"]
    return client.post(f"/api/v1/events/{event_id}/transition", json=body,
                       headers=world.headers("staff", **{"If-Match": str(version)}))


def test_starting_before_the_start_is_refused_naming_the_time(client, world, engine):
    event_id = factories.add_event(engine, world, status="confirmed")  # 2030-03-04 08:00 UTC
    r = _move(client, world, event_id, status="in_progress")
    assert r.status_code == 409
    body = r.get_json()
    assert "2030-03-04T09:00:00+01:00" in body["message"] and '"early": true' in body["message"]
    assert body["errors"]["status"] == [
        'cannot start before starts_at 2030-03-04T09:00:00+01:00 without "early" and a reason']
    no_reason = _move(client, world, event_id, status="in_progress", early=True)
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    event = client.get(f"/api/v1/events/{event_id}", headers=world.headers("staff")).get_json()
    assert event["status"] == "confirmed"


def test_going_early_with_a_reason_is_allowed_and_audited(client, world, engine):
    event_id = factories.add_event(engine, world, status="confirmed")
    r = _move(client, world, event_id, status="in_progress", early=True, reason="host asked for Friday")
    assert r.status_code == 200 and r.get_json()["status"] == "in_progress"
    audit = client.get("/api/v1/audit", headers=world.headers("admin"), query_string={
        "entity": "service_event", "entity_id": str(event_id), "action": "transition"}).get_json()
    assert audit[0]["changes"]["status"] == ["confirmed", "in_progress"]
    assert audit[0]["changes"]["early"] is True
    assert audit[0]["changes"]["reason"] == "host asked for Friday"


def test_completing_before_the_end_sends_no_survey(client, world, engine):
    event_id = factories.add_event(engine, world, status="in_progress")
    surveys = rows(engine, "survey")
    r = _move(client, world, event_id, status="completed", participants_actual=12, outcome="Done")
    assert r.status_code == 409 and "2030-03-04T17:00:00+01:00" in r.get_json()["message"]
    assert rows(engine, "survey") == surveys and rows(engine, "notification") == 0
    r = _move(client, world, event_id, status="completed", participants_actual=12, outcome="Done",
              early=True, reason="The last firing was moved forward")
    assert r.status_code == 200 and rows(engine, "survey") == surveys + 1


def test_a_service_whose_time_has_come_moves_without_a_reason(client, world, engine):
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    event_id = factories.add_event(engine, world, status="confirmed", starts_at=start, hours=2)
    assert _move(client, world, event_id, status="in_progress").status_code == 200
    r = _move(client, world, event_id, status="completed", participants_actual=9, outcome="Crews certified")
    assert r.status_code == 200 and r.get_json()["status"] == "completed"
