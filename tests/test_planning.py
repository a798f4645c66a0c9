"""Planning through the API: skills, absences, busy windows, suggested slots (SPEC §10)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from models import UnitStatus
from service.core.db import session_scope
from service.domain.conflicts import find_conflicts
from tests import factories
from tests.conftest import rows

MONDAY = dt.datetime(2030, 3, 4, 7, 0, tzinfo=dt.UTC)  # 08:00 in Warsaw (CET)


def _suggest(world, **over):
    body = {"kind": "joint_training", "country": "PL", "system": world.ids["k9"], "duration_days": 1,
            "earliest_start": "2030-03-04", "latest_end": "2030-03-09",
            "requirements": [{"skill": "instructor:K9A1", "count": 2}], "units": {"count": 1}}
    return {k: v for k, v in {**body, **over}.items() if v is not None}


def _instructors(engine, n=3, skill="instructor:K9A1"):
    names = ["Park Ji-hoon", "Kang Min-seo", "Han Do-yoon", "Shin Ye-jin"][:n]
    return [factories.add_staff(engine, name, skills=[skill, "interpreter:pl"]) for name in names]


def test_skills_are_kind_subject_strings(client, world):
    h = world.headers("staff")
    bad = client.post("/api/v1/staff", headers=h, json={"name": "Oh Ji-woo", "skills": ["instructor K9"]})
    assert bad.status_code == 422 and "kind:subject" in str(bad.get_json()["errors"]["json"]["skills"])
    assert client.post("/api/v1/staff", headers=h, json={
        "name": "Oh Ji-woo", "skills": ["chef:kimchi"]}).status_code == 422
    r = client.post("/api/v1/staff", headers=h, json={"name": "Oh Ji-woo",
                                                      "skills": ["technician:K9A1", "interpreter:pl"]})
    assert r.status_code == 201 and r.get_json()["skills"] == ["technician:K9A1", "interpreter:pl"]


def test_absences_are_recorded_listed_and_removed_by_staff_only(client, world, engine):
    h = world.headers("staff")
    sid, other = _instructors(engine, 2)
    url = f"/api/v1/staff/{sid}/unavailability"
    r = client.post(url, headers=h, json={"starts_at": "2030-03-05T00:00:00+01:00",
                                          "ends_at": "2030-03-07T00:00:00+01:00", "reason": "annual leave"})
    assert r.status_code == 201, r.get_json()
    window = r.get_json()
    assert window["starts_at"] == "2030-03-04T23:00:00+00:00" and window["reason"] == "annual leave"
    assert [w["id"] for w in client.get(url, headers=h).get_json()] == [window["id"]]
    before = rows(engine, "staff_unavailability")
    wrong = client.post(url, headers=h, json={"starts_at": "2030-03-07T00:00:00+01:00",
                                              "ends_at": "2030-03-05T00:00:00+01:00", "reason": "x"})
    assert wrong.status_code == 422 and "ends_at" in wrong.get_json()["errors"]["json"]
    no_reason = client.post(url, headers=h, json={"starts_at": "2030-03-05T00:00:00+01:00",
                                                  "ends_at": "2030-03-06T00:00:00+01:00"})
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]["json"]
    assert rows(engine, "staff_unavailability") == before
    pl = world.headers("pl")
    assert client.get(url, headers=pl).status_code == 403
    assert client.post(url, headers=pl, json={"starts_at": "2030-03-05T00:00:00+01:00",
                                              "ends_at": "2030-03-06T00:00:00+01:00",
                                              "reason": "x"}).status_code == 403
    assert client.delete(f"{url}/{window['id']}", headers=pl).status_code == 403
    assert client.delete(f"/api/v1/staff/{other}/unavailability/{window['id']}", headers=h).status_code == 404
    assert client.delete(f"{url}/{window['id']}", headers=h).status_code == 204
    assert client.get(url, headers=h).get_json() == []


def test_availability_lists_services_and_absences_in_the_range(client, world, engine):
    h = world.headers("staff")
    a, b = _instructors(engine, 2)
    unit = world.ids["units_PL"][0]
    event = factories.add_event(engine, world, staff=[a], units=[unit], starts_at=MONDAY, hours=9)
    factories.add_event(engine, world, staff=[b], starts_at=MONDAY + dt.timedelta(days=40))  # outside
    client.post(f"/api/v1/staff/{b}/unavailability", headers=h, json={
        "starts_at": "2030-03-05T00:00:00+01:00", "ends_at": "2030-03-06T00:00:00+01:00",
        "reason": "travel to Seoul"})
    r = client.get("/api/v1/availability", headers=h, query_string={
        "from": "2030-03-01", "to": "2030-03-31", "skill": "instructor:K9A1", "country": "PL",
        "system": world.ids["k9"]})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    staff = {s["id"]: s["busy"] for s in body["staff"]}
    assert set(staff) == {a, b}
    assert [(w["what"], w["event_id"]) for w in staff[a]] == [("service", event)]
    assert [(w["what"], w["reason"]) for w in staff[b]] == [("unavailable", "travel to Seoul")]
    units = {u["id"]: u for u in body["units"]}
    assert set(units) == set(world.ids["units_PL"])
    assert [w["event_id"] for w in units[unit]["busy"]] == [event]
    assert units[world.ids["units_PL"][1]]["busy"] == []
    assert client.get("/api/v1/availability", headers=world.headers("pl"), query_string={
        "from": "2030-03-01", "to": "2030-03-31"}).status_code == 403
    bad = client.get("/api/v1/availability", headers=h,
                     query_string={"from": "2030-03-31", "to": "2030-03-01"})
    assert bad.status_code == 422 and "to" in bad.get_json()["errors"]["query"]


def test_a_cancelled_service_blocks_nobody(client, world, engine):
    (a,) = _instructors(engine, 1)
    factories.add_event(engine, world, staff=[a], starts_at=MONDAY, status="cancelled")
    body = client.get("/api/v1/availability", headers=world.headers("staff"), query_string={
        "from": "2030-03-01", "to": "2030-03-31", "staff": a}).get_json()
    assert body["staff"][0]["busy"] == [] and body["units"] == []


def test_suggestions_avoid_bookings_and_absences_and_pass_the_conflict_check(client, world, engine, app):
    h = world.headers("staff")
    a, b, c = _instructors(engine, 3)
    units = world.ids["units_PL"]
    factories.add_event(engine, world, staff=[a], units=units[:1], starts_at=MONDAY, hours=9)
    client.post(f"/api/v1/staff/{b}/unavailability", headers=h, json={
        "starts_at": "2030-03-04T00:00:00+01:00", "ends_at": "2030-03-06T00:00:00+01:00",
        "reason": "annual leave"})
    r = client.post("/api/v1/events/suggest", headers=h, json=_suggest(world))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["timezone"] == "Europe/Warsaw" and body["unmet"] == []
    proposals = body["proposals"]
    # Monday: a is booked and b away, only c is free; from Tuesday a pair, never b before Wednesday.
    assert [p["starts_at_local"] for p in proposals] == [
        f"2030-03-0{d}T08:00:00+01:00" for d in (5, 6, 7, 8)]
    first = proposals[0]
    assert {s["id"] for s in first["staff"]} == {a, c}
    assert first["ends_at_local"] == "2030-03-05T17:00:00+01:00"
    assert len(first["units"]) == 1
    with app.app_context(), session_scope(engine) as s:
        for p in proposals:
            window = [(dt.datetime.fromisoformat(p["starts_at"]), dt.datetime.fromisoformat(p["ends_at"]))]
            assert not find_conflicts(s, windows=window, staff_ids=[x["id"] for x in p["staff"]],
                                      unit_ids=[u["id"] for u in p["units"]])
    # The proposal books as it stands.
    booked = client.post("/api/v1/events", headers=h, json={
        "kind": "joint_training", "title": "K9A1 joint training", "country": "PL",
        "system_id": world.ids["k9"], "starts_at": first["starts_at"], "ends_at": first["ends_at"],
        "staff": [{"id": x["id"]} for x in first["staff"]], "unit_ids": [u["id"] for u in first["units"]]})
    assert booked.status_code == 201, booked.get_json()


def test_when_nothing_fits_the_answer_names_the_requirement_and_the_nearest_miss(client, world, engine):
    h = world.headers("staff")
    a, b = _instructors(engine, 2)
    client.post(f"/api/v1/staff/{b}/unavailability", headers=h, json={
        "starts_at": "2030-03-01T00:00:00+01:00", "ends_at": "2030-03-12T00:00:00+01:00",
        "reason": "course in Changwon"})
    body = client.post("/api/v1/events/suggest", headers=h, json=_suggest(world)).get_json()
    assert body["proposals"] == []
    (miss,) = body["unmet"]
    assert miss["requirement"] == "instructor:K9A1" and miss["needed"] == 2 and miss["best"] == 1
    assert miss["message"] == ("only 1 instructor:K9A1 free in the window; "
                               "the first window with 2 starts 2030-03-12")
    none = client.post("/api/v1/events/suggest", headers=h, json=_suggest(
        world, requirements=[{"skill": "technician:K9A1", "count": 1}])).get_json()
    assert none["unmet"][0]["best"] == 0 and "none with 1" in none["unmet"][0]["message"]


def test_only_operational_units_of_the_country_and_system(client, world, engine):
    h = world.headers("staff")
    _instructors(engine, 2)
    units = world.ids["units_PL"]
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE unit SET status = :s WHERE id = :i"),
                     {"s": UnitStatus.under_repair.value, "i": units[0]})
    url = "/api/v1/events/suggest"
    body = client.post(url, headers=h, json=_suggest(world, units={"count": 3})).get_json()
    assert body["proposals"] == []
    assert body["unmet"][0]["message"].startswith("only 2 operational K9A1 unit(s) of PL exist")
    two = client.post(url, headers=h, json=_suggest(world, units={"count": 2})).get_json()
    assert {u["id"] for u in two["proposals"][0]["units"]} == set(units[1:])
    named = client.post("/api/v1/events/suggest", headers=h, json=_suggest(
        world, units={"serials": ["K9-PL-000", "K9-NO-001"]}))
    assert named.status_code == 422
    assert set(named.get_json()["errors"]["units"]["serials"]) == {
        "K9-PL-000 is under_repair, not operational", "K9-NO-001 is not a unit of K9A1 in PL"}


def test_a_warsaw_working_day_keeps_its_hours_across_the_october_change(client, world, engine):
    _instructors(engine, 2)
    body = client.post("/api/v1/events/suggest", headers=world.headers("staff"), json=_suggest(
        world, duration_days=None, duration_hours=9, earliest_start="2030-10-25",
        latest_end="2030-10-29T00:00:00+01:00",
        working_hours={"start": "08:00", "end": "17:00"})).get_json()
    starts = [(p["starts_at"], p["starts_at_local"]) for p in body["proposals"]]
    # Friday in summer time (UTC+2), the weekend skipped, Monday in winter time (UTC+1).
    assert starts == [("2030-10-25T06:00:00+00:00", "2030-10-25T08:00:00+02:00"),
                      ("2030-10-28T07:00:00+00:00", "2030-10-28T08:00:00+01:00")]


def test_hours_slots_rank_earliest_day_then_least_idle(client, world, engine):
    (a,) = _instructors(engine, 1)
    # a teaches 12:00-14:00 on Monday: the slots touching it strand the least of their day.
    factories.add_event(engine, world, staff=[a], starts_at=MONDAY + dt.timedelta(hours=4), hours=2)
    body = client.post("/api/v1/events/suggest", headers=world.headers("staff"), json=_suggest(
        world, duration_days=None, duration_hours=2, latest_end="2030-03-05",
        requirements=[{"skill": "instructor:K9A1", "count": 1}], units={"count": 0})).get_json()
    assert [(p["starts_at_local"][11:16], p["idle_staff_hours"]) for p in body["proposals"]] == [
        ("10:00", 0), ("14:00", 0), ("09:00", 1), ("15:00", 1), ("08:00", 2)]
    assert all(p["starts_at_local"].startswith("2030-03-04") for p in body["proposals"])


def test_suggest_refuses_bad_requests_and_liaisons(client, world):
    h = world.headers("staff")
    both = client.post("/api/v1/events/suggest", headers=h, json=_suggest(world, duration_hours=3))
    assert both.status_code == 422 and "duration_days" in both.get_json()["errors"]["json"]
    backwards = client.post("/api/v1/events/suggest", headers=h, json=_suggest(
        world, earliest_start="2030-03-09", latest_end="2030-03-04"))
    assert backwards.status_code == 422 and "latest_end" in backwards.get_json()["errors"]["json"]
    weekend = client.post("/api/v1/events/suggest", headers=h, json=_suggest(
        world, earliest_start="2030-03-09", latest_end="2030-03-10T23:00:00+01:00"))
    assert weekend.status_code == 422 and "latest_end" in weekend.get_json()["errors"]
    skill = client.post("/api/v1/events/suggest", headers=h, json=_suggest(
        world, requirements=[{"skill": "K9A1", "count": 1}]))
    assert skill.status_code == 422
    assert client.post("/api/v1/events/suggest", headers=world.headers("pl"),
                       json=_suggest(world, country="PL")).status_code == 403
