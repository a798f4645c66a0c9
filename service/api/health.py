"""`GET /health`: is the service up, and can it reach its database."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app

from service.auth import access
from service.db import get_engine

bp = Blueprint("health", __name__)
_PING: sa.Select[Any] = sa.select(sa.literal_column("1"))


@bp.get("/health")
@access(public=True)
def health() -> Any:
    """Liveness and database reachability (a pooled connection, checked by the pool's own
    pre-ping on PostgreSQL, and one `SELECT 1`)."""
    try:
        with get_engine(current_app).connect() as conn:
            conn.execute(_PING)
    except sa.exc.SQLAlchemyError:
        return {"status": "degraded", "database": "unavailable"}, 503
    return {"status": "ok", "database": "ok"}
