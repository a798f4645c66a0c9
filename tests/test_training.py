"""Trainees, nominations up to capacity, results on completion and the certificates they earn."""

from __future__ import annotations

import datetime as dt
import threading

import sqlalchemy as sa

from models import AuditEntry, Role
from tests import factories

API = "/api/v1"


def _event(world, *, capacity=2, kind="joint_training", status="planned", **extra):
    return factories.add_event(world.engine, world, kind=kind, status=status, capacity=capacity, **extra)


def _trainee(client, world, who="pl", **body):
    r = client.post(f"{API}/trainees", headers=world.headers(who),
                    json={"name": "Jan Kowalski", "rank": "Sgt", "organisation": "11 AR", **body})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_a_liaison_keeps_their_roster_and_staff_name_the_country(client, world):
    mine = _trainee(client, world)
    assert mine["country"] == "PL" and mine["version"] == 1
    r = client.post(f"{API}/trainees", headers=world.headers("staff"), json={"name": "Ola"})
    assert r.status_code == 422 and "country" in r.get_json()["errors"]
    other = _trainee(client, world, who="staff", country="NO", name="Ola Nordmann")
    assert [t["name"] for t in client.get(f"{API}/trainees", headers=world.headers("pl")).get_json()] \
        == ["Jan Kowalski"]
    assert client.get(f"{API}/trainees/{other['id']}", headers=world.headers("pl")).status_code == 404
    r = client.post(f"{API}/trainees", headers=world.headers("pl"), json={"name": "x", "country": "NO"})
    assert r.status_code == 404
    r = client.post(f"{API}/trainees", headers=world.headers("pl"), json={"name": "", "rank": "x" * 61})
    assert r.status_code == 422 and set(r.get_json()["errors"]["json"]) == {"name", "rank"}


def test_patch_needs_the_current_version(client, world):
    t = _trainee(client, world)
    url, h = f"{API}/trainees/{t['id']}", world.headers("pl")
    assert client.patch(url, headers=h, json={"rank": "Lt"}).status_code == 428
    assert client.patch(url, headers={**h, "If-Match": '"1"'}, json={"rank": "Lt"}).status_code == 200
    r = client.patch(url, headers={**h, "If-Match": '"1"'}, json={"rank": "Cpt"})
    assert r.status_code == 412
    assert client.get(url, headers=h).get_json()["rank"] == "Lt"


