"""Survey, action, report, message and account pages through Flask's test client."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from models import CorrectiveAction, Survey, SurveyResponse
from service.core.db import session_scope
from tests import factories
from tests.test_web_pages import NORWAY, csrf, sign_in
from tests.test_web_services import count

ANSWERS = {"overall": "5", "instructors": "4", "timeliness": "4", "documentation": "5", "equipment": "4",
           "recommend": "9", "comment": "Very useful."}


def test_a_survey_is_answered_once_by_its_link_without_signing_in(client, app, world, engine):
    survey_id, token = factories.add_survey(app, world, title="K9A1 live-fire training PL")
    page = client.get(f"/surveys/{token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "How did it go?" in text and "K9A1 live-fire training PL" in text
    assert 'name="recommend" value="10"' in text and "Sign out" not in text
    form = {"csrf_token": csrf(client, f"/surveys/{token}")}
    r = client.post(f"/surveys/{token}", data={**form, "overall": "5", "comment": "kept"})
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="recommend-error">Required.' in text
    assert 'id="overall-5" name="overall" value="5" checked' in text and "kept" in text
    r = client.post(f"/surveys/{token}", data={"csrf_token": csrf(client, f"/surveys/{token}"), **ANSWERS,
                                               "overall": "9"})
    assert r.status_code == 422 and 'id="overall-error"' in r.get_data(as_text=True)
    r = client.post(f"/surveys/{token}", data={"csrf_token": csrf(client, f"/surveys/{token}"), **ANSWERS})
    assert r.status_code == 302 and r.location == f"/surveys/{token}/thanks?lang=en"  # in the language read
    assert "Thank you!" in client.get(r.location).get_data(as_text=True)
    again = client.get(f"/surveys/{token}")
    assert again.status_code == 200 and "already answered" in again.get_data(as_text=True)
    assert count(engine, SurveyResponse) == 1
    with engine.connect() as conn:
        assert conn.scalar(sa.select(SurveyResponse.answered_by)) is None


def test_an_unknown_or_expired_link_is_a_clear_404(client, app, world, engine):
    _survey_id, token = factories.add_survey(app, world)
    with session_scope(engine) as s:
        s.execute(sa.update(Survey).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1)))
    for path in (f"/surveys/{token}", "/surveys/not-a-token", f"/surveys/{token}/thanks",
                 "/surveys/" + "x" * 300):
        r = client.get(path)
        assert r.status_code == 404 and "This survey link is not valid" in r.get_data(as_text=True), path
    r = client.post(f"/surveys/{token}", data={"csrf_token": csrf(client), **ANSWERS})
    assert r.status_code == 404 and count(engine, SurveyResponse) == 0


def test_a_liaison_answers_from_their_survey_list(client, app, world, engine):
    staff = factories.add_staff(engine, "Han Ji-woo")
    survey_id, _token = factories.add_survey(app, world, lead_staff=staff, title="Crew course PL")
    factories.add_norway_survey(app, world)
    sign_in(client, "pl")
    home = client.get("/").get_data(as_text=True)
    assert f'href="/surveys/{survey_id}">Crew course PL: answer now' in home
    listing = client.get("/surveys").get_data(as_text=True)
    assert "Crew course PL" in listing and "Vidar crew course" not in listing
    assert client.get(f"/surveys/{world.ids['survey_NO']}").status_code == 404
    r = client.post(f"/surveys/{survey_id}", data={"csrf_token": csrf(client, "/surveys"), **ANSWERS,
                                                   "overall": "2", "recommend": "3"})
    assert r.status_code == 302
    page = client.get(r.location).get_data(as_text=True)
    assert "Thank you: your answer is recorded." in page and "2 of 5" in page
    with engine.connect() as conn:
        assert conn.scalar(sa.select(SurveyResponse.answered_by)
                           .where(SurveyResponse.survey_id == survey_id)) == world.ids["user_pl"]
    r = client.post(f"/surveys/{survey_id}", data={"csrf_token": csrf(client, "/surveys"), **ANSWERS})
    assert r.status_code == 409 and "already been answered" in r.get_data(as_text=True)
    actions = client.get("/actions").get_data(as_text=True)  # the poor answer opened an action
    assert "Poor feedback on Crew course PL" in actions and "Vidar" not in actions
    staff_client = app.test_client()
    sign_in(staff_client, "staff")
    assert staff_client.post(f"/surveys/{survey_id}", data={"csrf_token": csrf(staff_client, "/surveys"),
                                                            **ANSWERS}).status_code == 403


def test_actions_hide_internal_notes_from_liaisons_and_staff_edit_them(client, app, world, engine):
    owner = factories.add_staff(engine, "Choi Ye-jin")
    survey_id, _token = factories.add_survey(app, world, lead_staff=owner, title="Drill PL")
    with app.app_context(), session_scope(engine) as s:
        from service.domain import surveys

        surveys.answer(session=s, survey=s.get(Survey, survey_id), data=factories.POOR_ANSWERS)
        action_id = s.scalars(sa.select(CorrectiveAction)).one().id
    sign_in(client, "staff")
    r = client.post(f"/actions/{action_id}/comments", data={
        "csrf_token": csrf(client, f"/actions/{action_id}"), "body": "Budget talk, internal only",
        "internal": "on"})
    assert r.status_code == 302
    page = client.get(r.location).get_data(as_text=True)
    assert "Your internal note is added." in page and "Budget talk, internal only" in page
    assert "internal note (staff only)" in page and "Work on it" in page
    liaison = app.test_client()
    sign_in(liaison, "pl")
    page = liaison.get(f"/actions/{action_id}").get_data(as_text=True)
    assert "Poor feedback on Drill PL" in page and "Choi Ye-jin" in page
    assert "Budget talk" not in page and "internal note" not in page.lower() and "Work on it" not in page
    r = liaison.post(f"/actions/{action_id}/comments", data={
        "csrf_token": csrf(liaison, f"/actions/{action_id}"), "body": "Ours too", "internal": "on"})
    assert r.status_code == 403 and "Ours too" in r.get_data(as_text=True)  # kept in the form, not saved
    assert "Ours too" not in client.get(f"/actions/{action_id}").get_data(as_text=True)
    token = csrf(client, "/actions")
    form = {"csrf_token": token, "status": "in_progress", "resolution": "", "owner_staff_id": str(owner),
            "due_on": "2030-01-31"}
    r = client.post(f"/actions/{action_id}", data={**form, "version": "0"})
    assert "changed by someone else" in client.get(r.location).get_data(as_text=True)
    with engine.connect() as conn:
        v = conn.scalar(sa.select(CorrectiveAction.version))
    assert v == 1  # the note left the action as it was
    r = client.post(f"/actions/{action_id}", data={**form, "version": str(v), "status": "closed"})
    assert r.status_code == 409 and "allowed from open: in_progress" in r.get_data(as_text=True)
    r = client.post(f"/actions/{action_id}", data={**form, "version": str(v)})
    assert r.status_code == 302
    r = client.post(f"/actions/{action_id}", data={**form, "version": str(v + 1), "status": "closed"})
    assert r.status_code == 422 and 'id="resolution-error">required when closing' in r.get_data(as_text=True)
    r = client.post(f"/actions/{action_id}", data={**form, "version": str(v + 1), "status": "closed",
                                                   "resolution": "New schedule agreed"})
    page = client.get(r.location).get_data(as_text=True)
    assert "New schedule agreed" in page and "Budget talk, internal only" in page and "Closed" in page
    assert "overdue" not in client.get("/actions?overdue=true").get_data(as_text=True).split("<h2")[-1]
    assert liaison.post(f"/actions/{action_id}", data={"csrf_token": csrf(liaison, "/actions"),
                                                       **form}).status_code == 403


def test_staff_generate_a_report_and_download_it_with_the_session(client, app, world, engine, fast_render):
    sign_in(client, "staff")
    token = csrf(client, "/reports")
    r = client.post("/reports", data={"csrf_token": token, "period": "2099-01", "country": ""})
    assert r.status_code == 422
    assert 'id="period-error">This month has not started yet.' in r.get_data(as_text=True)
    r = client.post("/reports", data={"csrf_token": token, "period": "2026-01", "country": "PL"})
    assert r.status_code == 302
    page = client.get("/reports").get_data(as_text=True)
    assert "Report PL 2026-01 generated (revision 1" in page
    assert re.search(r"\d\d:\d\d CES?T · staff@example.org", page)  # Poland's report in Poland's time
    report_id = re.search(r'href="/api/v1/reports/(\d+)/pdf" download>', page).group(1)
    pdf = client.get(f"/api/v1/reports/{report_id}/pdf")  # the session cookie is enough
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    client.post("/reports", data={"csrf_token": token, "period": "2026-01", "country": ""})  # HQ
    page = client.get("/reports").get_data(as_text=True)
    assert re.search(r"\d\d:\d\d KST · staff@example.org", page)  # the HQ report in HQ's time, as its PDF
    liaison = app.test_client()
    sign_in(liaison, "pl")
    page = liaison.get("/reports").get_data(as_text=True)
    assert "January 2026" in page and "HQ monthly" not in page and "Generate a report" not in page
    assert " UTC" not in page.split("<main")[1]
    assert liaison.get(f"/api/v1/reports/{report_id}/pdf").status_code == 200
    assert liaison.get(f"/api/v1/reports/{world.ids['report_NO']}/pdf").status_code == 404
    assert liaison.post("/reports", data={"csrf_token": csrf(liaison, "/reports"),
                                          "period": "2026-01"}).status_code == 403


def test_messages_are_each_users_own_and_the_feed_address_rotates(client, app, world, engine):
    survey_id, token = factories.add_survey(app, world, title="Gunnery PL")  # invites pl's liaison
    factories.add_survey(app, world, country="NO", title="Oslo range gunnery")
    sign_in(client, "pl")
    page = client.get("/notifications").get_data(as_text=True)
    assert "How did it go? Gunnery PL" in page and f"/surveys/{token}" in page
    assert "not e-mailed" in page and not any(m in page for m in NORWAY) and "Oslo" not in page
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T", page) and " UTC" not in page  # Warsaw's time
    assert f'<a href="/surveys/{survey_id}">Open what it is about</a>' in page  # the survey it asks to answer
    me = client.get("/me").get_data(as_text=True)
    old = re.search(r'id="feed-url" type="text" value="([^"]+)"', me).group(1)
    assert old.endswith(".ics") and f"/api/v1/calendar/{world.ids['user_pl']}-" in old
    r = client.post("/me/calendar-feed", data={"csrf_token": csrf(client, "/me")})
    page = client.get(r.location).get_data(as_text=True)
    new = re.search(r'id="feed-url" type="text" value="([^"]+)"', page).group(1)
    assert new != old and "the old one no longer works" in page
    assert client.get(old.replace("http://127.0.0.1:5000", "")).status_code == 404
    assert client.get(new.replace("http://127.0.0.1:5000", "")).status_code == 200


def test_the_action_page_shows_the_answer_that_opened_it(client, app, world, engine):
    survey_id, _token = factories.add_survey(app, world, title="Drill PL")
    with app.app_context(), session_scope(engine) as s:
        from service.domain import surveys

        surveys.answer(session=s, survey=s.get(Survey, survey_id), data=factories.POOR_ANSWERS)
        action_id = s.scalars(sa.select(CorrectiveAction.id)).one()
    sign_in(client, "pl")
    page = client.get(f"/actions/{action_id}").get_data(as_text=True)
    answer = page.split("The answer that opened it")[1]
    assert f'href="/surveys/{survey_id}"' in answer and "Started two days late." in answer
    assert "Timeliness</dt><dd>1 of 5" in answer and "Would recommend</dt><dd>5 of 10" in answer
