"""The daily survey job: invitations, reminders after 7 days, expiry after 30, overdue actions.

Every step is idempotent: a second run (or a second process at the same time) finds nothing
left to do, and the outbox's unique keys keep every message single.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from flask import Flask

from models import utcnow
from schedules import retry
from service.core.db import get_engine, session_scope
from service.domain import actions, surveys

log = logging.getLogger(__name__)

Step = Callable[..., int]
STEPS: tuple[tuple[str, Step], ...] = (
    ("created", surveys.create_missing),
    ("expired", surveys.expire_unanswered),
    ("reminded", surveys.send_reminders),
    ("escalated", actions.escalate_overdue),
)


def run_survey_jobs(app: Flask, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Run every step once, each in its own transaction (again, should it meet a locked
    database); returns how many rows each touched."""
    now = now or utcnow()
    done: dict[str, int] = {}
    with app.app_context():
        engine = get_engine(app)
        for name, step in STEPS:

            def once(step: Step = step) -> int:
                with session_scope(engine, actor=(None, "scheduler")) as session:
                    return step(session=session, now=now)

            done[name] = retry.when_locked(f"survey job {name}", once)
    log.info("survey jobs at %s: %s", now.isoformat(), done)
    return done


def run(app: Flask) -> None:
    """The scheduled entry point: the daily survey job."""
    done = run_survey_jobs(app)
    log.info("survey jobs: %s", done)
