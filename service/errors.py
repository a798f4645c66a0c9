"""Every error as JSON `{"code", "status", "message"?, "errors"?}`; all handlers in one place."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, g, jsonify
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from service.db import ScopeViolation
from service.domain.errors import DomainError
from service.statuses import status_of

log = logging.getLogger(__name__)


def error_body(status: int, message: str | None = None, errors: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": status, "status": HTTPStatus(status).phrase}
    if message:
        body["message"] = message
    if errors:
        body["errors"] = errors
    return body


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
        log.exception("database unavailable")
        return _json(status_of(exc), "The database is busy or unavailable; retry shortly")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return _json(status_of(exc), exc.description)
        log.exception("unhandled error")
        return _json(status_of(exc), "Internal error")
