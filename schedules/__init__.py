"""Scheduled jobs (SPEC §5): one module per job, every job registered here in one list.

Jobs live in a persistent job store (the application database), so a run missed while the
scheduler was down happens once on restart (coalesce, and a misfire grace of 35 days). At
start-up each job is (re)added with `replace_existing=True`; because APScheduler 3 would then
recompute the next run time from "now" and silently drop a missed month-end, the stored
next run time is kept whenever the job's trigger is unchanged.

APScheduler moves a job's stored next run time on *before* running it, so a run cut off by a
crash (kill -9, power loss) would otherwise wait for the next fire time — a month, for the
reports. A job marked `catch_up` (it must be idempotent) is therefore also due at once when
the `scheduler run` process starts: whatever the interrupted run left undone is made then,
and what it finished is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.util import ref_to_obj
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
    catch_up: bool = False  # also run when the scheduler process starts (idempotent jobs only)


JOBS: list[JobSpec] = [
    JobSpec(id="monthly-reports", func="schedules.monthly_reports:run",
            cron={"day": "1", "hour": "2", "minute": "0"},
            name="Monthly PDF reports for the month just ended", catch_up=True),
    JobSpec(id="daily-reminders", func="schedules.reminders:run",
            cron={"hour": "6", "minute": "0"}, kwargs={"deliver": True},
            name="Reminders for services starting in 7 days and in 1 day; send the outbox"),
    JobSpec(id="daily-surveys", func="schedules.surveys:run",
            cron={"hour": "5", "minute": "30"},
            name="Survey invitations, reminders, expiry; overdue corrective actions"),
    JobSpec(id="daily-idempotency-cleanup", func="schedules.idempotency:run",
            cron={"hour": "4", "minute": "15"}, catch_up=True,
            name="Delete Idempotency-Key answers past their 24 hours"),
    JobSpec(id="daily-deficiencies", func="schedules.deficiencies:run",
            cron={"hour": "5", "minute": "45"},
            name="Deficiency reports past a due time; resolutions unanswered for 30 days closed"),
    JobSpec(id="daily-certificates", func="schedules.certificates:run",
            cron={"hour": "5", "minute": "50"}, catch_up=True,
            name="Liaisons told of certificates expiring in 90 and in 30 days"),
    JobSpec(id="daily-bulletins", func="schedules.bulletins:run",
            cron={"hour": "5", "minute": "55"},
            name="Service bulletins whose compliance falls due within 7 days"),
]


def register_jobs(scheduler: BaseScheduler, app: Flask, *, catch_up: bool = False) -> None:
    """Add every job in JOBS to `scheduler` (not yet started), keeping stored run times;
    with `catch_up`, the jobs marked so are also due now."""
    runtime.bind(app)
    # The default store is started early so its stored jobs can be read before start();
    # start() starts it again, which is harmless for the memory and SQLAlchemy stores.
    store = scheduler._jobstores["default"]  # noqa: SLF001
    store.start(scheduler, "default")
    for spec in JOBS:
        trigger = CronTrigger(timezone=scheduler.timezone, **spec.cron)
        stored = store.lookup_job(spec.id)
        keep: dict[str, Any] = {}
        if stored is not None and repr(stored.trigger) == repr(trigger):
            keep["next_run_time"] = stored.next_run_time
        if catch_up and spec.catch_up and (stored is None or stored.next_run_time is not None):
            now = datetime.now(scheduler.timezone)
            keep["next_run_time"] = min(keep.get("next_run_time") or now, now)
        scheduler.add_job("schedules.runtime:run_job", trigger, id=spec.id, name=spec.name,
                          kwargs={"job": spec.func, **spec.kwargs},
                          replace_existing=True, **keep)


def run_daily_jobs(app: Flask) -> list[str]:
    """Every daily job once, now, in the order of its hour, as the scheduler runs them of a
    morning, but nothing is sent by SMTP (the reminders' job only writes the outbox): the
    demo's first morning (`seed-demo`), so that its people find what those jobs tell them.
    Returns the jobs' ids."""
    daily = sorted((spec for spec in JOBS if "day" not in spec.cron),
                   key=lambda spec: (int(spec.cron["hour"]), int(spec.cron["minute"])))
    for spec in daily:
        kwargs = {**spec.kwargs, **({"deliver": False} if "deliver" in spec.kwargs else {})}
        ref_to_obj(spec.func)(app, **kwargs)
    return [spec.id for spec in daily]
