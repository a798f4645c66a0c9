"""`GET /health`: is the service up, and can it reach its database."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint

from service.auth import access
from service.db import get_session

bp = Blueprint("health", __name__)


@bp.get("/health")
@access(public=True)
def health() -> Any:
    """Liveness and database reachability."""
    try:
        get_session().execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return {"status": "degraded", "database": "unavailable"}, 503
    return {"status": "ok", "database": "ok"}
