"""Reads every view needs, API and pages alike: one page of a statement, one row or a 404.

Below both `service.api` and `service.web` (a page never imports an API module).
"""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from flask_smorest import abort
from flask_smorest.pagination import PaginationParameters
from sqlmodel import Session, select

from models import Country
from service.core.auth import record_denied
from service.core.db import SCOPE_KEY

T = TypeVar("T")


def paginate(session: Session, stmt: Any, params: PaginationParameters, *, rows: bool = False) -> list[Any]:
    """One page of `stmt` (its first column's objects, or with `rows` its rows); the total goes
    to `X-Pagination` through `params`."""
    count = sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    params.item_count = session.scalar(count) or 0
    page = stmt.limit(params.page_size).offset(params.first_item)
    return list(session.execute(page).all() if rows else session.scalars(page))


def get_or_404(session: Session, model: type[T], key: Any) -> T:
    """The row with primary key `key` if the caller may see it; 404 otherwise, alike."""
    pk = sa.inspect(model).primary_key[0]
    obj = session.exec(select(model).where(pk == key)).first()
    if obj is None:
        _audit_scoped_miss(session, model, key)
        abort(404, message=f"{model.__name__} {key} not found")
    assert obj is not None
    return obj


def country_or_404(session: Session, code: str) -> Country:
    """The country `code` names if the caller may see it; any other string is a 404 alike
    (never sent to the database: PostgreSQL refuses a NUL byte in text)."""
    code = code.upper()
    if not (len(code) == 2 and code.isascii() and code.isalpha()):
        abort(404, message="Country not found")
    return get_or_404(session, Country, code)


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
        entity=model.__tablename__,  # type: ignore[attr-defined]  # a table model, typed as plain type
        entity_id=str(key)[:64],
    )
