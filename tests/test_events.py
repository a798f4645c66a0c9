"""Service events through the API: scheduling, validation, local times, the lifecycle, staff."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import rows

STATUSES = ["planned", "confirmed", "in_progress", "completed", "postponed", "cancelled"]
LEGAL = {("planned", "confirmed"), ("planned", "postponed"), ("planned", "cancelled"),
         ("confirmed", "in_progress"), ("confirmed", "postponed"), ("confirmed", "cancelled"),
         ("in_progress", "completed"), ("in_progress", "cancelled"),
         ("postponed", "planned"), ("postponed", "cancelled")}


def _body(world, **over):
    body = {"kind": "joint_training", "title": "K9A1 gunnery joint training", "country": "PL",
            "system_id": world.ids["k9"], "starts_at": "2030-07-01T09:00:00+02:00",
            "ends_at": "2030-07-03T17:00:00+02:00", "location": "Orzysz range",
            "capacity": 30, "participants_planned": 24, "objectives": "Fire-control drills"}
    return {**body, **over}


def test_staff_schedule_an_event_with_staff_units_and_local_times(client, world, engine):
    lead = factories.add_staff(engine, "Park Ji-hoon")
    other = factories.add_staff(engine, "Choi Eun-ji", skills=["interpreter:pl"])
    r = client.post("/api/v1/events", headers=world.headers("staff"), json=_body(
        world, staff=[{"id": other}, {"id": lead, "is_lead": True}], unit_ids=world.ids["units_PL"][:2]))
    assert r.status_code == 201, r.get_json()
    event = r.get_json()
    assert event["status"] == "planned" and event["timezone"] == "Europe/Warsaw"
    assert event["starts_at"] == "2030-07-01T07:00:00+00:00"
    assert event["starts_at_local"] == "2030-07-01T09:00:00+02:00"
    assert event["ends_at_local"] == "2030-07-03T17:00:00+02:00"
    assert event["staff"][0] == {"id": lead, "name": "Park Ji-hoon", "is_lead": True}
    assert sorted(event["unit_ids"]) == sorted(world.ids["units_PL"][:2])
    assert r.headers["ETag"] == '"1"'
    # The Polish liaison sees it; the Norwegian one does not.
    assert client.get(f"/api/v1/events/{event['id']}", headers=world.headers("pl")).status_code == 200
    assert client.get(f"/api/v1/events/{event['id']}", headers=world.headers("no")).status_code == 404


def test_timezone_for_display_can_differ_from_the_country(client, world):
    r = client.post("/api/v1/events", headers=world.headers("staff"),
                    json=_body(world, timezone="Asia/Seoul"))
    assert r.get_json()["starts_at_local"] == "2030-07-01T16:00:00+09:00"


@pytest.mark.parametrize("change, field", [
    ({"starts_at": "2030-07-01T09:00:00"}, "starts_at"),          # naive
    ({"ends_at": "2030-07-01T09:00:00+02:00"}, "ends_at"),        # equal to start
    ({"ends_at": "2030-06-30T09:00:00+02:00"}, "ends_at"),        # before start
    ({"kind": "parade"}, "kind"),
    ({"country": "XX"}, "country"),
    ({"title": ""}, "title"),
    ({"participants_planned": 31}, "participants_planned"),
    ({"timezone": "Mars/Base"}, "timezone"),
    ({"staff": [{"id": 1, "is_lead": True}, {"id": 2, "is_lead": True}]}, "staff"),
    ({"unit_ids": [1, 1]}, "unit_ids"),
    ({"recurrence": "FREQ=SOMETIMES"}, "recurrence"),
])
def test_invalid_event_is_422_naming_the_field_and_writes_nothing(client, world, engine, change, field):
    r = client.post("/api/v1/events", headers=world.headers("staff"), json=_body(world, **change))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["json"]
    assert rows(engine, "service_event") == 0


@pytest.mark.parametrize("change, field", [
    ({"country": "EE"}, "country"),                    # valid code, not a buyer
    ({"system_id": 999}, "system_id"),
    ({"staff": [{"id": 999}]}, "staff"),
    ({"unit_ids": [999]}, "unit_ids"),
])
def test_unknown_references_are_422(client, world, engine, change, field):
    r = client.post("/api/v1/events", headers=world.headers("staff"), json=_body(world, **change))
    assert r.status_code == 422 and field in r.get_json()["errors"]
    assert rows(engine, "service_event") == 0


def test_units_must_belong_to_the_events_country_and_system(client, world, engine):
    r = client.post("/api/v1/events", headers=world.headers("staff"),
                    json=_body(world, unit_ids=[world.ids["unit_NO"]]))
    assert r.status_code == 422 and "unit_ids" in r.get_json()["errors"]
    r = client.post("/api/v1/events", headers=world.headers("staff"),
                    json=_body(world, system_id=world.ids["k2"], unit_ids=[world.ids["unit_PL"]]))
    assert r.status_code == 422 and "unit_ids" in r.get_json()["errors"]
    inactive = factories.add_staff(engine, "Retired", active=False)
    r = client.post("/api/v1/events", headers=world.headers("staff"),
                    json=_body(world, staff=[{"id": inactive}]))
    assert r.status_code == 422 and "inactive" in r.get_json()["errors"]["staff"][0]
    assert rows(engine, "service_event") == 0


def test_list_filters_and_time_range(client, world, engine):
    base = factories.WHEN
    factories.add_event(engine, world, starts_at=base)
    factories.add_event(engine, world, starts_at=base + dt.timedelta(days=10), kind="trial_run")
    factories.add_event(engine, world, country="NO", starts_at=base + dt.timedelta(days=20))
    h = world.headers("staff")

    def ids(**q):
        return [e["title"] for e in client.get("/api/v1/events", headers=h, query_string=q).get_json()]

    assert len(ids()) == 3
    assert ids(country="NO") == ["K9A1 joint training NO"]
    assert ids(kind="trial_run") == ["K9A1 trial run PL"]
    assert len(ids(**{"from": "2030-03-10", "to": "2030-03-20T00:00:00+00:00"})) == 1
    r = client.get("/api/v1/events", headers=h, query_string={"from": "2030-03-10T00:00:00"})
    assert r.status_code == 422 and "from" in r.get_json()["errors"]["query"]
    r = client.get("/api/v1/events?page_size=2", headers=h)
    assert json.loads(r.headers["X-Pagination"])["total"] == 3 and len(r.get_json()) == 2
    mine = client.get("/api/v1/events", headers=world.headers("pl")).get_json()
    assert [e["country"] for e in mine] == ["PL"] * 2


def test_patch_needs_if_match_and_bumps_the_version(client, world, engine):
    event_id = factories.add_event(engine, world)
    h = world.headers("staff")
    assert client.patch(f"/api/v1/events/{event_id}", headers=h, json={"title": "X"}).status_code == 428
    r = client.patch(f"/api/v1/events/{event_id}", headers={**h, "If-Match": '"7"'}, json={"title": "X"})
    assert r.status_code == 412
    staff_id = factories.add_staff(engine)
    r = client.patch(f"/api/v1/events/{event_id}", headers={**h, "If-Match": '"1"'},
                     json={"staff": [{"id": staff_id, "is_lead": True}]})
    assert r.status_code == 200 and r.get_json()["version"] == 2 and r.get_json()["staff"][0]["is_lead"]
    r = client.patch(f"/api/v1/events/{event_id}", headers={**h, "If-Match": '"2"'},
                     json={"ends_at": "2030-03-04T07:00:00+00:00"})
    assert r.status_code == 422 and "ends_at" in r.get_json()["errors"]
    r = client.patch(f"/api/v1/events/{event_id}", headers={**h, "If-Match": '"2"'},
                     json={"staff": [], "status": "completed"})
    assert r.status_code == 422  # status only moves through /transition


@pytest.mark.parametrize("before", STATUSES)
def test_lifecycle_table(client, world, engine, before):
    """From each state, every target: legal moves succeed, the others answer 409 with `allowed`."""
    allowed = sorted(a for b, a in LEGAL if b == before)
    for n, after in enumerate(STATUSES):
        event_id = factories.add_event(engine, world, status=before,
                                       starts_at=factories.WHEN + dt.timedelta(days=n))
        version = client.get(f"/api/v1/events/{event_id}",
                             headers=world.headers("staff")).get_json()["version"]
        r = client.post(f"/api/v1/events/{event_id}/transition",
                        headers=world.headers("staff", **{"If-Match": str(version)}),
                        json={"status": after, "reason": "weather", "participants_actual": 20,
                              "outcome": "All crews certified", "early": True})
        if (before, after) in LEGAL:
            assert r.status_code == 200, (before, after, r.get_json())
            assert r.get_json()["status"] == after
        else:
            assert r.status_code == 409, (before, after, r.get_json())
            assert sorted(r.get_json()["allowed"]) == allowed


def test_cancel_needs_a_reason_and_is_audited_with_it(client, world, engine):
    event_id = factories.add_event(engine, world)
    h = world.headers("staff", **{"If-Match": "1"})
    r = client.post(f"/api/v1/events/{event_id}/transition", headers=h, json={"status": "cancelled"})
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    r = client.post(f"/api/v1/events/{event_id}/transition", headers=h,
                    json={"status": "cancelled", "reason": "Range closed by the host"})
    assert r.status_code == 200 and r.get_json()["cancel_reason"] == "Range closed by the host"
    assert r.get_json()["cancelled_at"] == r.get_json()["updated_at"]  # when, kept apart from later edits
    audit = client.get("/api/v1/audit", headers=world.headers("admin"),
                       query_string={"entity": "service_event", "action": "transition"}).get_json()
    assert audit[0]["actor"] == "staff@example.org"
    changes = audit[0]["changes"]
    assert changes["status"] == ["planned", "cancelled"] and changes["reason"] == "Range closed by the host"
    assert changes["cancel_reason"] == [None, "Range closed by the host"]
    # One entry per change: the transition's, written by the session's audit hook alone.
    entries = client.get("/api/v1/audit", headers=world.headers("admin"),
                         query_string={"entity": "service_event", "entity_id": str(event_id)}).get_json()
    assert [e["action"] for e in entries] == ["transition", "create"]
    # A cancelled event cannot be rescheduled.
    r = client.patch(f"/api/v1/events/{event_id}", headers=world.headers("staff", **{"If-Match": "2"}),
                     json={"starts_at": "2030-03-05T08:00:00+00:00"})
    assert r.status_code == 409


def test_completing_needs_participants_and_outcome_then_notifies(client, world, engine):
    event_id = factories.add_event(engine, world, status="in_progress")
    h = world.headers("staff", **{"If-Match": "3"})
    r = client.post(f"/api/v1/events/{event_id}/transition", headers=h,
                    json={"status": "completed", "early": True, "reason": "finished early"})
    assert r.status_code == 422 and set(r.get_json()["errors"]) == {"participants_actual", "outcome"}
    r = client.post(f"/api/v1/events/{event_id}/transition", headers=h,
                    json={"status": "completed", "participants_actual": 18, "outcome": "Certified",
                          "early": True, "reason": "the crews finished a day ahead"})
    assert r.status_code == 200
    event = r.get_json()
    assert event["participants_actual"] == 18 and event["completed_at"] is not None
    notes = client.get("/api/v1/notifications", headers=world.headers("pl")).get_json()
    assert sorted(n["kind"] for n in notes) == ["event_completed", "survey_invitation"]
    assert client.get("/api/v1/notifications", headers=world.headers("no")).get_json() == []
    # Completing opened the event's survey, once, with its public link for the liaison.
    surveys = client.get(f"/api/v1/surveys?event={event_id}", headers=world.headers("pl")).get_json()
    assert len(surveys) == 1 and surveys[0]["status"] == "sent" and "/surveys/" in surveys[0]["answer_url"]
    invitation = next(n for n in notes if n["kind"] == "survey_invitation")
    assert surveys[0]["answer_url"] in invitation["body"]


def test_staff_endpoints_are_for_staff_and_admins(client, world):
    h = world.headers("staff")
    r = client.post("/api/v1/staff", headers=h, json={"name": "Jung Woo-sung", "email": "jung@example.kr",
                                                      "skills": ["technician:FA-50"]})
    assert r.status_code == 201
    staff_id = r.get_json()["id"]
    r = client.patch(f"/api/v1/staff/{staff_id}", headers={**h, "If-Match": '"1"'}, json={"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert [s["name"] for s in client.get("/api/v1/staff?q=woo", headers=h).get_json()] == ["Jung Woo-sung"]
    assert client.get("/api/v1/staff", headers=world.headers("pl")).status_code == 403
    r = client.post("/api/v1/staff", headers=h, json={"name": "", "email": "nope"})
    assert r.status_code == 422 and set(r.get_json()["errors"]["json"]) == {"name", "email"}


def test_event_row_is_stored_in_utc(engine, world):
    summer = dt.timezone(dt.timedelta(hours=2))
    factories.add_event(engine, world, starts_at=dt.datetime(2030, 7, 1, 9, tzinfo=summer))
    with engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT starts_at FROM service_event")).scalar()
    assert str(raw).startswith("2030-07-01 07:00:00")


def test_a_transitions_reason_is_on_its_one_audit_entry_even_when_the_row_keeps_none(client, world, engine):
    event_id = factories.add_event(engine, world)
    r = client.post(f"/api/v1/events/{event_id}/transition",
                    headers=world.headers("staff", **{"If-Match": "1"}),
                    json={"status": "postponed", "reason": "Host nation holiday"})
    assert r.status_code == 200 and r.get_json()["cancel_reason"] is None
    entries = client.get("/api/v1/audit", headers=world.headers("admin"),
                         query_string={"entity": "service_event", "entity_id": str(event_id)}).get_json()
    assert [e["action"] for e in entries] == ["transition", "create"]
    assert entries[0]["changes"]["status"] == ["planned", "postponed"]
    assert entries[0]["changes"]["reason"] == "Host nation holiday"


def test_an_event_is_answered_exactly_as_its_schemas_fields_dump_it(client, world, engine):
    """`event_json` builds the answer in one step; every key and value equals the fields' own
    dump, for an event with staff, units, a series, a local zone and empty values alike."""
    from sqlmodel import Session

    from service.domain import services
    from service.schemas.services import EventSchema

    lead = factories.add_staff(engine, "Park Ji-hoon")
    r = client.post("/api/v1/events", headers=world.headers("staff"), json=_body(
        world, timezone="Asia/Seoul", staff=[{"id": lead, "is_lead": True}],
        unit_ids=world.ids["units_PL"][:2], recurrence="FREQ=MONTHLY;COUNT=2"))
    assert r.status_code == 201, r.get_json()
    assert len(r.get_json()["series_event_ids"]) == 2
    bare = factories.add_event(engine, world, status="in_progress")
    schema = EventSchema()
    with Session(engine) as session:
        rows_ = session.execute(services.events_query({}, columns=True)).all()
        events = services.with_assignments(session=session, events=rows_)
    assert {e.id for e in events} >= {r.get_json()["id"], bare}
    for event in events:
        assert schema.dump(event) == schema.dump_by_fields(event)
    seoul = next(e for e in events if e.id == r.get_json()["id"])
    assert schema.dump(seoul)["starts_at_local"] == "2030-07-01T16:00:00+09:00"
    assert schema.dump(seoul)["staff"] == [{"id": lead, "is_lead": True, "name": "Park Ji-hoon"}]
    assert EventSchema(many=True).dump(events) == [schema.dump_by_fields(e) for e in events]
    # the answer that created the series names it, as the fields would
    created = next(e for e in events if e.id == r.get_json()["id"])
    created.series_event_ids = r.get_json()["series_event_ids"]
    assert schema.dump(created) == schema.dump_by_fields(created)
    assert r.get_json() == {**schema.dump(created), "version": r.get_json()["version"]}