def test_staff_anonymise_a_trainee_keeping_history_and_blanking_the_audit(client, world, engine):
    t = _trainee(client, world, name="Anna Nowak", service_number="PL-12345")
    url = f"{API}/trainees/{t['id']}/anonymise"
    r = client.post(url, headers={**world.headers("pl"), "If-Match": "*"}, json={"reason": "asked"})
    assert r.status_code == 403
    r = client.post(url, headers={**world.headers("staff"), "If-Match": '"1"'},
                    json={"reason": "Her request of 1 May"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["anonymised"] and body["name"].startswith("Anonymised trainee")
    assert body["service_number"] is None
    with engine.connect() as conn:
        trail = conn.execute(sa.select(AuditEntry.changes).where(
            AuditEntry.entity == "trainee", AuditEntry.entity_id == str(t["id"]))).scalars().all()
    assert len(trail) == 2 and "Anna Nowak" not in str(trail) and "PL-12345" not in str(trail)
    assert any("Her request of 1 May" in str(c) for c in trail)
    r = client.patch(f"{API}/trainees/{t['id']}", headers={**world.headers("staff"), "If-Match": "*"},
                     json={"name": "Anna Nowak"})
    assert r.status_code == 409


def test_nominations_fill_up_to_capacity_and_withdrawing_frees_a_seat(client, world):
    event = _event(world, capacity=2)
    h = world.headers("pl")
    a, b, c = (_trainee(client, world, name=n)["id"] for n in ("A", "B", "C"))
    url = f"{API}/events/{event}/nominations"
    assert client.post(url, headers=h, json={"trainee_id": a}).status_code == 201
    assert client.post(url, headers=h, json={"trainee_id": a}).status_code == 409  # twice
    second = client.post(url, headers=h, json={"trainee_id": b})
    assert second.status_code == 201
    full = client.post(url, headers=h, json={"trainee_id": c})
    assert full.status_code == 409 and "seats" in str(full.get_json()["errors"])
    withdrawn = client.post(f"{url}/{second.get_json()['id']}/withdraw", headers=h)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    assert client.post(url, headers=h, json={"trainee_id": c}).status_code == 201
    listed = client.get(url, headers=world.headers("staff")).get_json()
    assert [(n["name"], n["status"]) for n in listed] == [("A", "nominated"), ("C", "nominated"),
                                                          ("B", "withdrawn")]


def test_nominations_only_for_open_training_services_of_the_trainees_country(client, world):
    h = world.headers("pl")
    trainee = _trainee(client, world)["id"]
    trial = _event(world, kind="trial_run", capacity=5)
    r = client.post(f"{API}/events/{trial}/nominations", headers=h, json={"trainee_id": trainee})
    assert r.status_code == 409
    started = _event(world, status="in_progress", starts_at=factories.WHEN + dt.timedelta(days=3))
    assert client.post(f"{API}/events/{started}/nominations", headers=h,
                       json={"trainee_id": trainee}).status_code == 409
    norwegian = _trainee(client, world, who="no", name="Ola")["id"]
    mine = _event(world, starts_at=factories.WHEN + dt.timedelta(days=6))
    r = client.post(f"{API}/events/{mine}/nominations", headers=world.headers("staff"),
                    json={"trainee_id": norwegian})
    assert r.status_code == 422 and "trainee_id" in r.get_json()["errors"]


def test_two_liaisons_taking_the_last_seat_at_once_one_wins(app, client, world, engine):
    _, token = factories.add_user(engine, "pl2@example.org", Role.liaison, "PL")
    event = _event(world, capacity=1)
    trainees = [_trainee(client, world, name=n)["id"] for n in ("First", "Second")]
    start = threading.Barrier(2)
    answers: list[int] = []

    def nominate(token: str, trainee: int) -> None:
        c = app.test_client()
        start.wait()
        r = c.post(f"{API}/events/{event}/nominations", json={"trainee_id": trainee},
                   headers={"Authorization": f"Bearer {token}"})
        answers.append(r.status_code)

    threads = [threading.Thread(target=nominate, args=(tok, t))
               for tok, t in zip((world.tokens["pl"], token), trainees, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [201, 409]
    listed = client.get(f"{API}/events/{event}/nominations", headers=world.headers("staff")).get_json()
    assert len([n for n in listed if n["status"] == "nominated"]) == 1


EARLY = {"early": True, "reason": "ahead of its dates in the test"}  # the time guards (SPEC §10)


def _complete(client, world, event, results, **extra):
    url = f"{API}/events/{event}"
    h = world.headers("staff")
    for status in ("confirmed", "in_progress"):
        r = client.post(f"{url}/transition", headers={**h, "If-Match": "*"}, json={"status": status, **EARLY})
        assert r.status_code == 200
    return client.post(f"{url}/transition", headers={**h, "If-Match": "*"}, json={
        "status": "completed", "outcome": "Crews trained", "results": results, **EARLY, **extra})


def test_completing_records_results_counts_participants_and_issues_certificates(client, world):
    event = _event(world, capacity=5)
    h = world.headers("pl")
    ids = {n: _trainee(client, world, name=n)["id"] for n in ("Ada", "Bo", "Cy", "Di")}
    noms = {n: client.post(f"{API}/events/{event}/nominations", headers=h,
                           json={"trainee_id": t}).get_json()["id"] for n, t in ids.items()}
    r = _complete(client, world, event, [{"nomination_id": noms["Ada"], "result": "passed"}])
    assert r.status_code == 422 and "missing" in str(r.get_json()["errors"])  # every nominee
    results = [{"nomination_id": noms["Ada"], "result": "passed", "score": 91.5},
               {"nomination_id": noms["Bo"], "result": "failed", "score": 40},
               {"nomination_id": noms["Cy"], "result": "attended"},
               {"nomination_id": noms["Di"], "result": "absent"}]
    r = client.post(f"{API}/events/{event}/transition", headers={**world.headers("staff"), "If-Match": "*"},
                    json={"status": "completed", "outcome": "Crews trained", "results": results,
                          "participants_actual": 40, **EARLY})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["participants_actual"] == 3  # from the results, not the number given
    listed = {n["name"]: (n["result"], n["score"]) for n in
              client.get(f"{API}/events/{event}/nominations", headers=h).get_json()}
    assert listed == {"Ada": ("passed", 91.5), "Bo": ("failed", 40.0), "Cy": ("attended", None),
                      "Di": ("absent", None)}
    certs = client.get(f"{API}/certificates", headers=h).get_json()
    assert [c["name"] for c in certs] == ["Ada"]
    cert = certs[0]
    issued = dt.date.fromisoformat(cert["issued_on"])
    assert issued == factories.WHEN.date()
    assert cert["valid_until"] == issued.replace(year=issued.year + 2).isoformat()  # 24 months
    assert cert["status"] == "valid" and cert["number"].startswith(f"KS-{issued.year}-")
    assert cert["course"].startswith("K9A1 joint training: ")


def test_a_certificates_course_names_the_kind_in_words():
    from service.domain.training.certificates import course_name

    assert course_name("K9A1", "tech_education", "Crew course") == "K9A1 technological education: Crew course"
    assert len(course_name("K9A1", "joint_training", "x" * 300)) == 200  # the column's length


def test_validity_per_course_sets_valid_until(client, world):
    r = client.put(f"{API}/certificates/validity", headers=world.headers("staff"),
                   json={"system_id": world.ids["k9"], "kind": "joint_training", "months": 13})
    assert r.status_code == 200
    assert client.put(f"{API}/certificates/validity", headers=world.headers("pl"),
                      json={"system_id": world.ids["k9"], "kind": "joint_training", "months": 1}
                      ).status_code == 403
    event = _event(world, capacity=1)
    t = _trainee(client, world)["id"]
    nom = client.post(f"{API}/events/{event}/nominations", headers=world.headers("pl"),
                      json={"trainee_id": t}).get_json()["id"]
    assert _complete(client, world, event, [{"nomination_id": nom, "result": "passed"}]).status_code == 200
    cert = client.get(f"{API}/certificates", headers=world.headers("pl")).get_json()[0]
    assert cert["valid_until"] == "2031-04-04"  # 2030-03-04 + 13 months


def test_month_arithmetic_keeps_the_end_of_month():
    from service.domain.training.certificates import add_months, status_of

    assert add_months(dt.date(2024, 2, 29), 24) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 1, 15), 24) == dt.date(2027, 1, 15)
    today = dt.date(2026, 12, 2)
    assert status_of(today - dt.timedelta(days=1), today) == "expired"
    assert status_of(today, today) == "expiring"
    assert status_of(today + dt.timedelta(days=90), today) == "expiring"
    assert status_of(today + dt.timedelta(days=91), today) == "valid"


def test_completing_without_nominees_keeps_the_given_participants(client, world):
    event = _event(world, capacity=3)
    r = _complete(client, world, event, [], participants_actual=7)
    assert r.status_code == 200 and r.get_json()["participants_actual"] == 7


def test_capacity_cannot_drop_below_the_nominees(client, world):
    event = _event(world, capacity=3)
    for name in ("A", "B"):
        t = _trainee(client, world, name=name)["id"]
        client.post(f"{API}/events/{event}/nominations", headers=world.headers("pl"), json={"trainee_id": t})
    url = f"{API}/events/{event}"
    h = {**world.headers("staff"), "If-Match": "*"}
    r = client.patch(url, headers=h, json={"capacity": 1})
    assert r.status_code == 422 and "capacity" in r.get_json()["errors"]
    assert client.patch(url, headers=h, json={"capacity": 2}).status_code == 200
