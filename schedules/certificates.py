"""Daily job: liaisons told of their country's certificates expiring in 90 and in 30 days.

Idempotent: the outbox keys each message by certificate, threshold and liaison, and on
PostgreSQL the job holds an advisory lock, so running it twice tells once.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Flask

from service.core.db import get_engine, session_scope
from service.domain import outbox
from service.domain.training import reminders

log = logging.getLogger(__name__)


def run_certificate_reminders(app: Flask, *, today: dt.date | None = None) -> int:
    """One daily pass; returns how many messages were new."""
    today = today or dt.datetime.now(dt.UTC).date()
    with session_scope(get_engine(app), actor=(None, "scheduler")) as session:
        outbox.job_lock(session, "certificates:daily")
        made = reminders.notify_expiring(session=session, today=today)
    log.info("certificates: %d expiry reminders", made)
    return made


def run(app: Flask) -> None:
    """The scheduled entry point: the daily pass over the certificates."""
    run_certificate_reminders(app)
