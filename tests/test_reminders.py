"""The daily reminders job, the outbox, SMTP delivery and the job's registration."""

from __future__ import annotations

import datetime as dt
import threading

import sqlalchemy as sa

from models import utcnow
from schedules import JOBS, register_jobs
from schedules.reminders import run as daily_reminders
from schedules.reminders import send_service_reminders
from service.domain import outbox
from tests import factories
from tests.conftest import rows

NOW = dt.datetime(2030, 3, 1, 6, 0, tzinfo=dt.UTC)


def _outbox(engine):
    with engine.connect() as conn:
        return sorted(conn.execute(sa.text("SELECT key, recipient, user_id FROM notification")).all())


def _setup(engine, world):
    staff = factories.add_staff(engine, "Park Ji-hoon", email="staff@example.org")  # also a user
    no_mail = factories.add_staff(engine, "Choi Eun-ji", email=None)
    week = factories.add_event(engine, world, starts_at=NOW + dt.timedelta(days=6, hours=20),
                               staff=[staff, no_mail], status="confirmed")
    day = factories.add_event(engine, world, country="NO", starts_at=NOW + dt.timedelta(hours=20))
    factories.add_event(engine, world, starts_at=NOW + dt.timedelta(days=3), status="cancelled")
    factories.add_event(engine, world, starts_at=NOW + dt.timedelta(days=20))
    return staff, week, day


def test_reminders_go_to_liaisons_and_staff_once(app, engine, world):
    staff, week, day = _setup(engine, world)
    assert send_service_reminders(app, now=NOW) == 3
    first = _outbox(engine)
    assert first == sorted([
        (f"reminder-1d:event:{day}:user:{world.ids['user_no']}", "no@example.org", world.ids["user_no"]),
        (f"reminder-7d:event:{week}:staff:{staff}", "staff@example.org", world.ids["user_staff"]),
        (f"reminder-7d:event:{week}:user:{world.ids['user_pl']}", "pl@example.org", world.ids["user_pl"]),
    ])
    assert send_service_reminders(app, now=NOW) == 0
    assert send_service_reminders(app, now=NOW + dt.timedelta(hours=1)) == 0
    assert _outbox(engine) == first
    # Six days later the first event is a day away: its 1-day reminders come, once.
    assert send_service_reminders(app, now=NOW + dt.timedelta(days=6)) == 2
    assert send_service_reminders(app, now=NOW + dt.timedelta(days=6)) == 0


def test_two_processes_at_once_write_each_reminder_once(app, engine, world):
    _setup(engine, world)
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def run() -> None:
        barrier.wait()
        counts.append(send_service_reminders(app, now=NOW))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(counts) == [0, 3] and rows(engine, "notification") == 3


def test_notifications_are_readable_without_smtp(app, client, engine, world):
    _setup(engine, world)
    send_service_reminders(app, now=NOW)
    assert outbox.deliver_pending(app) == 0  # no SMTP_HOST: nothing sent, nothing lost
    mine = client.get("/api/v1/notifications", headers=world.headers("pl")).get_json()
    assert [n["kind"] for n in mine] == ["reminder_7d"] and mine[0]["sent_at"] is None
    assert "starts" in mine[0]["subject"] and "Europe/Warsaw" in mine[0]["body"]
    assert len(client.get("/api/v1/notifications", headers=world.headers("admin")).get_json()) == 3
    only = client.get("/api/v1/notifications", headers=world.headers("admin"),
                      query_string={"user": world.ids["user_no"]}).get_json()
    assert [n["recipient"] for n in only] == ["no@example.org"]


class FakeSMTP:
    sent: list = []
    fail_for: set = set()

    def __init__(self, host, port, timeout=None):
        assert (host, port) == ("mail.example.org", 2525)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        assert (user, password) == ("k", "p")

    def send_message(self, message):
        if message["To"] in self.fail_for:
            raise OSError("mailbox unavailable")
        FakeSMTP.sent.append((message["To"], message["Subject"]))


def test_delivery_by_smtp_marks_sent_and_keeps_failures(app, engine, world, monkeypatch):
    _setup(engine, world)
    send_service_reminders(app, now=NOW)
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    FakeSMTP.sent, FakeSMTP.fail_for = [], {"no@example.org"}
    monkeypatch.setitem(app.config, "SMTP_HOST", "mail.example.org")
    monkeypatch.setitem(app.config, "SMTP_PORT", 2525)
    monkeypatch.setitem(app.config, "SMTP_USER", "k")
    monkeypatch.setitem(app.config, "SMTP_PASSWORD", "p")
    assert outbox.deliver_pending(app) == 2
    assert sorted(to for to, _ in FakeSMTP.sent) == ["pl@example.org", "staff@example.org"]
    assert outbox.deliver_pending(app) == 0  # the failed one is retried, the sent ones never again
    with engine.connect() as conn:
        failed = conn.execute(sa.text("SELECT attempts, last_error, sent_at FROM notification "
                                      "WHERE recipient = 'no@example.org'")).one()
    assert failed[0] == 2 and "mailbox" in failed[1] and failed[2] is None


def test_cli_runs_the_job_once(app, engine, world):
    _setup(engine, world)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders", "run", "--now", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    assert "3 new, 0 sent" in result.output
    result = runner.invoke(args=["reminders", "run", "--now", "2030-03-01T06:00:00"])
    assert result.exit_code != 0 and "offset" in result.output


def test_register_jobs_adds_the_daily_job_by_reference(app, engine, world):
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start(paused=True)
    try:
        register_jobs(scheduler, app)
        register_jobs(scheduler, app)  # replace_existing: still one of each
        jobs = {j.id: j for j in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    assert set(jobs) == {spec.id for spec in JOBS}  # one of each
    assert jobs["daily-reminders"].kwargs == {"job": "schedules.reminders:run", "deliver": True}
    assert jobs["daily-reminders"].func_ref == "schedules.runtime:run_job"  # given the bound app
    with app.app_context():
        factories.add_event(engine, world, starts_at=utcnow() + dt.timedelta(hours=5))
        assert daily_reminders(app, deliver=False) == 1
