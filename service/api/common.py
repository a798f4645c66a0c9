"""Helpers every resource module uses: paging, scoped look-ups, ETag / If-Match."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import request
from flask_smorest import abort
from flask_smorest.pagination import PaginationParameters
from sqlmodel import Session, select

from service.auth import record_denied
from service.db import SCOPE_KEY

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

PAGE = {"page": 1, "page_size": 20, "max_page_size": 100}


def paginate(session: Session, stmt: Any, params: PaginationParameters) -> list[Any]:
    """One page of `stmt`; the total goes to `X-Pagination` through `params`."""
    count = sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    params.item_count = session.scalar(count) or 0
    return list(session.scalars(stmt.limit(params.page_size).offset(params.first_item)))


def get_or_404(session: Session, model: type[T], key: Any) -> T:
    """The row with primary key `key` if the caller may see it; 404 otherwise, alike."""
    pk = sa.inspect(model).primary_key[0]  # type: ignore[union-attr]
    obj = session.exec(select(model).where(pk == key)).first()
    if obj is None:
        _audit_scoped_miss(session, model, key)
        abort(404, message=f"{model.__name__} {key} not found")
    assert obj is not None
    return obj


def _audit_scoped_miss(session: Session, model: type, key: Any) -> None:
    """A country-scoped caller's miss is audited as a refused access, whether the row is
    another country's or does not exist at all: the same work either way, so the time of the
    404 cannot tell a hidden record from a missing one (nothing unscoped is asked on the
    request path). The audit trail keeps the id: whether it existed is for an admin to see."""
    if session.info.get(SCOPE_KEY) is None:
        return
    record_denied(
        reason=f"not found in country {session.info[SCOPE_KEY]}",
        status=404,
        entity=model.__tablename__,  # type: ignore[attr-defined]
        entity_id=str(key)[:64],
    )


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
