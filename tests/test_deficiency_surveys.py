"""A closed deficiency report sends the buyer's liaisons a short survey on how it was handled
(its own template); its figures are reported apart from the services' in the API, the
dashboard and the PDFs."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, select

from models import Notification, Survey
from schedules.deficiencies import run_deficiency_jobs
from schedules.surveys import run_survey_jobs
from service.domain import periods, report_data
from tests import factories

API = "/api/v1/deficiencies"
RESOLVE = {"disposition": "repaired", "resolution": "Buffer replaced under warranty"}


def _move(client, world, rid: int, status: str, who: str = "staff", **extra):
    url = f"{API}/{rid}"
    version = client.get(url, headers=world.headers(who)).get_json()["version"]
    r = client.post(f"{url}/transition", json={"status": status, **extra},
                    headers=world.headers(who, **{"If-Match": str(version)}))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _resolved(client, world, engine, who: str = "pl") -> int:
    rid = factories.add_deficiency(engine, world, who=who)
    for status in ("acknowledged", "investigating"):
        _move(client, world, rid, status)
    _move(client, world, rid, "resolved", **RESOLVE)
    return rid


def _invitations(engine) -> list[tuple[str, str]]:
    with Session(engine) as s:
        return [(n.recipient, n.subject) for n in s.exec(
            select(Notification).where(Notification.kind == "survey_invitation")
            .order_by(Notification.recipient))]


def test_accepting_a_resolution_sends_the_handling_survey_reported_apart(client, world, engine):
    rid = _resolved(client, world, engine)
    assert client.get("/api/v1/surveys", headers=world.headers("pl")).get_json() == []
    _move(client, world, rid, "closed", who="pl")  # the buyer accepts
    (survey,) = client.get("/api/v1/surveys", headers=world.headers("pl")).get_json()
    number = client.get(f"{API}/{rid}", headers=world.headers("pl")).get_json()["number"]
    assert survey["deficiency_id"] == rid and survey["event_id"] is None
    assert survey["kind"] == "deficiency_handling" and survey["status"] == "sent"
    assert survey["event_title"].startswith(f"Deficiency report {number}")
    # only the buyer's liaisons are invited (not Norway's, not staff)
    assert _invitations(engine) == [("pl@example.org", f"How did we handle it? Deficiency report {number}")]
    assert client.get("/api/v1/surveys", headers=world.headers("no")).get_json() == []
    # its own template: no question about instructors or equipment
    token = survey["answer_url"].rsplit("/", 1)[1]
    public = client.get(f"/api/v1/public/surveys/{token}").get_json()
    assert [q["id"] for q in public["questions"]] == ["overall", "timeliness", "documentation",
                                                     "recommend", "comment"]
    assert public["event"]["kind"] == "deficiency_handling" and number in public["event"]["title"]
    refused = client.post(f"/api/v1/public/surveys/{token}", json={
        "overall": 5, "timeliness": 4, "documentation": 4, "recommend": 9, "instructors": 5})
    assert refused.status_code == 422 and "instructors" in refused.get_json()["errors"]
    # a service's survey answered poorly, the handling survey well: never mixed
    factories.add_survey(client.application, world)
    service_survey = next(s for s in client.get("/api/v1/surveys", headers=world.headers("pl")).get_json()
                          if s["event_id"])
    r = client.post(f"/api/v1/surveys/{service_survey['id']}/response", headers=world.headers("pl"), json={
        "overall": 2, "instructors": 2, "timeliness": 2, "documentation": 2, "equipment": 2, "recommend": 3})
    assert r.status_code == 201, r.get_json()
    r = client.post(f"/api/v1/public/surveys/{token}", json={
        "overall": 5, "timeliness": 4, "documentation": 4, "recommend": 9, "comment": "Quick fix"})
    assert r.status_code == 201, r.get_json()
    figures = client.get("/api/v1/satisfaction", headers=world.headers("pl")).get_json()
    assert (figures["responses"], figures["surveys_sent"], figures["csat"], figures["nps"]) == \
        (1, 1, 0.0, -100.0)
    handling = figures["deficiency_handling"]
    assert (handling["responses"], handling["surveys_sent"], handling["csat"], handling["nps"]) == \
        (1, 1, 100.0, 100.0)
    assert handling["dimensions"]["timeliness"] == 4.0 and figures["dimensions"]["timeliness"] == 2.0
    # only the poor service answer opened a corrective action
    actions = client.get("/api/v1/actions", headers=world.headers("staff")).get_json()
    assert [a["event_id"] is not None for a in actions] == [True]
    # the dashboard shows the same, apart
    status = client.get("/api/v1/countries/PL/status", headers=world.headers("pl")).get_json()
    assert status["satisfaction"]["csat"] == 0.0
    assert status["satisfaction"]["deficiency_handling"]["csat"] == 100.0
    # ... and so do the monthly reports
    period = periods.of(dt.datetime.now(dt.UTC))
    month = client.get("/api/v1/satisfaction", headers=world.headers("staff"),
                       query_string={"country": "PL", "from": period, "to": period}).get_json()
    with Session(engine) as s:
        country = report_data.country_monthly(session=s, country_code="PL", period=period,
                                              now=dt.datetime.now(dt.UTC), revision=1, marking="U")
        hq = report_data.hq_monthly(session=s, period=period, now=dt.datetime.now(dt.UTC),
                                    revision=1, marking="U", timezone="UTC")
    sat = country["satisfaction"]
    assert sat["month"]["csat"] == month["csat"] == 0.0
    keys = ("responses", "surveys_sent", "response_rate", "csat", "nps")
    assert sat["deficiency_handling"]["month"] == {k: month["deficiency_handling"][k] for k in keys}
    assert [c["comment"] for c in sat["comments"]] == []  # the handling comment is not a service's
    pl = next(r for r in hq["countries"] if r["code"] == "PL")
    assert pl["csat"] == 0.0 and pl["deficiency_handling"]["csat"] == 100.0


def test_a_report_closed_by_itself_is_surveyed_once(app, client, world, engine):
    rid = _resolved(client, world, engine)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    assert run_deficiency_jobs(app, now=later)["closed"] == 1
    assert run_deficiency_jobs(app, now=later)["closed"] == 0
    run_survey_jobs(app, now=later)  # the survey job finds nothing more to send
    with Session(engine) as s:
        rows = s.exec(select(Survey).where(Survey.deficiency_id == rid)).all()
    assert len(rows) == 1 and rows[0].sent_at == later
    assert len(_invitations(engine)) == 1
    # and is reminded like any survey, once
    run_survey_jobs(app, now=later + dt.timedelta(days=8))
    run_survey_jobs(app, now=later + dt.timedelta(days=9))
    with Session(engine) as s:
        reminders = s.exec(select(Notification).where(Notification.kind == "survey_reminder")).all()
    assert [n.recipient for n in reminders] == ["pl@example.org"]
    assert "deficiency report" in reminders[0].subject


def test_the_daily_survey_job_surveys_a_closed_report_that_has_none(app, client, world, engine):
    rid = _resolved(client, world, engine)
    _move(client, world, rid, "closed", who="pl")
    with engine.begin() as conn:  # as if the closing's survey had been lost
        conn.execute(sa.text("DELETE FROM notification WHERE kind = 'survey_invitation'"))
        conn.execute(sa.text("DELETE FROM survey"))
    run_survey_jobs(app, now=dt.datetime.now(dt.UTC))
    run_survey_jobs(app, now=dt.datetime.now(dt.UTC))
    with Session(engine) as s:
        assert len(s.exec(select(Survey).where(Survey.deficiency_id == rid)).all()) == 1
    assert len(_invitations(engine)) == 1


def test_the_survey_pages_show_what_the_handling_survey_is_about(app, client, world, engine):
    from tests.test_web_pages import sign_in

    rid = _resolved(client, world, engine)
    _move(client, world, rid, "closed", who="pl")
    (survey,) = client.get("/api/v1/surveys", headers=world.headers("pl")).get_json()
    web = app.test_client()
    assert sign_in(web, "pl").status_code == 302
    page = web.get(f"/surveys/{survey['id']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and f"/deficiencies/{rid}" in text
    assert "deficiency handling survey" in text
    public = app.test_client().get("/surveys/" + survey["answer_url"].rsplit("/", 1)[1])
    body = public.get_data(as_text=True)
    assert public.status_code == 200 and "speed of our answers" in body and "instructors" not in body
