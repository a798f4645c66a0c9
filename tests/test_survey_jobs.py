"""The daily survey job: invitations, one reminder after 7 days, expiry after 30, escalation."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from models import CorrectiveAction, Notification, Survey
from schedules.surveys import run_survey_jobs
from service.core.db import session_scope
from service.domain import surveys
from tests.conftest import rows
from tests.factories import POOR_ANSWERS, add_completed_event, add_survey

T0 = dt.datetime(2026, 4, 1, 6, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _kinds(engine) -> dict[str, int]:
    with Session(engine) as s:
        out: dict[str, int] = {}
        for n in s.exec(select(Notification)):
            out[n.kind] = out.get(n.kind, 0) + 1
        return out


def _survey(engine) -> Survey:
    with Session(engine) as s:
        return s.exec(select(Survey)).one()


def test_invitation_reminder_and_expiry_each_happen_once(app, engine, world):
    add_completed_event(engine, world, country="PL", ends_at=T0 - DAY)
    assert run_survey_jobs(app, now=T0)["created"] == 1
    assert run_survey_jobs(app, now=T0) == {"created": 0, "expired": 0, "reminded": 0, "escalated": 0}
    assert rows(engine, "survey") == 1 and _kinds(engine) == {"survey_invitation": 1}
    assert _survey(engine).invited_at == T0 and _survey(engine).period == "2026-04"

    run_survey_jobs(app, now=T0 + 6 * DAY)
    assert _survey(engine).reminded_at is None
    for _ in range(2):
        run_survey_jobs(app, now=T0 + 7 * DAY + dt.timedelta(minutes=1))
    run_survey_jobs(app, now=T0 + 8 * DAY)
    assert _kinds(engine) == {"survey_invitation": 1, "survey_reminder": 1}
    assert _survey(engine).reminded_at == T0 + 7 * DAY + dt.timedelta(minutes=1)

    run_survey_jobs(app, now=T0 + 29 * DAY)
    assert _survey(engine).status == "sent"
    assert run_survey_jobs(app, now=T0 + 30 * DAY)["expired"] == 1
    assert run_survey_jobs(app, now=T0 + 31 * DAY)["expired"] == 0
    assert _survey(engine).status == "expired"
    assert _kinds(engine) == {"survey_invitation": 1, "survey_reminder": 1}


def test_an_answered_survey_is_neither_reminded_nor_expired(app, engine, world):
    survey_id, _ = add_survey(app, world, now=T0)
    with app.app_context(), session_scope(engine) as s:
        surveys.answer(session=s, survey=s.get(Survey, survey_id), data={
            "overall": 4, "instructors": 4, "timeliness": 4, "documentation": 4, "equipment": 4,
            "recommend": 9}, now=T0 + DAY)
    run_survey_jobs(app, now=T0 + 40 * DAY)
    assert _survey(engine).status == "answered" and _survey(engine).reminded_at is None
    assert _kinds(engine) == {"survey_invitation": 1}


def test_a_country_without_liaison_is_invited_once_one_exists(app, engine, world):
    from tests.factories import add_user

    with session_scope(engine) as s:
        from service.domain import registry

        registry.create_country(session=s, data={"code": "EG", "timezone": "Africa/Cairo"})
    add_completed_event(engine, world, country="EG", ends_at=T0 - DAY)
    run_survey_jobs(app, now=T0)
    assert _survey(engine).invited_at is None and _kinds(engine) == {}
    add_user(engine, "eg@example.org", "liaison", "EG")
    run_survey_jobs(app, now=T0 + DAY)
    run_survey_jobs(app, now=T0 + DAY)
    assert _survey(engine).invited_at == T0 + DAY and _kinds(engine) == {"survey_invitation": 1}


def test_an_overdue_action_is_escalated_once_per_due_date(app, client, engine, world):
    survey_id, _ = add_survey(app, world, now=T0)
    with app.app_context(), session_scope(engine) as s:
        surveys.answer(session=s, survey=s.get(Survey, survey_id), data=POOR_ANSWERS, now=T0)
    run_survey_jobs(app, now=T0 + 14 * DAY)  # due on T0 + 14 days: not yet overdue
    assert "action_overdue" not in _kinds(engine)
    escalated = [run_survey_jobs(app, now=T0 + 15 * DAY)["escalated"] for _ in range(2)]
    assert escalated == [1, 0]
    with Session(engine) as s:
        action = s.exec(select(CorrectiveAction)).one()
        recipients = sorted(n.recipient for n in s.exec(
            select(Notification).where(Notification.kind == "action_overdue")))
    assert action.escalated_at == T0 + 15 * DAY
    assert recipients == ["admin@example.org", "staff@example.org"]

    # A new due date can be missed again, and is escalated again (once).
    later = (T0 + 20 * DAY).date().isoformat()
    client.patch(f"/api/v1/actions/{action.id}", json={"due_on": later},
                 headers=world.headers("staff", **{"If-Match": "*"}))
    run_survey_jobs(app, now=T0 + 21 * DAY)
    run_survey_jobs(app, now=T0 + 22 * DAY)
    assert _kinds(engine)["action_overdue"] == 4


def test_the_command_runs_the_job(app, engine, world):
    add_completed_event(engine, world, country="NO", ends_at=T0 - DAY)
    r = app.test_cli_runner().invoke(args=["surveys", "run-jobs", "--now", T0.isoformat()])
    assert r.exit_code == 0, r.output
    assert "created 1" in r.output and rows(engine, "survey") == 1
    naive = app.test_cli_runner().invoke(args=["surveys", "run-jobs", "--now", "2026-04-01T06:00"])
    assert naive.exit_code != 0 and "timezone" in naive.output


def test_two_jobs_at_once_write_each_survey_and_message_once(app, engine, world):
    import threading

    for country in ("PL", "NO", "PL"):
        add_completed_event(engine, world, country=country, ends_at=T0 - 10 * DAY)
    survey_id, _ = add_survey(app, world, now=T0 - 20 * DAY)
    with app.app_context(), session_scope(engine) as s:
        surveys.answer(session=s, survey=s.get(Survey, survey_id), data=POOR_ANSWERS, now=T0 - 20 * DAY)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_survey_jobs(app, now=T0)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert rows(engine, "survey") == 4
    # 3 new surveys invited (+1 earlier), no reminder yet (sent today), one escalation to 2 users
    assert _kinds(engine) == {"survey_invitation": 4, "action_overdue": 2}
