"""Service requests: liaisons file them for their own country; staff accept or decline once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from service.core.db import session_scope
from service.domain import registry
from tests import factories
from tests.conftest import rows


def add_norway_only_system(engine) -> int:
    """A K239 that Norway alone has a contract for."""
    with session_scope(engine) as s:
        k239 = registry.create_system(session=s, data={
            "code": "K239", "name": "K239 Chunmoo", "category": "land", "manufacturer": "Hanwha"})
        registry.create_contract(session=s, data={
            "number": "NO-C-2", "country_code": "NO", "signed_on": dt.date(2024, 1, 10),
            "value": Decimal("5000.00"), "currency": "USD", "lines": [{"system_id": k239.id, "quantity": 1}]})
        return k239.id or 0


def _request(world, **over):
    return {"kind": "tech_education", "system_id": world.ids["k9"], "wished_from": "2030-05-01",
            "wished_to": "2030-05-31", "description": "Fire-control refresher", **over}


def test_liaison_files_for_their_own_country(client, world, engine):
    r = client.post("/api/v1/requests", headers=world.headers("pl"), json=_request(world))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["country"] == "PL" and body["status"] == "pending" and body["event_id"] is None
    assert body["requested_by"] == world.ids["user_pl"]
    r = client.post("/api/v1/requests", headers=world.headers("pl"), json=_request(world, country="PL"))
    assert r.status_code == 201


def test_liaison_naming_another_country_gets_404_and_nothing_is_written(client, world, engine):
    r = client.post("/api/v1/requests", headers=world.headers("pl"), json=_request(world, country="NO"))
    assert r.status_code == 404
    assert rows(engine, "service_request") == 0


def test_staff_must_name_the_country(client, world, engine):
    r = client.post("/api/v1/requests", headers=world.headers("staff"), json=_request(world))
    assert r.status_code == 422 and "country" in r.get_json()["errors"]
    r = client.post("/api/v1/requests", headers=world.headers("staff"), json=_request(world, country="NO"))
    assert r.status_code == 201 and r.get_json()["country"] == "NO"


def test_request_validation_names_fields(client, world, engine):
    r = client.post("/api/v1/requests", headers=world.headers("pl"),
                    json=_request(world, kind="party", wished_from="soon"))
    assert r.status_code == 422 and set(r.get_json()["errors"]["json"]) == {"kind", "wished_from"}
    r = client.post("/api/v1/requests", headers=world.headers("pl"),
                    json=_request(world, wished_to="2030-04-01"))
    assert r.status_code == 422 and set(r.get_json()["errors"]["json"]) == {"wished_to"}
    r = client.post("/api/v1/requests", headers=world.headers("pl"), json=_request(world, system_id=999))
    assert r.status_code == 422 and "system_id" in r.get_json()["errors"]
    assert rows(engine, "service_request") == 0


def test_accept_schedules_a_linked_event_and_the_liaison_sees_it(client, world, engine):
    request_id = factories.add_request(engine, world)
    staff = factories.add_staff(engine)
    h = world.headers("staff", **{"If-Match": "1"})
    r = client.post(f"/api/v1/requests/{request_id}/accept", headers=h, json={
        "title": "K9A1 fire-control course", "starts_at": "2030-05-12T09:00:00+02:00",
        "ends_at": "2030-05-16T16:00:00+02:00", "staff": [{"id": staff, "is_lead": True}],
        "participants_planned": 16, "capacity": 20})
    assert r.status_code == 200, r.get_json()
    decided = r.get_json()
    assert decided["status"] == "accepted" and decided["event_id"]
    event = client.get(f"/api/v1/events/{decided['event_id']}", headers=world.headers("pl")).get_json()
    assert event["request_id"] == request_id and event["status"] == "planned"
    assert event["kind"] == "tech_education" and event["country"] == "PL"
    seen = client.get(f"/api/v1/requests/{request_id}", headers=world.headers("pl")).get_json()
    assert seen["status"] == "accepted" and seen["event_id"] == decided["event_id"]
    notes = client.get("/api/v1/notifications", headers=world.headers("pl")).get_json()
    assert [n["kind"] for n in notes] == ["request_accepted"]
    # Deciding twice is a conflict.
    r = client.post(f"/api/v1/requests/{request_id}/decline",
                    headers=world.headers("staff", **{"If-Match": "*"}),
                    json={"reason": "changed our mind"})
    assert r.status_code == 409


def test_accept_with_a_double_booking_writes_nothing(client, world, engine):
    request_id = factories.add_request(engine, world)
    staff = factories.add_staff(engine)
    factories.add_event(engine, world, starts_at=factories.WHEN, staff=[staff])
    r = client.post(f"/api/v1/requests/{request_id}/accept",
                    headers=world.headers("staff", **{"If-Match": "1"}),
                    json={"title": "Clash", "starts_at": factories.WHEN.isoformat(),
                          "ends_at": "2030-03-04T10:00:00+00:00", "staff": [{"id": staff}]})
    assert r.status_code == 409 and r.get_json()["conflicts"]
    assert rows(engine, "service_event") == 1
    seen = client.get(f"/api/v1/requests/{request_id}", headers=world.headers("pl")).get_json()
    assert seen["status"] == "pending"


def test_decline_needs_a_reason_the_liaison_then_reads(client, world, engine):
    request_id = factories.add_request(engine, world)
    h = world.headers("staff", **{"If-Match": "1"})
    r = client.post(f"/api/v1/requests/{request_id}/decline", headers=h, json={})
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]["json"]
    r = client.post(f"/api/v1/requests/{request_id}/decline", headers=h,
                    json={"reason": "No instructors free before July"})
    assert r.status_code == 200
    seen = client.get(f"/api/v1/requests/{request_id}", headers=world.headers("pl")).get_json()
    assert seen["status"] == "declined" and seen["decline_reason"] == "No instructors free before July"
    r = client.post(f"/api/v1/requests/{request_id}/accept",
                    headers=world.headers("staff", **{"If-Match": "2"}),
                    json={"title": "Late", "starts_at": "2030-06-01T08:00:00+00:00",
                          "ends_at": "2030-06-01T12:00:00+00:00"})
    assert r.status_code == 409


def test_lists_are_scoped_and_filtered(client, world, engine):
    factories.add_request(engine, world, who="pl")
    factories.add_request(engine, world, who="no", description="Oslo winter course")
    mine = client.get("/api/v1/requests", headers=world.headers("pl")).get_json()
    assert [r["country"] for r in mine] == ["PL"]
    staff = client.get("/api/v1/requests", headers=world.headers("staff"), query_string={"country": "NO"})
    assert [r["description"] for r in staff.get_json()] == ["Oslo winter course"]
    assert client.get("/api/v1/requests?status=accepted", headers=world.headers("staff")).get_json() == []


def test_a_request_names_a_system_the_country_has_a_contract_for(client, world, engine):
    k239 = add_norway_only_system(engine)
    for who, extra in (("pl", {}), ("staff", {"country": "PL"})):
        r = client.post("/api/v1/requests", headers=world.headers(who),
                        json=_request(world, system_id=k239, **extra))
        assert r.status_code == 422, r.get_json()
        assert r.get_json()["errors"] == {"system_id": ["Poland has no contract for this system"]}
    assert rows(engine, "service_request") == 0
    r = client.post("/api/v1/requests", headers=world.headers("no"), json=_request(world, system_id=k239))
    assert r.status_code == 201


def _filed(client, world):
    r = client.post("/api/v1/requests", headers=world.headers("pl"), json=_request(world))
    assert r.status_code == 201
    return r.get_json()["id"], r.headers["ETag"]


def test_liaison_edits_a_pending_request_with_if_match(client, world, engine):
    request_id, etag = _filed(client, world)
    url = f"/api/v1/requests/{request_id}"
    r = client.patch(url, headers=world.headers("pl"), json={"description": "Night firing"})
    assert r.status_code == 428
    r = client.patch(url, headers={**world.headers("pl"), "If-Match": etag},
                     json={"wished_to": "2030-04-01"})
    assert r.status_code == 422 and "wished_to" in r.get_json()["errors"]
    r = client.patch(url, headers={**world.headers("pl"), "If-Match": etag}, json={"country": "NO"})
    assert r.status_code == 422
    r = client.patch(url, headers={**world.headers("pl"), "If-Match": etag},
                     json={"description": "Night firing", "wished_to": "2030-06-15"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["description"] == "Night firing" and body["wished_to"] == "2030-06-15"
    # the old ETag is stale now: nothing written
    r = client.patch(url, headers={**world.headers("pl"), "If-Match": etag}, json={"description": "x"})
    assert r.status_code == 412
    assert client.get(url, headers=world.headers("pl")).get_json()["description"] == "Night firing"


def test_liaison_withdraws_and_staff_can_no_longer_decide(client, world, engine):
    request_id, etag = _filed(client, world)
    r = client.post(f"/api/v1/requests/{request_id}/withdraw",
                    headers={**world.headers("pl"), "If-Match": etag})
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"
    etag = r.headers["ETag"]
    r = client.post(f"/api/v1/requests/{request_id}/decline",
                    headers={**world.headers("staff"), "If-Match": etag}, json={"reason": "late"})
    assert r.status_code == 409
    r = client.patch(f"/api/v1/requests/{request_id}",
                     headers={**world.headers("pl"), "If-Match": etag}, json={"description": "again"})
    assert r.status_code == 409
    r = client.get("/api/v1/requests?status=withdrawn", headers=world.headers("pl"))
    assert [x["id"] for x in r.get_json()] == [request_id]


def test_staff_decide_a_liaisons_request_rather_than_edit_it(client, world, engine):
    request_id, etag = _filed(client, world)
    r = client.post(f"/api/v1/requests/{request_id}/withdraw",
                    headers={**world.headers("staff"), "If-Match": etag})
    assert r.status_code == 409
    r = client.get(f"/api/v1/requests/{request_id}", headers=world.headers("pl"))
    assert r.get_json()["status"] == "pending"


def test_a_decided_request_cannot_be_edited(client, world, engine):
    request_id, etag = _filed(client, world)
    r = client.post(f"/api/v1/requests/{request_id}/decline",
                    headers={**world.headers("staff"), "If-Match": etag}, json={"reason": "No slot"})
    assert r.status_code == 200
    r = client.patch(f"/api/v1/requests/{request_id}",
                     headers={**world.headers("pl"), "If-Match": r.headers["ETag"]},
                     json={"description": "x"})
    assert r.status_code == 409 and "status" in r.get_json()["errors"]
