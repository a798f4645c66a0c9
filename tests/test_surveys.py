"""Surveys: one per completed event, answered once by link or by a signed-in liaison."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import Notification, ServiceEvent, Survey
from service.core.db import session_scope
from service.domain import surveys
from tests.conftest import rows
from tests.factories import GOOD_ANSWERS, POOR_ANSWERS, add_completed_event, add_survey, add_user

PUBLIC = "/api/v1/public/surveys/"


def test_a_completed_event_gets_one_survey_and_one_invitation_per_liaison(app, engine, world):
    add_user(engine, "no2@example.org", "liaison", "NO")
    event_id = add_completed_event(engine, world, country="NO")
    now = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)
    with app.app_context():
        for _ in range(2):
            with session_scope(engine) as s:
                survey = surveys.ensure_survey(session=s, event=s.get(ServiceEvent, event_id), now=now)
    assert rows(engine, "survey") == 1
    assert survey.period == "2026-03" and survey.expires_at == now + dt.timedelta(days=30)
    assert len(survey.token) >= 43  # 32 random bytes, url-safe base64
    with Session(engine) as s:
        notes = s.exec(select(Notification).order_by(Notification.recipient)).all()
    assert [n.recipient for n in notes] == ["no2@example.org", "no@example.org"]
    assert all(f"http://127.0.0.1:5000/surveys/{survey.token}" in n.body for n in notes)
    assert notes[0].data["api_url"].endswith(f"/api/v1/public/surveys/{survey.token}")


def test_the_public_page_shows_the_questions_and_only_the_event_description(app, client, world):
    _, token = add_survey(app, world, country="NO", title="Vidar crew course", location="Rena leir")
    r = client.get(PUBLIC + token)
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == {"event", "questions", "languages", "language", "template_revision", "expires_at"}
    assert body["event"] == {
        "title": "Vidar crew course", "kind": "joint_training", "system": "K9A1 Thunder",
        "country": "Norway", "location": "Rena leir",
        "starts_at": body["event"]["starts_at"], "ends_at": body["event"]["ends_at"],
    }
    assert [q["id"] for q in body["questions"]] == [
        "overall", "instructors", "timeliness", "documentation", "equipment", "recommend", "comment"]
    assert body["questions"][0] | {"text": ""} == {"id": "overall", "text": "", "type": "rating",
                                                     "min": 1, "max": 5, "required": True}
    text = r.get_data(as_text=True)
    assert "@" not in text and "_id" not in text and token not in text


def test_an_unknown_link_answers_404_whatever_is_sent(client):
    for kwargs in ({}, {"json": {}}, {"data": "{not json", "content_type": "application/json"},
                   {"json": GOOD_ANSWERS}):
        r = client.post(PUBLIC + "no-such-token", **kwargs)
        assert r.status_code == 404 and r.get_json()["code"] == 404, (kwargs, r.get_json())


def test_an_answer_is_stored_once(app, client, engine, world):
    survey_id, token = add_survey(app, world)
    r = client.post(PUBLIC + token, json=GOOD_ANSWERS)
    assert r.status_code == 201 and r.get_json()["status"] == "answered"
    again = client.post(PUBLIC + token, json=GOOD_ANSWERS)
    assert again.status_code == 409
    assert rows(engine, "survey_response") == 1
    detail = client.get(f"/api/v1/surveys/{survey_id}", headers=world.headers("pl")).get_json()
    assert detail["status"] == "answered"
    assert detail["response"]["overall"] == 5 and detail["response"]["answered_by"] is None


def test_unknown_and_expired_links_answer_alike(app, client, engine, world):
    sent = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    _, token = add_survey(app, world, now=sent)
    for method in ("get", "post"):
        expired = getattr(client, method)(PUBLIC + token, json=GOOD_ANSWERS)
        unknown = getattr(client, method)(PUBLIC + "x" * 43, json=GOOD_ANSWERS)
        assert expired.status_code == unknown.status_code == 404
        assert expired.get_json() == unknown.get_json()
    assert rows(engine, "survey_response") == 0


@pytest.mark.parametrize("field,value", [("overall", 6), ("overall", 0), ("recommend", 11),
                                         ("timeliness", "4"), ("equipment", 2.5), ("overall", True)])
def test_an_out_of_range_answer_is_422_naming_the_field_and_stores_nothing(
        app, client, engine, world, field, value):
    survey_id, token = add_survey(app, world)
    r = client.post(PUBLIC + token, json=POOR_ANSWERS | {field: value})
    assert r.status_code == 422 and field in r.get_json()["errors"]["json"]
    assert rows(engine, "survey_response") == rows(engine, "corrective_action") == 0
    with Session(engine) as s:
        assert s.get(Survey, survey_id).status == "sent"


def test_a_missing_required_answer_is_422(app, client, world):
    _, token = add_survey(app, world)
    r = client.post(PUBLIC + token, json={"overall": 4, "recommend": 8})
    assert r.status_code == 422
    assert set(r.get_json()["errors"]) == {"instructors", "timeliness", "documentation", "equipment"}


def test_two_simultaneous_answers_store_one(app, engine, world, monkeypatch):
    _, token = add_survey(app, world)
    barrier = threading.Barrier(2)
    checked = surveys._check_answers
    raced: list[bool] = []

    def check_then_meet(template, data):
        checked(template, data)
        try:  # on PostgreSQL both requests get here before either inserts: a true race
            barrier.wait(timeout=1)
            raced.append(True)
        except threading.BrokenBarrierError:
            pass  # SQLite serializes writers at BEGIN, so the second waits outside

    monkeypatch.setattr(surveys, "_check_answers", check_then_meet)
    statuses: list[int] = []

    def post() -> None:
        statuses.append(app.test_client().post(PUBLIC + token, json=POOR_ANSWERS).status_code)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(statuses) == [201, 409]
    assert rows(engine, "survey_response") == rows(engine, "corrective_action") == 1
    if engine.dialect.name == "postgresql":
        assert raced == [True, True]  # both passed every check before either wrote


def test_a_signed_in_liaison_answers_their_countrys_survey(app, client, engine, world):
    survey_id, _ = add_survey(app, world)
    url = f"/api/v1/surveys/{survey_id}/response"
    assert client.post(url, json=GOOD_ANSWERS, headers=world.headers("no")).status_code == 404
    assert client.post(url, json=GOOD_ANSWERS, headers=world.headers("staff")).status_code == 403
    r = client.post(url, json=GOOD_ANSWERS, headers=world.headers("pl"))
    assert r.status_code == 201 and r.get_json()["answered_by"] == world.ids["user_pl"]
    assert client.post(url, json=GOOD_ANSWERS, headers=world.headers("pl")).status_code == 409


def test_survey_lists_show_links_and_state_to_staff_and_the_countrys_liaison(app, client, world):
    pl_id, pl_token = add_survey(app, world, country="PL")
    no_id, _ = add_survey(app, world, country="NO")
    client.post(PUBLIC + pl_token, json=GOOD_ANSWERS)
    staff = client.get("/api/v1/surveys", headers=world.headers("staff")).get_json()
    assert {s["id"] for s in staff} == {pl_id, no_id}
    pl = client.get("/api/v1/surveys", headers=world.headers("pl")).get_json()
    assert [s["id"] for s in pl] == [pl_id]
    assert pl[0]["answer_url"] == f"http://127.0.0.1:5000/surveys/{pl_token}"
    assert pl[0]["status"] == "answered" and pl[0]["response"]["recommend"] == 10
    assert pl[0]["template_revision"] == 1 and pl[0]["event_title"].startswith("K9A1")
    assert client.get(f"/api/v1/surveys/{no_id}", headers=world.headers("pl")).status_code == 404
    sent = client.get("/api/v1/surveys?status=sent", headers=world.headers("staff")).get_json()
    assert [s["id"] for s in sent] == [no_id]
    assert client.get("/api/v1/surveys?country=NO", headers=world.headers("pl")).get_json() == []


def test_a_revised_template_asks_new_surveys_and_old_answers_keep_theirs(app, client, engine, world):
    _, old_token = add_survey(app, world)
    client.post(PUBLIC + old_token, json=GOOD_ANSWERS)
    revised = [{"id": "overall", "text": "Overall, were you satisfied?"},
               {"id": "instructors", "text": "Instructors?", "required": False},
               {"id": "recommend", "text": "Would you recommend us?"}]
    assert client.post("/api/v1/survey-templates", json={"questions": revised},
                       headers=world.headers("pl")).status_code == 403
    r = client.post("/api/v1/survey-templates", json={"questions": revised}, headers=world.headers("staff"))
    assert r.status_code == 201 and r.get_json()["revision"] == 2
    bad = client.post("/api/v1/survey-templates", json={"questions": revised[1:]},
                      headers=world.headers("staff"))
    assert bad.status_code == 422 and "questions" in bad.get_json()["errors"]

    _, new_token = add_survey(app, world)
    page = client.get(PUBLIC + new_token).get_json()
    assert page["template_revision"] == 2 and len(page["questions"]) == 3
    not_asked = client.post(PUBLIC + new_token, json=GOOD_ANSWERS)
    assert not_asked.status_code == 422 and "equipment" in not_asked.get_json()["errors"]
    assert client.post(PUBLIC + new_token, json={"overall": 4, "recommend": 9}).status_code == 201
    listed = client.get("/api/v1/surveys", headers=world.headers("staff")).get_json()
    assert sorted(s["template_revision"] for s in listed) == [1, 2]
    templates = client.get("/api/v1/survey-templates", headers=world.headers("pl")).get_json()
    assert [(t["revision"], t["active"]) for t in templates if t["name"] == surveys.TEMPLATE_NAME] == [
        (2, True), (1, False)]  # the standard template's revisions (the handling survey has its own)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(DISTINCT template_id) FROM survey_response")) == 2
