"""Errors the rules raise; the HTTP layer turns them into 404/409/422 answers."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule refused the request; `errors` maps field names to messages."""

    status = 422

    def __init__(self, message: str, errors: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.extra = extra


class Invalid(DomainError):
    status = 422


class Conflict(DomainError):
    status = 409


class NotFound(DomainError):
    status = 404
