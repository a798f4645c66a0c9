"""Helpers every resource module uses: the page sizes, ETag / If-Match (look-ups: service.core.reads)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import request
from webargs.flaskparser import abort  # flask_smorest re-exports it untyped

F = TypeVar("F", bound=Callable[..., Any])

PAGE = {"page": 1, "page_size": 20, "max_page_size": 100}


def etag(obj: Any) -> str:
    return f'"{obj.version}"'


def with_etag(obj: Any, status: int = 200) -> tuple[Any, int, dict[str, str]]:
    """A view's return value carrying the record's ETag."""
    return obj, status, {"ETag": etag(obj)}


IF_MATCH = "k_sustain_takes_if_match"


def takes_if_match(view: F) -> F:
    """Mark a view that calls `check_if_match`: its OpenAPI operation, and only its, lists the
    If-Match header and the 412 / 428 answers (service.api.spec)."""
    setattr(view, IF_MATCH, True)
    return view


def check_if_match(obj: Any) -> None:
    """Refuse a write without `If-Match` (428) or with a stale one (412)."""
    header = request.headers.get("If-Match")
    if not header:
        abort(428, message="Send If-Match with the ETag (or version) from your last read")
    tags = {t.strip().removeprefix("W/").strip('"') for t in header.split(",")}
    if "*" not in tags and str(obj.version) not in tags:
        abort(
            412,
            message="The record changed since you read it; nothing was written",
            errors={"version": [f"current version is {obj.version}"]},
        )
