"""A fixed-window rate limit on sign-in, its counters in the database so every process shares them.

Behind a load balancer each request may reach another gunicorn worker or host; a counter
kept in memory would let an attacker multiply their attempts by the number of processes.
The counters therefore live in the `rate_limit` table (key, window start, count), bumped by
one atomic upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, on SQLite and PostgreSQL
alike) in its own short transaction, so a refused or failed sign-in still counts.

Each attempt counts against the client address and against the e-mail it names (hashed,
so the table holds no addresses), and a successful one is taken off again (`forgive_sign_in`):
`LOGIN_RATE_LIMIT = "N/S"` allows N failed attempts per S seconds per key; over it, the answer
is 429 with `Retry-After`, and the refusal is audited.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable

import sqlalchemy as sa
from flask import Flask, current_app, g, request
from flask_smorest import abort

from models import RateLimit
from service.core.db import get_engine, writer

# (endpoint, method) pairs under the sign-in limit: the API's token exchange and the web form.
LIMITED = frozenset({("auth.TokenIssue", "POST"), ("web.login", "POST")})

COUNTED = "sign_in_window"  # on `g`: the window start a sign-in attempt was counted in
_table = RateLimit.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__


def is_limited(endpoint: str | None, method: str) -> bool:
    return (endpoint, method) in LIMITED


def parse_limit(text: str) -> tuple[int, int]:
    """`"10/300"` -> (10 attempts, 300 seconds); `"0/…"` turns the limit off."""
    count, _, seconds = text.partition("/")
    limit, window = int(count), int(seconds or 60)
    if limit < 0 or window <= 0:
        raise ValueError(f"LOGIN_RATE_LIMIT must look like 10/300, not {text!r}")
    return limit, window


def hit(engine: sa.Engine, keys: Iterable[str], *, limit: int, window: int,
        now: float | None = None) -> int | None:
    """Count one attempt for each key; the seconds to wait if any key is over `limit`, else None."""
    now = time.time() if now is None else now
    start = int(now // window * window)
    from sqlalchemy.dialects import postgresql, sqlite  # the one in use is loaded by now

    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    over = False
    with writer(engine).begin() as conn:
        conn.execute(sa.delete(_table).where(_table.c.window_start < start))
        for key in keys:
            stmt = (
                insert(_table)
                .values(key=key[:128], window_start=start, count=1)
                .on_conflict_do_update(index_elements=["key", "window_start"],
                                       set_={"count": _table.c.count + 1})
                .returning(_table.c.count)
            )
            over = conn.execute(stmt).scalar_one() > limit or over
    return max(1, int(start + window - now + 0.999)) if over else None


def _attempted_email() -> str | None:
    body = request.get_json(silent=True) if request.is_json else None
    value = body.get("email") if isinstance(body, dict) else request.form.get("email")
    return value.strip().lower()[:254] if isinstance(value, str) and value.strip() else None


def _keys() -> list[str]:
    """The counters a sign-in attempt counts against: its address and the e-mail it names."""
    keys = [f"ip:{request.remote_addr or '?'}"]
    email = _attempted_email()
    if email:
        keys.append("email:" + hashlib.sha256(email.encode()).hexdigest())
    return keys


def forgive_sign_in() -> None:
    """After a sign-in that succeeded: take its attempt off the counters, so only failed ones
    add up (an office behind one address signs in as often as it likes; guesses still stop)."""
    start = g.pop(COUNTED, None)  # the window this request's attempt was counted in
    if start is None:  # no limit applied to it
        return
    with writer(get_engine(current_app)).begin() as conn:
        conn.execute(sa.update(_table).where(_table.c.key.in_([k[:128] for k in _keys()]),
                                             _table.c.window_start == start, _table.c.count > 0)
                     .values(count=_table.c.count - 1))


def limit_sign_in() -> None:
    """Before every request: refuse a sign-in attempt over the limit with 429 and Retry-After."""
    if not is_limited(request.endpoint, request.method):
        return
    limit, window = parse_limit(current_app.config["LOGIN_RATE_LIMIT"])
    if limit == 0:
        return
    now = time.time()
    retry_after = hit(get_engine(current_app), _keys(), limit=limit, window=window, now=now)
    g.setdefault(COUNTED, int(now // window * window))
    if retry_after is not None:
        from service.core.auth import record_denied

        record_denied(reason="too many sign-in attempts", status=429, entity="auth")
        abort(429, message=f"Too many sign-in attempts; retry in {retry_after} s",
              headers={"Retry-After": str(retry_after)})


def init_app(app: Flask) -> None:
    parse_limit(app.config["LOGIN_RATE_LIMIT"])  # fail at start on a malformed setting
    app.before_request(limit_sign_in)
