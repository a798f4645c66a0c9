"""Every error as JSON `{"code", "status", "message"?, "errors"?}`; all handlers in one place."""

from __future__ import annotations

import logging
import threading
import time
from http import HTTPStatus
from typing import Any

from flask import Flask, current_app, g, jsonify
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from service.core.auth import record_refusal
from service.core.db import ScopeViolation
from service.core.error_texts import translate_body
from service.core.statuses import status_of
from service.domain.errors import DomainError

log = logging.getLogger(__name__)
STORAGE_FULL_HOLD_S = 60.0  # /health says "full" this long after the last disk-full error
_STORAGE_KEY = "k_sustain_storage_full_at"
_storage_lock = threading.Lock()


def storage_full(exc: BaseException) -> bool:
    """Whether a database error says its disk is full (SQLite's SQLITE_FULL, PostgreSQL's
    53100 disk_full): no retry helps until an operator frees space."""
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlite_errorname", None) == "SQLITE_FULL" or getattr(
        orig, "sqlstate", None) == "53100"


def failure_reason(exc: BaseException) -> str:
    """The driver's one-line message (no SQL, no parameters)."""
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:300]


def database_failure(exc: BaseException) -> tuple[int, str]:
    """The status and message of a database failure, logged as one line (a full disk once per
    episode): an outage is expected, its traceback tells nobody anything."""
    if storage_full(exc):
        extensions = current_app.extensions
        with _storage_lock:
            seen = extensions.get(_STORAGE_KEY)
            now = time.monotonic()
            extensions[_STORAGE_KEY] = now
        if seen is None or now - seen > STORAGE_FULL_HOLD_S:
            log.error("database storage is full: %s; nothing is written until space is freed",
                      failure_reason(exc))
        return 507, ("The database's storage is full; nothing was written. Retry once an operator "
                     "has freed space")
    log.warning("database unavailable (503): %s", failure_reason(exc))
    return 503, "The database is busy or unavailable; retry shortly"


def storage_full_recently() -> bool:
    """Whether this process met a full disk within the last STORAGE_FULL_HOLD_S seconds."""
    seen = current_app.extensions.get(_STORAGE_KEY)
    return seen is not None and time.monotonic() - seen <= STORAGE_FULL_HOLD_S


def error_body(status: int, message: str | None = None, errors: Any = None) -> dict[str, Any]:
    """The JSON error body; `message` and the field errors in the request's language
    (`service.core.error_texts`), the `code`, `status` and field names English."""
    body: dict[str, Any] = {"code": status, "status": HTTPStatus(status).phrase}
    if message:
        body["message"] = message
    if errors:
        body["errors"] = errors
    return translate_body(body)


def _rollback() -> None:
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def _json(status: int, message: str | None = None, errors: Any = None) -> Any:
    _rollback()
    return jsonify(error_body(status, message, errors)), status


def register_error_handlers(app: Flask) -> None:
    """JSON for every failure the API can meet; never a partial write."""

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Any:
        _rollback()
        record_refusal(exc)
        body = error_body(status_of(exc), exc.message, exc.errors)
        body.update(exc.extra)
        return jsonify(body), status_of(exc)

    @app.errorhandler(ScopeViolation)
    def _scope(exc: ScopeViolation) -> Any:
        return _json(status_of(exc), "Not found")

    @app.errorhandler(StaleDataError)
    def _stale(exc: StaleDataError) -> Any:
        return _json(status_of(exc), "The record was changed by someone else; read it again and retry")

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError) -> Any:
        log.info("integrity error: %s", exc.orig)
        return _json(status_of(exc), "Conflicts with an existing record (a unique value is taken)")

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _out_of_range(exc: Exception) -> Any:
        # A value the schema let through but the database cannot store (a number past its
        # integer range): the caller's mistake, never a 500.
        log.info("value out of range: %s", exc)
        return _json(status_of(exc), "A value is out of range for storage")

    @app.errorhandler(OperationalError)
    def _operational(exc: OperationalError) -> Any:
        return _json(*database_failure(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return _json(status_of(exc), exc.description)
        log.exception("unhandled error")
        return _json(status_of(exc), "Internal error")
