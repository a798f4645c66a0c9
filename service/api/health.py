"""`GET /health`: is the service up, can it reach its database, and can it write there."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app

from service.core.auth import access
from service.core.db import get_engine
from service.core.errors import failure_reason, storage_full_recently

bp = Blueprint("health", __name__)
_PING: sa.Select[Any] = sa.select(sa.literal_column("1"))
log = logging.getLogger(__name__)


@bp.get("/health")
@access(public=True)
def health() -> Any:
    """Liveness and database reachability (a pooled connection, checked by the pool's own
    pre-ping on PostgreSQL, and one `SELECT 1`). A full disk met by this process within the
    last minute is reported as `storage: full` with 200: reads still work, and no other host
    would do better."""
    try:
        with get_engine(current_app).connect() as conn:
            conn.execute(_PING)
    except sa.exc.SQLAlchemyError as exc:
        log.warning("health: database unavailable (503): %s", failure_reason(exc))
        return {"status": "degraded", "database": "unavailable"}, 503
    if storage_full_recently():
        return {"status": "degraded", "database": "ok", "storage": "full"}
    return {"status": "ok", "database": "ok", "storage": "ok"}

