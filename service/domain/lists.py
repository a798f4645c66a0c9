"""What every list's query shares: the filters a caller gave, each an equality on a column, and
the order it asked for (`sort`), always ending on the id so that paging never repeats or skips."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Composite:
    """A sort key made of several clauses, built when the list is asked for (say, "upcoming
    first": it depends on the time); it has one direction only (`SortField(one_way=...)`)."""

    clauses: Callable[[], list[Any]]


def where_given(stmt: Any, query: dict[str, Any], filters: Iterable[tuple[str, Any]]) -> Any:
    """`stmt` narrowed by `column == query[key]` for each (key, column) whose key was given."""
    for key, column in filters:
        if key in query:
            stmt = stmt.where(column == query[key])
    return stmt


def sorted_by(stmt: Any, keys: Sequence[str], columns: Mapping[str, Any], *, tie: Any) -> Any:
    """`stmt` ordered by `keys` (names of `columns`, each `-` first for descending; a `SortField`
    load), empty values last on every database, then by `tie` (the id) in the last key's direction."""
    order: list[Any] = []
    descending = False
    for key in keys:
        descending = key.startswith("-")
        column = columns[key.removeprefix("-")]
        if isinstance(column, Composite):
            order.extend(column.clauses())
            descending = False
            continue
        order.append((column.desc() if descending else column.asc()).nulls_last())
    order.append(tie.desc() if descending else tie.asc())
    return stmt.order_by(None).order_by(*order)

