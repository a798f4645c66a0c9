"""A larger request body for the few views that take files (MAX_CONTENT_LENGTH elsewhere)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import request


def body_limit(limit: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let the decorated view read a body of up to `limit` bytes; past it, 413 unread.

    Flask reads the body only when the view (or its argument parser) first asks for it, so
    setting the request's own limit first is enough (Flask >= 3.1)."""
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            request.max_content_length = limit
            return view(*args, **kwargs)
        return limited
    return decorate
