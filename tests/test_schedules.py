"""The scheduler: the monthly job's period, idempotence, retries, and the catch-up on restart."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session, select

import schedules
from models import Report
from schedules import JOBS, JobSpec, monthly_reports
from service.core.scheduler import build_scheduler
from service.domain import reports

SEOUL = ZoneInfo("Asia/Seoul")
NOV_1 = dt.datetime(2026, 11, 1, 2, 0, tzinfo=SEOUL)  # the run for October


def _reports(engine) -> dict[tuple[str, str], Report]:
    with Session(engine) as s:
        return {(r.scope_key, r.period): r
                for r in s.exec(select(Report).where(Report.period >= "2026-01"))}


def test_the_month_just_ended_is_seen_in_the_scheduler_timezone():
    # 02:00 on 1 November in Seoul is still 31 October in UTC: the month just ended is October.
    assert NOV_1.astimezone(dt.UTC).day == 31
    assert monthly_reports.month_just_ended(NOV_1, "Asia/Seoul") == "2026-10"
    new_year = dt.datetime(2027, 1, 1, 2, tzinfo=SEOUL)
    assert monthly_reports.month_just_ended(new_year, "Asia/Seoul") == "2026-12"
    assert monthly_reports.periods_due(NOV_1, "Asia/Seoul") == ["2026-09", "2026-10"]


def test_the_monthly_job_makes_each_report_once(app, engine, world, fast_render):
    first = monthly_reports.run_for(app, now=NOV_1)
    assert sorted(o.action for o in first) == ["generated"] * 6  # PL, NO, HQ for Sep and Oct
    second = monthly_reports.run_for(app, now=NOV_1 + dt.timedelta(minutes=5))
    assert {o.action for o in second} == {"skipped"}
    made = _reports(engine)
    assert sorted(made) == sorted((s, p) for p in ("2026-09", "2026-10") for s in ("HQ", "NO", "PL"))
    assert {(r.revision, r.generated_by, r.attempts) for r in made.values()} == {(1, "scheduler", 1)}
    assert len(fast_render) == 6


def test_a_report_made_by_hand_before_the_month_ended_is_redone_by_the_job(app, engine, world,
                                                                          fast_render):
    mid_month = dt.datetime(2026, 10, 15, 9, tzinfo=dt.UTC)
    reports.generate_report(engine=engine, kind="country_monthly", period="2026-10",
                            country_code="PL", actor=(None, "cli"), now=mid_month)
    monthly_reports.run_for(app, now=NOV_1)
    pl = _reports(engine)[("PL", "2026-10")]
    assert (pl.revision, pl.generated_by) == (2, "scheduler")
    monthly_reports.run_for(app, now=NOV_1)
    assert _reports(engine)[("PL", "2026-10")].revision == 2


def test_a_failed_report_is_retried_by_the_next_run(app, engine, world, fast_render, monkeypatch):
    render = reports.render_document

    def fail_for_poland(template, data):
        if data.get("country", {}).get("code") == "PL":
            raise OSError("disk full")
        return render(template, data)

    monkeypatch.setattr(reports, "render_document", fail_for_poland)
    first = monthly_reports.run_for(app, now=NOV_1)
    assert sorted(o.action for o in first) == ["failed"] * 2 + ["generated"] * 4
    assert _reports(engine)[("PL", "2026-10")].status == "failed"
    monkeypatch.setattr(reports, "render_document", render)
    second = monthly_reports.run_for(app, now=dt.datetime(2026, 12, 1, 2, tzinfo=SEOUL))
    pl = _reports(engine)[("PL", "2026-10")]  # October is still in the look-back: retried
    assert (pl.status, pl.revision, pl.attempts, pl.error) == ("ready", 1, 2, None)
    assert sorted(o.action for o in second) == ["generated"] * 4 + ["skipped"] * 2


def _store(tmp_path) -> SQLAlchemyJobStore:
    return SQLAlchemyJobStore(url=f"sqlite:///{tmp_path / 'jobs.db'}", tablename="apscheduler_jobs")


def _set_stored_run_time(tmp_path, when: dt.datetime) -> None:
    """Edit the stored job while no scheduler runs (as if the process had been down)."""
    store = _store(tmp_path)
    job = store.lookup_job("monthly-reports")
    job.next_run_time = when
    store.update_job(job)
    store.shutdown()


def test_the_stored_next_run_time_survives_a_restart(app, tmp_path):
    scheduler = build_scheduler(app, background=True, jobstore=_store(tmp_path))
    scheduler.start(paused=True)
    job = scheduler.get_job("monthly-reports")
    fire = job.next_run_time.astimezone(ZoneInfo(app.config["SCHEDULER_TIMEZONE"]))
    assert (fire.day, fire.hour, fire.minute) == (1, 2, 0)
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 35 * 24 * 3600)
    scheduler.shutdown()
    missed = fire - dt.timedelta(days=40)
    _set_stored_run_time(tmp_path, missed)

    restarted = build_scheduler(app, background=True, jobstore=_store(tmp_path))
    restarted.start(paused=True)
    assert restarted.get_job("monthly-reports").next_run_time == missed  # not recomputed from now
    restarted.shutdown()


def test_a_changed_trigger_replaces_the_stored_schedule(app, tmp_path, monkeypatch):
    scheduler = build_scheduler(app, background=True, jobstore=_store(tmp_path))
    scheduler.start(paused=True)
    scheduler.shutdown()
    _set_stored_run_time(tmp_path, dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    spec = JOBS[0]
    monkeypatch.setattr(schedules, "JOBS", [JobSpec(id=spec.id, func=spec.func, name=spec.name,
                                                    cron={"day": "1", "hour": "3", "minute": "0"})])
    restarted = build_scheduler(app, background=True, jobstore=_store(tmp_path))
    restarted.start(paused=True)
    job = restarted.get_job("monthly-reports")
    local = job.next_run_time.astimezone(ZoneInfo(app.config["SCHEDULER_TIMEZONE"]))
    assert job.next_run_time > dt.datetime.now(dt.UTC) and local.hour == 3
    restarted.shutdown()


def test_the_scheduler_process_catches_up_the_monthly_job_at_start(app, tmp_path):
    """A run cut off by a crash has already moved the stored next run time on: the process
    makes the (idempotent) monthly job due at start, and leaves the daily jobs alone."""
    before = dt.datetime.now(dt.UTC)
    scheduler = build_scheduler(app, background=True, jobstore=_store(tmp_path), catch_up=True)
    scheduler.start(paused=True)
    jobs = {job.id: job.next_run_time for job in scheduler.get_jobs()}
    scheduler.shutdown()
    assert jobs["monthly-reports"] <= dt.datetime.now(dt.UTC)
    assert jobs["daily-reminders"] > before and jobs["daily-surveys"] > before
    missed = before - dt.timedelta(days=3)  # an earlier missed time is kept (it is due anyway)
    _set_stored_run_time(tmp_path, missed)
    again = build_scheduler(app, background=True, jobstore=_store(tmp_path), catch_up=True)
    again.start(paused=True)
    assert again.get_job("monthly-reports").next_run_time == missed
    again.shutdown()


def test_a_month_end_missed_while_down_runs_once_on_restart(app, engine, world, tmp_path, fast_render):
    now = dt.datetime.now(SEOUL)
    trigger = CronTrigger(day="1", hour="2", minute="0", timezone=SEOUL)
    # The scheduler was down across two month-ends: the last one within the 35-day grace.
    first_missed = trigger.get_next_fire_time(None, now - dt.timedelta(days=62))
    scheduler = build_scheduler(app, background=True, jobstore=_store(tmp_path))
    scheduler.start(paused=True)
    scheduler.shutdown()
    _set_stored_run_time(tmp_path, first_missed)

    events, done = [], threading.Event()

    def listen(event):
        events.append(event.code)
        done.set()

    restarted = build_scheduler(app, background=True, jobstore=_store(tmp_path))
    restarted.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    restarted.start()
    try:
        assert done.wait(30), "the missed run did not happen"
        next_run = restarted.get_job("monthly-reports").next_run_time
    finally:
        restarted.shutdown(wait=True)
    assert events == [EVENT_JOB_EXECUTED]  # two missed fire times, coalesced into one run
    assert next_run > now
    due = monthly_reports.periods_due(dt.datetime.now(dt.UTC), "Asia/Seoul")
    made = _reports(engine)
    assert sorted(made) == sorted((s, p) for p in due for s in ("HQ", "NO", "PL"))
    assert {r.revision for r in made.values()} == {1}


@pytest.mark.parametrize("setting, expected", [("Europe/Warsaw", "Europe/Warsaw"), (None, "UTC")])
def test_the_scheduler_timezone_is_a_setting(setting, expected):
    from service.core.config import ConfigError, Settings

    env = {"SCHEDULER_TIMEZONE": setting} if setting else {}
    assert Settings.from_env(env).scheduler_timezone == expected
    with pytest.raises(ConfigError):
        Settings.from_env({"SCHEDULER_TIMEZONE": "Mars/Olympus"})


def test_scheduler_run_is_its_own_process_with_a_persistent_store(tmp_path):
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    from tests.live import start_limit

    db = tmp_path / "k.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "SCHEDULER_TIMEZONE": "Europe/Warsaw"}
    flask = str(Path(sys.executable).parent / "flask")
    subprocess.run([flask, "--app", "service", "db", "upgrade"], env=env, check=True,
                   capture_output=True, timeout=start_limit())
    proc = subprocess.Popen([flask, "--app", "service", "scheduler", "run"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    watchdog = threading.Timer(2 * start_limit(), proc.kill)  # a start, then two renders
    watchdog.start()
    try:
        lines = []  # at start the monthly job catches up (here: the HQ report of two months)
        while not any("monthly-reports: done" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=start_limit())
    finally:
        watchdog.cancel()
    output = "".join(lines) + rest
    assert proc.returncode == 0, output
    assert "timezone Europe/Warsaw" in output and "scheduler stopped" in output
    assert "monthly-reports: next run" in output
    with sqlite3.connect(db) as conn:
        stored = dict(conn.execute("SELECT id, next_run_time FROM apscheduler_jobs").fetchall())
    fire = dt.datetime.fromtimestamp(stored["monthly-reports"], ZoneInfo("Europe/Warsaw"))
    assert (fire.day, fire.hour, fire.minute) == (1, 2, 0)
    assert set(stored) == {job.id for job in JOBS}


def test_the_development_server_may_run_the_scheduler_in_process(tmp_path):
    from service import create_app
    from service.core.db import get_engine
    from service.core.migrate import upgrade

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}",
                      "RUN_SCHEDULER_IN_PROCESS": True})
    upgrade(app)
    assert "k_sustain_scheduler" not in app.extensions  # CLI commands never start it
    try:
        assert app.test_client().get("/health").status_code == 200
        scheduler = app.extensions["k_sustain_scheduler"]
        assert scheduler.running and scheduler.get_job("monthly-reports") is not None
        app.test_client().get("/health")
        assert app.extensions["k_sustain_scheduler"] is scheduler  # one per process
    finally:
        app.extensions["k_sustain_scheduler"].shutdown()
        get_engine(app).dispose()
