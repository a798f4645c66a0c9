"""Daily job: deficiency reports past a due time are told once per breach (an overdue critical
one opens a corrective action), and resolutions nobody answered in 30 days close themselves.

Idempotent: each breach is stamped on its report and its notifications are keyed, and on
PostgreSQL the job holds an advisory lock, so running it twice (or in two processes) tells once.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Flask

from models import utcnow
from service.core.db import get_engine, session_scope
from service.domain import outbox
from service.domain.deficiencies import breaches, lifecycle

log = logging.getLogger(__name__)


def run_deficiency_jobs(app: Flask, *, now: dt.datetime | None = None) -> dict[str, int]:
    """One daily pass; returns what it did."""
    now = now or utcnow()
    with app.app_context(), session_scope(get_engine(app), actor=(None, "scheduler")) as session:
        outbox.job_lock(session, "deficiencies:daily")
        breached = breaches.notify_breaches(session=session, now=now)
        closed = lifecycle.auto_close(session=session, now=now)
    log.info("deficiencies: %d breaches told, %d closed by themselves", breached, len(closed))
    return {"breaches": breached, "closed": len(closed)}


def run(app: Flask) -> None:
    """The scheduled entry point: the daily pass over the deficiency reports."""
    run_deficiency_jobs(app)
