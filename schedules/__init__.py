"""Scheduled jobs (SPEC §5): one module per job, and `register_jobs` for the scheduler process.

Jobs are module-level functions that build (or reuse) the application themselves, so a
persistent job store can keep them by reference.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

REMINDERS_HOUR = 6  # in the scheduler's timezone


def _app() -> Flask:
    """The current application, or one built from the environment (in the scheduler process)."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
    global _built
    if _built is None:
        from service import create_app

        _built = create_app()
    return _built


_built: Flask | None = None


def daily_reminders(*, deliver: bool = True) -> int:
    """The daily job: write the service reminders to the outbox, then send what SMTP can."""
    from schedules.reminders import send_service_reminders
    from service.domain.outbox import deliver_pending

    app = _app()
    created = send_service_reminders(app)
    if deliver:
        deliver_pending(app)
    return created


def register_jobs(scheduler: Any, app: Flask) -> None:
    """Add this package's jobs to an APScheduler scheduler (replacing earlier definitions)."""
    scheduler.add_job(daily_reminders, "cron", hour=REMINDERS_HOUR, minute=0, id="daily-reminders",
                      replace_existing=True, kwargs={"deliver": True})
