"""Errors the rules raise; the HTTP layer answers each with its status (service.core.statuses)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule refused the request; `errors` maps field names to messages."""

    def __init__(self, message: str, errors: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.extra = extra


class Invalid(DomainError):
    """The values break a rule."""


class Conflict(DomainError):
    """The request clashes with the current state (a booking, a lifecycle move)."""


class Unavailable(DomainError):
    """Something the request needs failed for now (rendering, a resource): worth a retry."""


class NotFound(DomainError):
    """What the request names does not exist (or is not the caller's to see)."""


class Forbidden(DomainError):
    """The caller may see the record but not do this to it (a liaison writing a staff note)."""


class TooLarge(DomainError):
    """What was sent is past a size limit (an attachment)."""
