"""Scheduled jobs (SPEC §5): one module per job, every job registered here in one list.

Jobs live in a persistent job store (the application database), so a run missed while the
scheduler was down happens once on restart (coalesce, and a misfire grace of 35 days). At
start-up each job is (re)added with `replace_existing=True`; because APScheduler 3 would then
recompute the next run time from "now" and silently drop a missed month-end, the stored
next run time is kept whenever the job's trigger is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from schedules import runtime


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: a module-level function named by reference, and a cron trigger."""

    id: str
    func: str  # "module:function", stored by reference (never pickled code)
    cron: dict[str, str]
    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)  # simple values only


JOBS: list[JobSpec] = [
    JobSpec(id="monthly-reports", func="schedules.monthly_reports:run",
            cron={"day": "1", "hour": "2", "minute": "0"},
            name="Monthly PDF reports for the month just ended"),
    JobSpec(id="daily-reminders", func="schedules.reminders:run",
            cron={"hour": "6", "minute": "0"}, kwargs={"deliver": True},
            name="Reminders for services starting in 7 days and in 1 day; send the outbox"),
    JobSpec(id="daily-surveys", func="schedules.surveys:run",
            cron={"hour": "5", "minute": "30"},
            name="Survey invitations, reminders, expiry; overdue corrective actions"),
]


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Add every job in JOBS to `scheduler` (not yet started), keeping stored run times."""
    runtime.bind(app)
    # The default store is started early so its stored jobs can be read before start();
    # start() starts it again, which is harmless for the memory and SQLAlchemy stores.
    store = scheduler._jobstores["default"]  # type: ignore[attr-defined]  # noqa: SLF001
    store.start(scheduler, "default")
    for spec in JOBS:
        trigger = CronTrigger(timezone=scheduler.timezone, **spec.cron)
        stored = store.lookup_job(spec.id)
        keep: dict[str, Any] = {}
        if stored is not None and repr(stored.trigger) == repr(trigger):
            keep["next_run_time"] = stored.next_run_time
        scheduler.add_job(spec.func, trigger, id=spec.id, name=spec.name, kwargs=spec.kwargs,
                          replace_existing=True, **keep)
