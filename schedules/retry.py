"""A job's step that meets a locked database waits and tries again, instead of failing the run.

SQLite has one write lock; a writer waits for it up to the busy timeout (15 s), and longer
holds than that (a report rendered under the lock, before that was fixed) used to crash the
daily survey job with `database is locked`. PostgreSQL answers a lock or serialisation
conflict (55P03, 40001, 40P01) the same way. Every step here is its own transaction and
idempotent, so running it again after a rollback is safe.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

log = logging.getLogger(__name__)
T = TypeVar("T")
ATTEMPTS = 5
FIRST_PAUSE_S = 1.0  # doubled after each failure: 1, 2, 4, 8 s (with the busy timeouts, minutes)
_LOCK_STATES = {"55P03", "40001", "40P01"}


def locked(exc: BaseException) -> bool:
    """Whether a database error says another transaction holds what this one needs."""
    orig = getattr(exc, "orig", exc)
    return (getattr(orig, "sqlite_errorname", None) in {"SQLITE_BUSY", "SQLITE_LOCKED"}
            or "database is locked" in str(orig) or getattr(orig, "sqlstate", None) in _LOCK_STATES)


def when_locked(what: str, step: Callable[[], T], *, attempts: int = ATTEMPTS,
                pause: float = FIRST_PAUSE_S, sleep: Callable[[float], None] = time.sleep) -> T:
    """`step()`, run again (after a growing pause) while it fails on a lock; other errors, and
    the last attempt's lock error, are raised."""
    for attempt in range(1, attempts + 1):
        try:
            return step()
        except OperationalError as exc:
            if not locked(exc) or attempt == attempts:
                raise
            log.warning("%s: database locked (attempt %d of %d), retrying in %.0f s: %s",
                        what, attempt, attempts, pause, getattr(exc, "orig", exc))
            sleep(pause)
            pause *= 2
    raise AssertionError("unreachable")
