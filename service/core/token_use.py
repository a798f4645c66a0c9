"""When each API token was last used, written cheaply: at most once per few minutes per token.

A read must not become a write each time. Each worker remembers when it last wrote a token's
use and writes again only `TOKEN_LAST_USE_MINUTES` later; the write itself (one upsert of
`api_token_use`, in its own short transaction) also changes nothing when another worker or
host wrote a recent enough time. The table is bookkeeping, apart from the token itself.
A failure to write (a locked or absent database) never fails the request that used the token.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

import sqlalchemy as sa
from flask import Flask

from models import ApiToken, ApiTokenUse, utcnow
from service.core.db import get_engine, writer

NOTED = "k_sustain_token_use"
NOTED_MAX = 4096
log = logging.getLogger(__name__)
_use: sa.Table = ApiTokenUse.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__
_token: sa.Table = ApiToken.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__


def note_use(app: Flask, token_hash: str) -> None:
    """Record that the token with this hash was used now (unless that was noted recently)."""
    every = dt.timedelta(minutes=app.config["TOKEN_LAST_USE_MINUTES"])
    noted: dict[str, float] = app.extensions.setdefault(NOTED, {})
    clock = time.monotonic()
    if clock - noted.get(token_hash, -1e18) < every.total_seconds():
        return
    if len(noted) >= NOTED_MAX:
        noted.clear()
    noted[token_hash] = clock
    engine = get_engine(app)
    now = utcnow()
    from sqlalchemy.dialects import postgresql, sqlite  # the one in use is loaded by now

    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(_use).from_select(
        ["token_id", "last_used_at"],
        sa.select(_token.c.id, sa.literal(now, ApiTokenUse.__table__.c.last_used_at.type))  # type: ignore[attr-defined]  # SQLModel does not declare __table__
        .where(_token.c.token_hash == token_hash))
    stmt = stmt.on_conflict_do_update(
        index_elements=["token_id"], set_={"last_used_at": stmt.excluded.last_used_at},
        where=_use.c.last_used_at < now - every)
    try:
        with writer(engine).begin() as conn:
            conn.execute(stmt)
    except sa.exc.SQLAlchemyError as exc:
        log.info("token use not recorded: %s", exc.__class__.__name__)
