"""The notification outbox (each message once per unique key), the lock jobs run under, delivery.

Messages are sent by SMTP when SMTP_HOST is configured (`deliver_pending`); without it they stay
unsent and readable (`GET /api/v1/notifications`): nothing is lost.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlmodel import Session, col, select

from models import Notification, Role, User, utcnow
from service.core.db import get_engine, session_scope

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
BATCH = 200


def notify(*, session: Session, messages: list[dict[str, Any]]) -> int:
    """Insert notifications, skipping any whose `key` exists already; returns how many were new.

    `INSERT … ON CONFLICT (key) DO NOTHING` on both engines, so two jobs (or two processes)
    writing the same message at once produce it once, without aborting the transaction.
    """
    if not messages:
        return 0
    now = utcnow()
    rows = [{"created_at": now, "attempts": 0, **m} for m in messages]
    unnamed = {r["user_id"] for r in rows if r.get("user_id") and not r.get("country_code")}
    countries: dict[int, str | None] = {}
    if unnamed:  # a message to a country's account concerns that country
        countries.update(session.execute(sa.select(col(User.id), col(User.country_code))
                                         .where(col(User.id).in_(unnamed))).all())
    for r in rows:  # concerns that country (every row names one or none: one executemany)
        r["country_code"] = r.get("country_code") or countries.get(r.get("user_id") or 0)
    dialect = session.get_bind().dialect.name
    table = Notification.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    from sqlalchemy.dialects import postgresql, sqlite  # the one in use is loaded by now

    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    stmt = insert.on_conflict_do_nothing(index_elements=["key"]).returning(table.c.id)
    return len(session.execute(stmt, rows).all())


def liaisons_of(*, session: Session, country_code: str) -> list[User]:
    """The active liaison officers of a country."""
    return list(session.exec(
        select(User).where(User.role == Role.liaison, User.country_code == country_code,
                           col(User.active).is_(True)).order_by(col(User.id))
    ))


def staff_and_admins(*, session: Session) -> list[User]:
    """Every active staff member and administrator (they receive escalations)."""
    return list(session.exec(
        select(User).where(col(User.role).in_([Role.staff, Role.admin]),
                           col(User.active).is_(True)).order_by(col(User.id))
    ))


def job_lock(session: Session, name: str) -> None:
    """On PostgreSQL, a transaction-level advisory lock: one process runs a job step at a time.

    SQLite needs none: job sessions begin IMMEDIATE, which already serializes writers.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})


def _send(settings: dict[str, Any], note: Notification) -> None:
    message = EmailMessage()
    message["From"] = settings["SMTP_FROM"]
    message["To"] = note.recipient
    message["Subject"] = note.subject
    message.set_content(note.body)
    with smtplib.SMTP(settings["SMTP_HOST"], settings["SMTP_PORT"], timeout=30) as smtp:
        if settings.get("SMTP_USER"):
            smtp.starttls()
            smtp.login(settings["SMTP_USER"], settings.get("SMTP_PASSWORD") or "")
        smtp.send_message(message)


def deliver_pending(app: Flask) -> int:
    """Send unsent notifications by SMTP (when SMTP_HOST is set); returns how many were sent.

    Rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite serializes writers), so
    two processes never send the same message.
    """
    if not app.config.get("SMTP_HOST"):
        return 0
    sent = 0
    with session_scope(get_engine(app), actor=(None, "outbox")) as session:
        stmt = (select(Notification)
                .where(col(Notification.sent_at).is_(None), col(Notification.attempts) < MAX_ATTEMPTS)
                .order_by(col(Notification.id)).limit(BATCH))
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        for note in session.exec(stmt).all():
            note.attempts += 1
            try:
                _send(app.config, note)
            except (OSError, smtplib.SMTPException) as exc:
                note.last_error = str(exc)[:1000]
                log.warning("notification %s not sent: %s", note.key, exc)
                continue
            note.sent_at = utcnow()
            note.last_error = None
            sent += 1
    return sent

