"""A corrective action's progress (issue 20 item 10): the answer that opened it on its page, the
country's liaison and staff commenting, each move of its state in the progress, internal notes
still hidden from the liaison, every comment audited, nobody of another country let in."""

from __future__ import annotations

import re

from sqlmodel import select

from models import AuditEntry, Notification
from service.core.db import session_scope
from tests.conftest import rows
from tests.factories import POOR_ANSWERS, add_survey
from tests.test_web_pages import csrf, sign_in

PUBLIC = "/api/v1/public/surveys/"


def _poor_action(app, client, world) -> int:
    _, token = add_survey(app, world, title="K9 gunnery course", location="Torun range")
    answers = POOR_ANSWERS | {"comment": "Instructors came late"}
    assert client.post(PUBLIC + token, json=answers).status_code == 201
    listed = client.get("/api/v1/actions", headers=world.headers("staff")).get_json()
    return int(listed[0]["id"])


def _patch(client, world, action_id: int, body: dict) -> dict:
    url = f"/api/v1/actions/{action_id}"
    etag = client.get(url, headers=world.headers("staff")).headers["ETag"]
    r = client.patch(url, json=body, headers=world.headers("staff", **{"If-Match": etag}))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_a_liaison_and_staff_comment_and_both_read_the_progress(app, client, world, engine):
    action_id = _poor_action(app, client, world)
    url = f"/api/v1/actions/{action_id}/comments"
    assert client.get(url, headers=world.headers("pl")).get_json() == []
    r = client.post(url, json={"body": "The crews still wait for the new manuals."},
                    headers=world.headers("pl"))
    assert r.status_code == 201
    first = r.get_json()
    assert (first["author_name"], first["status"], first["kind"]) == ("pl", "open", "comment")
    _patch(client, world, action_id, {"status": "in_progress"})
    note = client.post(url, json={"body": "budget NOT approved yet", "internal": True},
                       headers=world.headers("staff"))
    assert note.status_code == 201
    r = client.post(url, json={"body": "Manuals ship next week."}, headers=world.headers("staff"))
    assert r.status_code == 201
    _patch(client, world, action_id, {"status": "closed", "resolution": "Manuals delivered in Polish"})
    seen = client.get(url, headers=world.headers("pl")).get_json()
    assert [(c["kind"], c["status"], c["author_name"]) for c in seen] == [
        ("comment", "open", "pl"), ("status", "in_progress", "staff"), ("comment", "in_progress", "staff"),
        ("status", "closed", "staff")]
    assert seen[1]["body"] == "State: open → in progress"
    assert seen[3]["body"] == "State: in progress → closed. Resolution: Manuals delivered in Polish"
    assert not any("budget" in c["body"] for c in seen)
    staff_sees = client.get(url, headers=world.headers("staff")).get_json()
    assert [c for c in staff_sees if c["internal"]] == [note.get_json()]
    assert [c for c in staff_sees if not c["internal"]] == seen
    # Each side is told of the other's comment through the outbox.
    with session_scope(engine) as s:
        told = {(n.recipient, n.data["comment_id"]) for n in s.exec(
            select(Notification).where(Notification.kind == "action_comment"))}
    assert ("staff@example.org", seen[0]["id"]) in told and ("pl@example.org", seen[2]["id"]) in told
    assert ("pl@example.org", seen[0]["id"]) not in told


