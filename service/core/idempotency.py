"""`Idempotency-Key` on the API's POSTs: a retry gets the first answer, never a second create.

The IETF httpapi draft's semantics (draft-ietf-httpapi-idempotency-key-header), for every
POST of the API by a signed-in caller, through two hooks (no view has to know):

- a key seen for the first time is reserved (a row committed at once, so every worker and
  host sees it) and the request runs; its answer (status, body, Content-Type, Location,
  ETag) is kept with the key for `IDEMPOTENCY_TTL_HOURS` (24 h). A 5xx answer is not kept:
  the reservation is released, so the client may retry;
- the same key with the same request (method, path, query, body) → the kept answer again,
  marked `Idempotent-Replayed: true`;
- the same key with another request → 422; while the first is still running → 409; when the
  first never finished (its worker was killed past `ABANDONED_AFTER`: the reservation was never
  answered nor released) → 409 that says its outcome is unknown, so the client checks before
  sending it again under a new key instead of retrying a key that can never answer.

Keys belong to the caller (the user, whichever token or session they come with, in the country
they act for): one user can neither replay nor block another's. Anonymous POSTs (sign-in,
public survey answers) take no key: their bodies carry the credential or the survey token that
makes them one-shot. The scheduler's daily job deletes expired keys (`schedules.idempotency`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request
from flask_smorest import abort

from models import IdempotencyKey, utcnow
from service.core.db import get_engine, writer

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEPT_HEADERS = ("Content-Type", "Location", "ETag")
MAX_KEY_LENGTH = 255
# Longer than any request runs: gunicorn kills a worker past its `timeout` (30 s), and a
# request's hooks answer or release its key in every other case.
ABANDONED_AFTER = dt.timedelta(minutes=5)

log = logging.getLogger(__name__)
_table: sa.Table = IdempotencyKey.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__


@dataclass(frozen=True)
class Reserved:
    """The key this request holds while it runs."""

    id: int


def _key() -> str | None:
    """The header's key (a Structured Field string: quotes optional), or None; 400 if malformed."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
        abort(400, message=f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
              errors={HEADER: ["1 to 255 printable ASCII characters"]})
    return key


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.full_path.encode(), request.get_data(cache=True)):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def applies() -> bool:
    return (request.method == "POST" and request.blueprint not in (None, "web")
            and g.get("principal") is not None)


def before() -> Response | None:
    """Reserve the key, or answer from it (replay, 409, 422) without running the view."""
    if not applies():
        return None
    key = _key()
    if key is None:
        return None
    engine = get_engine(current_app)
    # the user in the country they act for: an account moved to another country never
    # replays an answer it was given for the first one
    caller = f"user:{g.principal.user_id}" + (f":{g.principal.scope}" if g.principal.scope else "")
    fingerprint = _fingerprint()
    now = utcnow()
    expires = now + dt.timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    for _attempt in (1, 2):
        try:
            with writer(engine).begin() as conn:
                new_id = conn.execute(
                    sa.insert(_table).values(caller=caller, key=key, fingerprint=fingerprint,
                                             created_at=now, expires_at=expires)
                    .returning(_table.c.id)).scalar_one()
        except sa.exc.IntegrityError:
            pass
        else:
            g.idempotency = Reserved(new_id)
            return None
        with engine.connect() as conn:
            row = conn.execute(sa.select(_table).where(_table.c.caller == caller,
                                                       _table.c.key == key)).first()
        if row is None:
            continue  # released or cleaned up meanwhile: try to reserve it again
        if row.expires_at <= now:
            with writer(engine).begin() as conn:  # an expired key is a new key
                conn.execute(sa.delete(_table).where(_table.c.id == row.id))
            continue
        if row.fingerprint != fingerprint:
            abort(422, message=f"This {HEADER} was used for another request",
                  errors={HEADER: ["already used with another method, path or body"]})
        if row.status is None and row.created_at <= now - ABANDONED_AFTER:
            # the view may or may not have committed: neither replaying nor running it again
            # is safe, so the key stays refused until it expires
            abort(409, message=f"The first request with this {HEADER} did not finish and its outcome "
                               "is unknown: check whether it took effect before sending it again "
                               "with a new key",
                  errors={HEADER: ["the first request with this key never answered"]})
        if row.status is None:
            abort(409, message=f"A request with this {HEADER} is still being processed; retry later",
                  errors={HEADER: ["the first request with this key has not finished"]})
        response = Response(row.body or b"", status=row.status, headers=row.headers or {})
        response.headers[REPLAYED] = "true"
        return response
    abort(409, message=f"A request with this {HEADER} is being processed; retry later")
    return None  # unreachable: abort raises


def after(response: Response) -> Response:
    """Keep the answer with the reserved key (or release the key after a server failure)."""
    reserved: Reserved | None = g.pop("idempotency", None)
    if reserved is None:
        return response
    if "db_session" in g:  # the view is done; free SQLite's write lock for the write below
        g.db_session.rollback()
    engine = writer(get_engine(current_app))
    try:
        with engine.begin() as conn:
            if response.status_code >= 500 or response.is_streamed:
                conn.execute(sa.delete(_table).where(_table.c.id == reserved.id))
            else:
                headers = {k: v for k in KEPT_HEADERS if (v := response.headers.get(k)) is not None}
                conn.execute(sa.update(_table).where(_table.c.id == reserved.id).values(
                    status=response.status_code, headers=headers, body=response.get_data()))
    except sa.exc.SQLAlchemyError:
        # The request's own outcome stands; a retry with this key meets 409 until it expires
        # rather than a second create.
        log.warning("could not keep the answer for idempotency key %s", reserved.id)
    return response


def release(_exc: BaseException | None) -> None:
    """After a request that failed past every error handler: release its key (not its answer)."""
    reserved: Reserved | None = g.pop("idempotency", None)
    if reserved is None:
        return
    try:
        with writer(get_engine(current_app)).begin() as conn:
            conn.execute(sa.delete(_table).where(_table.c.id == reserved.id))
    except sa.exc.SQLAlchemyError:
        log.warning("could not release idempotency key %s; it expires on its own", reserved.id)


def delete_expired(engine: sa.Engine, *, now: dt.datetime | None = None) -> int:
    """Delete the keys past their time; how many (the scheduler's daily job)."""
    with writer(engine).begin() as conn:
        result = conn.execute(sa.delete(_table).where(_table.c.expires_at <= (now or utcnow())))
    return int(result.rowcount or 0)


def init_app(app: Flask) -> None:
    """Register the hooks; call after `service.core.auth.init_app` (the caller must be known)."""
    app.before_request(before)
    app.after_request(after)
    app.teardown_request(release)
