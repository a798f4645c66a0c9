"""The one map from what went wrong to the HTTP status that answers it, for the API and the pages.

The domain raises its errors without knowing HTTP; the JSON handlers (service.core.errors) and the
HTML error page (service.web.errors) both ask `status_of`.
"""

from __future__ import annotations

from marshmallow import ValidationError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from service.core.db import ScopeViolation
from service.domain.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, TooLarge, Unavailable

STATUSES: tuple[tuple[type[BaseException], int], ...] = (  # the first that matches answers
    (NotFound, 404),
    (Forbidden, 403),
    (TooLarge, 413),
    (Conflict, 409),
    (Invalid, 422),
    (Unavailable, 503),
    (DomainError, 422),  # any other refusal of a rule
    (ValidationError, 422),  # a schema's refusal
    (ScopeViolation, 404),  # another country's row: as if it did not exist
    (StaleDataError, 412),  # someone changed the record first
    (IntegrityError, 409),  # a unique value is taken
    (DataError, 422),  # a value the database cannot store (a number past its range)
    (OverflowError, 422),
    (OperationalError, 503),  # the database is busy or away
)


def status_of(exc: BaseException) -> int:
    """The HTTP status `exc` answers: an HTTP error's own, the table's, else 500."""
    if isinstance(exc, HTTPException):
        return exc.code or 500
    return next((status for cls, status in STATUSES if isinstance(exc, cls)), 500)
