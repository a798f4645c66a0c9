"""The outbox: notifications are written once (by key) and sent by SMTP when it is configured.

Without SMTP_HOST they stay unsent and readable (`GET /api/v1/notifications`); nothing is lost.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Any

from flask import Flask
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from models import Notification, utcnow
from service.db import get_engine, session_scope

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
BATCH = 200


def enqueue(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert notifications whose `key` is new (INSERT ... ON CONFLICT DO NOTHING); returns how many.

    Running twice, or in two processes at once, writes each key once.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    values = [{"created_at": now, "attempts": 0, "data": None, "user_id": None,
               "country_code": None, **row} for row in rows]
    stmt = (insert(Notification).values(values)
            .on_conflict_do_nothing(index_elements=["key"]).returning(Notification.id))
    return len(session.execute(stmt).all())


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
                .where(Notification.sent_at.is_(None), Notification.attempts < MAX_ATTEMPTS)
                .order_by(Notification.id).limit(BATCH))
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

