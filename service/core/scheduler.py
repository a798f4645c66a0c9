"""The scheduler process (SPEC §5): `flask --app service scheduler run`.

Production runs exactly one `scheduler run` process beside the web hosts. Its jobs are kept in
the application database (table `apscheduler_jobs`, created by APScheduler itself), with
coalescing, one instance per job, and a misfire grace of 35 days, so a month-end missed while
the process was down is run once on restart; the monthly reports job also runs at every start,
finishing a run that a crash cut off (it skips what is already made). Should two schedulers
run by mistake, the jobs themselves stay idempotent (unique keys, advisory locks on PostgreSQL).
"""

from __future__ import annotations

import atexit
import signal
import threading
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from service.core.db import get_engine, writer

if TYPE_CHECKING:  # APScheduler and the jobs are loaded where a scheduler is built, not by every
    # web worker at start (create_app registers this module's command and hook; bench: worker start)
    from apscheduler.events import JobExecutionEvent
    from apscheduler.jobstores.base import BaseJobStore
    from apscheduler.schedulers.base import BaseScheduler

JOBS_TABLE = "apscheduler_jobs"  # listed in service.core.migrate.UNMANAGED_TABLES
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 35 * 24 * 3600}

scheduler_cli = AppGroup("scheduler", help="The scheduled jobs process.")


def build_scheduler(app: Flask, *, background: bool = False, jobstore: BaseJobStore | None = None,
                    catch_up: bool = False) -> BaseScheduler:
    """A scheduler with every job registered (not started); `catch_up`: see schedules/."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    from schedules import register_jobs

    store = jobstore or SQLAlchemyJobStore(engine=writer(get_engine(app)), tablename=JOBS_TABLE)
    cls = BackgroundScheduler if background else BlockingScheduler
    scheduler = cls(jobstores={"default": store},
                    executors={"default": ThreadPoolExecutor(max_workers=2)},
                    job_defaults=dict(JOB_DEFAULTS),
                    timezone=ZoneInfo(app.config["SCHEDULER_TIMEZONE"]))
    register_jobs(scheduler, app, catch_up=catch_up)
    return scheduler


def describe(scheduler: BaseScheduler) -> list[str]:
    return [f"{job.id}: next run {job.next_run_time.isoformat() if job.next_run_time else 'paused'}"
            f"  ({job.name})" for job in scheduler.get_jobs()]


@scheduler_cli.command("run")
def scheduler_run() -> None:
    """Run the scheduled jobs in the foreground until stopped (SIGTERM or Ctrl-C)."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_SCHEDULER_STARTED

    app = current_app._get_current_object()  # type: ignore[attr-defined]  # current_app is typed as Flask, not its proxy
    scheduler = build_scheduler(app, catch_up=True)

    def started(_event: Any) -> None:
        click.echo(f"scheduler running (timezone {app.config['SCHEDULER_TIMEZONE']})")
        for line in describe(scheduler):
            click.echo(f"  {line}")

    def ran(event: JobExecutionEvent) -> None:
        click.echo(f"{event.job_id}: {'failed' if event.exception else 'done'}")

    scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
    scheduler.add_listener(ran, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
    click.echo("scheduler stopped")


def register_in_process(app: Flask) -> None:
    """Development only (RUN_SCHEDULER_IN_PROCESS): the serving process also runs the jobs.

    Started on the first request, so CLI commands and the reloader's watcher never start it.
    Never enable it under gunicorn: every worker would run a scheduler (the jobs would stay
    idempotent, but that is what `scheduler run` is for).
    """
    if not app.config.get("RUN_SCHEDULER_IN_PROCESS") or app.config.get("TESTING"):
        return
    lock = threading.Lock()

    def ensure_started() -> None:
        if "k_sustain_scheduler" in app.extensions:
            return
        with lock:
            if "k_sustain_scheduler" not in app.extensions:
                scheduler = build_scheduler(app, background=True)
                scheduler.start()
                atexit.register(lambda: scheduler.shutdown(wait=False) if scheduler.running else None)
                app.extensions["k_sustain_scheduler"] = scheduler

    app.before_request(ensure_started)
