"""Corrective actions: opened by poor answers, worked by staff, seen (in part) by liaisons."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from models import Notification
from service.core.db import session_scope
from tests.conftest import rows
from tests.factories import GOOD_ANSWERS, POOR_ANSWERS, add_staff, add_survey

PUBLIC = "/api/v1/public/surveys/"


def _answer(app, client, world, answers, **survey):
    _, token = add_survey(app, world, **survey)
    assert client.post(PUBLIC + token, json=answers).status_code == 201


def _only_action(client, world):
    listed = client.get("/api/v1/actions", headers=world.headers("staff")).get_json()
    assert len(listed) == 1
    return listed[0]


def test_a_poor_answer_opens_an_action_owned_by_the_events_lead(app, client, engine, world):
    lead = add_staff(engine, "Kang Dong-won")
    _answer(app, client, world, POOR_ANSWERS, lead_staff=lead, title="K9 gunnery course")
    action = _only_action(client, world)
    assert action["owner_staff_id"] == lead and action["status"] == "open"
    assert action["reasons"] == ["overall rated 2 of 5", "timeliness rated 1 of 5", "recommend 5 of 10"]
    assert action["title"] == "Poor feedback on K9 gunnery course" and action["country"] == "PL"
    assert action["due_on"] == (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=14)).isoformat()


@pytest.mark.parametrize("answers,reasons", [
    ({"recommend": 6}, ["recommend 6 of 10"]),
    ({"equipment": 2}, ["equipment rated 2 of 5"]),
])
def test_one_poor_answer_is_enough(app, client, world, answers, reasons):
    _answer(app, client, world, GOOD_ANSWERS | answers)
    assert _only_action(client, world)["reasons"] == reasons


def test_good_answers_open_no_action(app, client, engine, world):
    _answer(app, client, world, GOOD_ANSWERS | {"recommend": 7, "overall": 3, "timeliness": 3})
    assert rows(engine, "corrective_action") == 0


def test_without_a_lead_the_configured_default_owner_takes_it(app, client, engine, world, monkeypatch):
    default = add_staff(engine, "Han Ji-min")
    monkeypatch.setitem(app.config, "DEFAULT_ACTION_OWNER_STAFF_ID", default)
    monkeypatch.setitem(app.config, "ACTION_DUE_DAYS", 5)
    _answer(app, client, world, POOR_ANSWERS)
    action = _only_action(client, world)
    assert action["owner_staff_id"] == default
    assert action["due_on"] == (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=5)).isoformat()


def test_the_action_lifecycle(app, client, engine, world):
    _answer(app, client, world, POOR_ANSWERS)
    action = _only_action(client, world)
    url, h = f"/api/v1/actions/{action['id']}", world.headers("staff")

    def patch(body, version):
        return client.patch(url, json=body, headers=h | {"If-Match": f'"{version}"'})

    assert client.patch(url, json={"status": "in_progress"}, headers=h).status_code == 428
    skip = patch({"status": "closed", "resolution": "done"}, 1)
    assert skip.status_code == 409 and skip.get_json()["allowed"] == ["in_progress"]
    started = patch({"status": "in_progress"}, 1)
    assert started.status_code == 200 and started.headers["ETag"] == '"2"'
    assert patch({"status": "open"}, 1).status_code == 412
    no_resolution = patch({"status": "closed"}, 2)
    assert no_resolution.status_code == 422 and "resolution" in no_resolution.get_json()["errors"]
    owner = add_staff(engine, "Yoon Se-ri")
    assert patch({"owner_staff_id": 999999}, 2).status_code == 422
    closed = patch({"status": "closed", "resolution": "Schedule fixed with the unit",
                    "owner_staff_id": owner}, 2).get_json()
    assert closed["status"] == "closed" and closed["closed_at"] and closed["owner_staff_id"] == owner
    reopened = patch({"status": "in_progress"}, 3).get_json()
    assert reopened["status"] == "in_progress" and reopened["closed_at"] is None
    assert client.get("/api/v1/actions?status=in_progress", headers=h).get_json()[0]["id"] == action["id"]


def test_liaisons_see_their_actions_without_internal_notes_and_cannot_change_them(
        app, client, engine, world):
    _answer(app, client, world, POOR_ANSWERS)
    action = _only_action(client, world)
    url = f"/api/v1/actions/{action['id']}"
    before = client.get(url, headers=world.headers("pl"))
    note = client.post(f"{url}/comments", json={"body": "Unit commander was unhappy with the interpreter",
                                                "internal": True}, headers=world.headers("staff"))
    assert note.status_code == 201 and note.get_json()["internal"] is True
    staff_progress = client.get(f"{url}/comments", headers=world.headers("staff")).get_json()
    assert [(c["internal"], c["body"][:14]) for c in staff_progress] == [(True, "Unit commander")]
    # The note is a row of its own: the action a liaison reads, its version and ETag, did not move.
    mine = client.get(url, headers=world.headers("pl"))
    assert mine.status_code == 200 and mine.get_json() == before.get_json()
    assert mine.headers["ETag"] == before.headers["ETag"] == '"1"'
    for path in (url, f"{url}/comments", "/api/v1/actions", f"/api/v1/countries/{action['country']}/status"):
        assert "interpreter" not in client.get(path, headers=world.headers("pl")).get_data(as_text=True), path
    assert client.get(f"{url}/comments", headers=world.headers("pl")).get_json() == []
    with session_scope(engine) as s:  # nobody was told of it
        assert not s.exec(select(Notification).where(Notification.kind == "action_comment")).all()
    refused = client.post(f"{url}/comments", json={"body": "mine", "internal": True},
                          headers=world.headers("pl"))
    assert refused.status_code == 403 and "internal" in refused.get_json()["errors"]
    assert rows(engine, "action_comment") == 1
    denied = client.patch(url, json={"status": "in_progress"},
                          headers=world.headers("pl", **{"If-Match": "*"}))
    assert denied.status_code == 403
    assert client.get(url, headers=world.headers("no")).status_code == 404
    gone = client.patch(url, json={"internal_notes": "old field"},
                        headers=world.headers("staff", **{"If-Match": "*"}))
    assert gone.status_code == 422 and "internal_notes" in gone.get_json()["errors"]["json"]


def test_the_overdue_filter(app, client, world):
    _answer(app, client, world, POOR_ANSWERS)
    action = _only_action(client, world)
    h = world.headers("staff")
    assert client.get("/api/v1/actions?overdue=true", headers=h).get_json() == []
    yesterday = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    client.patch(f"/api/v1/actions/{action['id']}", json={"due_on": yesterday},
                 headers=h | {"If-Match": "*"})
    assert [a["id"] for a in client.get("/api/v1/actions?overdue=true", headers=h).get_json()] == [
        action["id"]]
    assert client.get("/api/v1/actions?overdue=false", headers=h).get_json() == []


def test_the_action_page_gives_a_liaisons_template_nothing_of_the_internal_notes(app, client, world):
    """Neither the page's text nor its template's context holds a note for a liaison."""
    from flask import template_rendered

    from tests.test_web_pages import sign_in

    _answer(app, client, world, POOR_ANSWERS)
    action = _only_action(client, world)
    client.post(f"/api/v1/actions/{action['id']}/comments", json={"body": "Interpreter was late",
                                                                 "internal": True},
                headers=world.headers("staff"))
    contexts: list[dict] = []

    def seen(_app, template, context, **_extra):
        contexts.append(context)

    def holds_notes(value, depth=0) -> bool:
        if isinstance(value, str):
            return "Interpreter was late" in value
        if depth > 3:
            return False
        if isinstance(value, dict):
            return any(holds_notes(v, depth + 1) for v in value.values())
        if isinstance(value, list | tuple):
            return any(holds_notes(v, depth + 1) for v in value)
        return holds_notes(getattr(value, "body", None) or "", depth + 1)

    for who, shown in (("pl", False), ("staff", True)):
        sign_in(client, who)
        contexts.clear()
        with template_rendered.connected_to(seen, app):
            page = client.get(f"/actions/{action['id']}")
        assert page.status_code == 200
        assert ("Interpreter was late" in page.get_data(as_text=True)) is shown
        assert any(holds_notes(c) for c in contexts) is shown, who
        client.post("/logout")
