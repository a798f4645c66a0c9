"""The notification outbox (each message once per unique key) and the lock jobs run under."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from models import Notification, Role, User, utcnow


def notify(*, session: Session, messages: list[dict[str, Any]]) -> None:
    """Insert notifications, skipping any whose `key` exists already.

    `INSERT … ON CONFLICT (key) DO NOTHING` on both engines, so two jobs (or two processes)
    writing the same message at once produce it once, without aborting the transaction.
    """
    if not messages:
        return
    now = utcnow()
    rows = [{"created_at": now, "attempts": 0, **m} for m in messages]
    dialect = session.get_bind().dialect.name
    table = Notification.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    session.execute(insert.on_conflict_do_nothing(index_elements=["key"]), rows)


def liaisons_of(*, session: Session, country_code: str) -> list[User]:
    """The active liaison officers of a country."""
    return list(session.exec(
        select(User).where(User.role == Role.liaison, User.country_code == country_code,
                           User.active.is_(True)).order_by(User.id)  # type: ignore[attr-defined]
    ))


def staff_and_admins(*, session: Session) -> list[User]:
    """Every active staff member and administrator (they receive escalations)."""
    return list(session.exec(
        select(User).where(User.role.in_([Role.staff, Role.admin]),  # type: ignore[attr-defined]
                           User.active.is_(True)).order_by(User.id)  # type: ignore[attr-defined]
    ))


def job_lock(session: Session, name: str) -> None:
    """On PostgreSQL, a transaction-level advisory lock: one process runs a job step at a time.

    SQLite needs none: job sessions begin IMMEDIATE, which already serializes writers.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})
