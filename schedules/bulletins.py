"""Daily job: a country whose safety or mandatory bulletin falls due within
`BULLETIN_DUE_SOON_DAYS` (default 7) and still has pending units is told once per due time.

Idempotent: each message is keyed by bulletin, country, due date and recipient, and on
PostgreSQL the job holds an advisory lock, so running it twice (or in two processes) tells once.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Flask

from models import utcnow
from service.core.db import get_engine, session_scope
from service.domain import mail, outbox
from service.domain.bulletins import compliance

log = logging.getLogger(__name__)
DUE_SOON_DAYS = 7


def run_bulletin_jobs(app: Flask, *, now: dt.datetime | None = None) -> dict[str, int]:
    """One daily pass; returns how many messages were new."""
    now = now or utcnow()
    days = int(app.config.get("BULLETIN_DUE_SOON_DAYS", DUE_SOON_DAYS))  # service.core.config
    with session_scope(get_engine(app), actor=(None, "scheduler")) as session:
        outbox.job_lock(session, "bulletins:daily")
        messages = []
        for bulletin, release, pending in compliance.due_soon(session=session, now=now,
                                                               within=dt.timedelta(days=days)):
            due = release.due_at.date().isoformat()
            for user in outbox.liaisons_of(session=session, country_code=release.country_code):
                messages.append({
                    "key": f"bulletin-due:{bulletin.id}:{release.country_code}:{due}:user:{user.id}",
                    "kind": "bulletin_due", "user_id": user.id, "recipient": user.email,
                    "country_code": release.country_code,
                    **mail.render_to(session, user, "bulletin_due", bulletin=bulletin, pending=pending,
                                     due=release.due_at),
                    "data": {"bulletin_id": bulletin.id, "pending": pending}})
        told = outbox.notify(session=session, messages=messages)
    log.info("bulletins: %d due-soon messages", told)
    return {"due_soon": told}


def run(app: Flask) -> None:
    """The scheduled entry point: the daily pass over the bulletins released."""
    run_bulletin_jobs(app)
