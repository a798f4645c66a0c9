"""The audit trail's list: who changed or was refused what, newest first, with its filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import col, select

from models import AuditEntry
from service.domain.lists import where_given

FILTERS = (("entity", AuditEntry.entity), ("entity_id", AuditEntry.entity_id),
           ("action", AuditEntry.action), ("user_id", AuditEntry.user_id), ("actor", AuditEntry.actor))


def audit_query(query: dict[str, Any]) -> Any:
    """The entries for `query` (an `AuditQuerySchema` load), newest first: the one statement behind
    `GET /api/v1/audit` and the audit page. `since`/`until` are whole UTC days, both included.
    A country administrator's session is scoped: only what accounts did for that country."""
    stmt = where_given(select(AuditEntry).order_by(col(AuditEntry.id).desc()), query, FILTERS)
    if "since" in query:
        stmt = stmt.where(col(AuditEntry.at) >= dt.datetime.combine(query["since"], dt.time(), dt.UTC))
    if "until" in query:
        end = dt.datetime.combine(query["until"] + dt.timedelta(days=1), dt.time(), dt.UTC)
        stmt = stmt.where(col(AuditEntry.at) < end)
    return stmt
