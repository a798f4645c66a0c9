"""`GET /health`: is the service up, and can it reach its database."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app

from service.auth import access
from service.db import get_engine, lookup

bp = Blueprint("health", __name__)
_PING: sa.Select[Any] = sa.select(sa.literal_column("1"))


@bp.get("/health")
@access(public=True)
def health() -> Any:
    """Liveness and database reachability (one round trip, outside any transaction: load
    balancers ask often)."""
    try:
        lookup(get_engine(current_app), _PING, {})  # type: ignore[arg-type]
    except sa.exc.SQLAlchemyError:
        return {"status": "degraded", "database": "unavailable"}, 503
    return {"status": "ok", "database": "ok"}
