"""Support packages: lines and their states, deliveries, acceptance and disputes, the plan."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from models import Notification, ServiceEvent
from tests import factories

API = "/api/v1"
TODAY = dt.date.today()


EARLY = {"early": True, "reason": "ahead of its dates in the test"}  # the time guards (SPEC §10)


def _line(client, world, **body):
    due = (TODAY + dt.timedelta(days=60)).isoformat()
    r = client.post(f"{API}/contracts/{world.ids['contract_PL']}/package", headers=world.headers("staff"),
                    json={"kind": "spares", "quantity": 4, "due_on": due,
                          "description": "Barrel spare kit", **body})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _package(client, world, who="pl"):
    url = f"{API}/contracts/{world.ids['contract_PL']}/package"
    return client.get(url, headers=world.headers(who)).get_json()


def _deliver(client, world, line_id, quantity):
    r = client.post(f"{API}/contracts/{world.ids['contract_PL']}/package/{line_id}/deliveries",
                    headers=world.headers("staff"),
                    json={"quantity": quantity, "delivered_on": TODAY.isoformat(), "note": "Shipped"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_line_states_follow_deliveries_acceptance_and_due_dates(client, world):
    spares = _line(client, world)
    late = _line(client, world, kind="publication", quantity=2, language="pl", revision="B",
                 description="Operator manual", due_on=(TODAY - dt.timedelta(days=1)).isoformat())
    assert {line["id"]: line["state"] for line in _package(client, world)} == {
        spares["id"]: "planned", late["id"]: "overdue"}
    first = _deliver(client, world, spares["id"], 3)
    assert next(x for x in _package(client, world) if x["id"] == spares["id"])["state"] == "in_progress"
    second = _deliver(client, world, spares["id"], 1)
    line = next(x for x in _package(client, world) if x["id"] == spares["id"])
    assert (line["state"], line["delivered"], line["remaining"]) == ("delivered", 4, 0)
    h = world.headers("pl")
    for d in (first, second):
        r = client.post(f"{API}/deliveries/{d['id']}/accept", headers={**h, "If-Match": f'"{d["version"]}"'})
        assert r.status_code == 200 and r.get_json()["status"] == "accepted"
    assert next(x for x in _package(client, world) if x["id"] == spares["id"])["state"] == "accepted"


def test_a_dispute_uncounts_the_delivery_tells_staff_and_can_be_answered(client, world, engine):
    spares = _line(client, world, quantity=2)
    d = _deliver(client, world, spares["id"], 2)
    url = f"{API}/deliveries/{d['id']}"
    h = world.headers("pl")
    assert client.post(f"{url}/dispute", headers={**h, "If-Match": "*"}, json={}).status_code == 422
    r = client.post(f"{url}/dispute", headers={**h, "If-Match": f'"{d["version"]}"'},
                    json={"reason": "One kit arrived damaged"})
    assert r.status_code == 200 and r.get_json()["status"] == "disputed"
    line = _package(client, world)[0]
    assert (line["state"], line["delivered"], line["disputed"]) == ("in_progress", 0, 1)
    with engine.connect() as conn:
        told = conn.execute(sa.select(Notification.recipient).where(
            Notification.kind == "delivery_disputed")).scalars().all()
    assert sorted(told) == ["admin@example.org", "staff@example.org"]
    assert client.post(f"{url}/accept", headers={**h, "If-Match": "*"}).status_code == 409
    r = client.post(f"{url}/answer", headers={**h, "If-Match": "*"}, json={"answer": "x"})
    assert r.status_code == 403
    r = client.post(f"{url}/answer", headers={**world.headers("staff"), "If-Match": "*"},
                    json={"answer": "A replacement kit ships on Monday"})
    assert r.status_code == 200 and r.get_json()["status"] == "answered"
    assert _package(client, world)[0]["delivered"] == 2
    r = client.post(f"{url}/accept", headers={**h, "If-Match": '"1"'})
    assert r.status_code == 412  # the answer made a new version
    r = client.post(f"{url}/accept", headers={**world.headers("staff"), "If-Match": "*"})
    assert r.status_code == 403


def test_bad_lines_and_deliveries_are_refused_and_write_nothing(client, world):
    url = f"{API}/contracts/{world.ids['contract_PL']}/package"
    staff = world.headers("staff")
    r = client.post(url, headers=staff, json={"kind": "cake", "quantity": 0, "due_on": "soon"})
    assert r.status_code == 422 and set(r.get_json()["errors"]["json"]) == {"kind", "quantity", "due_on"}
    r = client.post(url, headers=staff, json={"kind": "spares", "quantity": 1, "due_on": "2030-01-01",
                                              "language": "pl"})
    assert r.status_code == 422
    training = _line(client, world, kind="training", quantity=10)
    r = client.post(f"{url}/{training['id']}/deliveries", headers=staff,
                    json={"quantity": 1, "delivered_on": TODAY.isoformat()})
    assert r.status_code == 422  # services deliver a service line
    assert client.post(url, headers=world.headers("pl"), json={"kind": "spares", "quantity": 1,
                                                               "due_on": "2030-01-01"}).status_code == 403
    assert [x["id"] for x in _package(client, world)] == [training["id"]]


def test_a_completed_linked_service_counts_on_its_line(client, world):
    _line(client, world, kind="trial_run", quantity=2, description="Live-fire trials")
    plan = client.post(f"{API}/contracts/{world.ids['contract_PL']}/plan", headers=world.headers("staff"),
                       json={}).get_json()
    assert len(plan) == 2 and {p["kind"] for p in plan} == {"trial_run"}
    r = client.post(f"{API}/contracts/{world.ids['contract_PL']}/plan/confirm",
                    headers=world.headers("staff"),
                    json={"services": plan[:1]})
    assert r.status_code == 201
    [event_id] = r.get_json()["event_ids"]
    assert _package(client, world)[0]["scheduled_services"] == 1
    h = {**world.headers("staff"), "If-Match": "*"}
    for status in ("confirmed", "in_progress"):
        client.post(f"{API}/events/{event_id}/transition", headers=h, json={"status": status, **EARLY})
    r = client.post(f"{API}/events/{event_id}/transition", headers=h, json={
        "status": "completed", "participants_actual": 6, "outcome": "Fired", **EARLY})
    assert r.status_code == 200
    line = _package(client, world)[0]
    assert (line["delivered"], line["remaining"], line["state"]) == (1, 1, "in_progress")
    again = client.post(f"{API}/contracts/{world.ids['contract_PL']}/plan", headers=world.headers("staff"),
                        json={}).get_json()
    assert len(again) == 1


def test_plan_proposes_free_windows_before_due_dates_without_writing(client, world, engine):
    staff_id = factories.add_staff(engine, "Kang Min-jun")
    due = TODAY + dt.timedelta(days=60)
    _line(client, world, kind="training", quantity=30, due_on=due.isoformat(), description="Crew seats")
    _line(client, world, kind="tech_education", quantity=1, due_on=due.isoformat())
    # The staff member is busy in the window the plan would pick first.
    busy_start = dt.datetime.combine(due - dt.timedelta(days=20), dt.time(0), dt.UTC)
    factories.add_event(engine, world, starts_at=busy_start, hours=24 * 5, staff=[staff_id], lead=staff_id)
    with engine.connect() as conn:
        before = conn.scalar(sa.select(sa.func.count()).select_from(ServiceEvent))
    r = client.post(f"{API}/contracts/{world.ids['contract_PL']}/plan", headers=world.headers("staff"),
                    json={"staff": [staff_id]})
    assert r.status_code == 200, r.get_json()
    plan = r.get_json()
    assert [p["kind"] for p in plan] == ["joint_training", "joint_training", "tech_education"]  # 30 seats: 2
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(ServiceEvent)) == before  # nothing written
    windows = [(dt.datetime.fromisoformat(p["starts_at"]), dt.datetime.fromisoformat(p["ends_at"]))
               for p in plan]
    assert not any(p["late"] for p in plan)
    for start, end in windows:
        assert end.date() < due
        assert not (start < busy_start + dt.timedelta(days=5) and end > busy_start)
    for (s1, e1), (s2, e2) in zip(windows, windows[1:], strict=False):
        assert e2 <= s1 or s2 >= e1  # the plan's own services do not overlap for the same staff
    r = client.post(f"{API}/contracts/{world.ids['contract_PL']}/plan/confirm",
                    headers=world.headers("staff"),
                    json={"services": plan})
    assert r.status_code == 201 and len(r.get_json()["event_ids"]) == 3


def test_confirm_rolls_back_whole_when_one_service_conflicts(client, world, engine):
    staff_id = factories.add_staff(engine, "Yoon Seo-yeon")
    _line(client, world, kind="trial_run", quantity=2, due_on=(TODAY + dt.timedelta(days=90)).isoformat())
    plan = client.post(f"{API}/contracts/{world.ids['contract_PL']}/plan", headers=world.headers("staff"),
                       json={"staff": [staff_id]}).get_json()
    assert len(plan) == 2
    # Meanwhile the staff member is booked into the second proposal's window.
    clash_at = dt.datetime.fromisoformat(plan[1]["starts_at"])
    factories.add_event(engine, world, starts_at=clash_at, hours=4, staff=[staff_id], lead=staff_id)
    with engine.connect() as conn:
        before = conn.scalar(sa.select(sa.func.count()).select_from(ServiceEvent))
    r = client.post(f"{API}/contracts/{world.ids['contract_PL']}/plan/confirm",
                    headers=world.headers("staff"),
                    json={"services": plan})
    assert r.status_code == 409 and r.get_json()["errors"]["staff"]
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(ServiceEvent)) == before
    assert _package(client, world)[0]["scheduled_services"] == 0


def test_summary_gives_share_delivered_and_overdue_per_contract(client, world):
    a = _line(client, world, quantity=4)
    _line(client, world, kind="support_equipment", quantity=1,
          due_on=(TODAY - dt.timedelta(days=5)).isoformat())
    _deliver(client, world, a["id"], 3)
    summary = client.get(f"{API}/packages", headers=world.headers("pl")).get_json()
    assert summary == [{"contract_id": world.ids["contract_PL"], "number": "PL-C-1", "country": "PL",
                        "lines": 2, "promised": 5, "delivered": 3, "lines_delivered": 0, "overdue": 1,
                        "share_delivered": 60.0}]
    assert len(client.get(f"{API}/packages", headers=world.headers("staff")).get_json()) == 1


def test_a_service_of_another_system_does_not_deliver_a_line(client, world, engine):
    line = _line(client, world, kind="trial_run", quantity=1, system_id=world.ids["k9"],
                 description="K9 live-fire trial")
    plan = client.post(f"{API}/contracts/{world.ids['contract_PL']}/plan", headers=world.headers("staff"),
                       json={}).get_json()
    assert [(p["line_id"], p["system_id"]) for p in plan] == [(line["id"], world.ids["k9"])]
    with engine.connect() as conn:
        before = conn.scalar(sa.select(sa.func.count()).select_from(ServiceEvent))
    r = client.post(f"{API}/contracts/{world.ids['contract_PL']}/plan/confirm",
                    headers=world.headers("staff"),
                    json={"services": [{**plan[0], "system_id": world.ids["k2"]}]})
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"services.0.system_id": ["the line is for another system"]}
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(ServiceEvent)) == before
    assert _package(client, world)[0]["scheduled_services"] == 0
