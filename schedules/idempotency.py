"""The daily clean-up of `Idempotency-Key` answers past their 24 hours."""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger(__name__)


def run(app: Flask) -> int:
    """The scheduled entry point: delete the expired keys; how many."""
    from service.core import idempotency
    from service.core.db import get_engine

    deleted = idempotency.delete_expired(get_engine(app))
    log.info("idempotency keys: %d expired deleted", deleted)
    return deleted
