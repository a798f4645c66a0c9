"""The daily clean-up of `Idempotency-Key` answers past their 24 hours."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def run() -> int:
    """The scheduled entry point (stored by reference): delete the expired keys; how many."""
    from schedules import runtime
    from service import idempotency
    from service.db import get_engine

    deleted = idempotency.delete_expired(get_engine(runtime.app()))
    log.info("idempotency keys: %d expired deleted", deleted)
    return deleted