def test_comments_are_audited_and_bad_ones_write_nothing(app, client, world, engine):
    action_id = _poor_action(app, client, world)
    url = f"/api/v1/actions/{action_id}/comments"
    for body, field in (({}, "body"), ({"body": ""}, "body"), ({"body": "x" * 4001}, "body"),
                        ({"body": "ok", "internal": "maybe"}, "internal")):
        r = client.post(url, json=body, headers=world.headers("pl"))
        assert r.status_code == 422 and field in r.get_json()["errors"]["json"], r.get_json()
    empty = client.post(url, json={"body": ""}, headers=world.headers("pl")).get_json()["errors"]["json"]
    assert empty["body"] == ["Must not be empty."]  # in words, not as a length between 1 and 4000
    long = client.post(url, json={"body": "x" * 4001}, headers=world.headers("pl")).get_json()
    assert long["errors"]["json"]["body"] == ["Longer than maximum length 4000."]
    korean = client.post(url, json={"body": ""}, headers=world.headers("pl", **{"Accept-Language": "ko"}))
    assert korean.get_json()["errors"]["json"]["body"] == ["비워 둘 수 없습니다."]
    r = client.post(url, json={"body": "ok", "internal": True}, headers=world.headers("pl"))
    assert r.status_code == 403 and r.get_json()["errors"] == {"internal": ["staff only"]}
    assert rows(engine, "action_comment") == 0
    r = client.post(url, json={"body": "Still waiting"}, headers=world.headers("pl"))
    with session_scope(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity == "action_comment")).one()
    assert (entry.actor, entry.action) == ("pl@example.org", "create")
    assert entry.entity_id == str(r.get_json()["id"])
    assert entry.changes["body"] == "Still waiting"


def test_another_countrys_people_cannot_read_or_comment(app, client, world, engine):
    action_id = _poor_action(app, client, world)  # Poland's
    url = f"/api/v1/actions/{action_id}/comments"
    client.post(url, json={"body": "Polish words"}, headers=world.headers("pl"))
    for who in ("no", "ca_no"):
        for r, missing in ((client.get(url, headers=world.headers(who)),
                            client.get("/api/v1/actions/999999/comments", headers=world.headers(who))),
                           (client.post(url, json={"body": "hi"}, headers=world.headers(who)),
                            client.post("/api/v1/actions/999999/comments", json={"body": "hi"},
                                        headers=world.headers(who)))):
            assert r.status_code == missing.status_code == 404
            assert r.get_json()["message"].replace(str(action_id), "#") == \
                missing.get_json()["message"].replace("999999", "#")
    assert rows(engine, "action_comment") == 1
    # Poland's country administrator reads and comments, as Poland's liaison does.
    assert client.post(url, json={"body": "Seen"}, headers=world.headers("ca_pl")).status_code == 201


def test_the_action_page_shows_the_answer_and_lets_a_liaison_comment(app, client, world):
    action_id = _poor_action(app, client, world)
    _patch(client, world, action_id, {"status": "in_progress"})
    note = {"body": "budget NOT approved yet", "internal": True}
    assert client.post(f"/api/v1/actions/{action_id}/comments", json=note,
                       headers=world.headers("staff")).status_code == 201
    sign_in(client, "pl")
    page = client.get(f"/actions/{action_id}").get_data(as_text=True)
    assert "The answer that opened it" in page and "Instructors came late" in page
    assert re.search(r"Overall</dt><dd>2 of 5", page) and "Would recommend</dt><dd>5 of 10" in page
    assert "K9 gunnery course" in page and "/surveys/" in page
    assert "State: open → in progress" in page and "budget" not in page
    assert "Work on it" not in page  # staff's form stays with staff
    token = csrf(client, f"/actions/{action_id}")
    r = client.post(f"/actions/{action_id}/comments", data={"csrf_token": token, "body": ""})
    assert r.status_code == 422 and 'id="body-error"' in r.get_data(as_text=True)
    r = client.post(f"/actions/{action_id}/comments",
                    data={"csrf_token": token, "body": "Thanks, following up"})
    assert r.status_code == 302
    page = client.get(f"/actions/{action_id}").get_data(as_text=True)
    assert "Thanks, following up" in page and "Your comment is added." in page
    other = app.test_client()
    sign_in(other, "no")
    assert other.get(f"/actions/{action_id}").status_code == 404
    r = other.post(f"/actions/{action_id}/comments",
                   data={"csrf_token": csrf(other, "/actions"), "body": "Norwegian words"})
    assert r.status_code == 404
    assert "Norwegian words" not in client.get(f"/actions/{action_id}").get_data(as_text=True)
