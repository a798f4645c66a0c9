"""What every list's query shares: the filters a caller gave, each an equality on a column."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def where_given(stmt: Any, query: dict[str, Any], filters: Iterable[tuple[str, Any]]) -> Any:
    """`stmt` narrowed by `column == query[key]` for each (key, column) whose key was given."""
    for key, column in filters:
        if key in query:
            stmt = stmt.where(column == query[key])
    return stmt
