"""Answers kept until the data under them changes: the read cache of the busiest GET endpoints.

A view marked `@cached` has its 200 answers kept in this process, keyed by what decides
their content: the endpoint, the caller's role and country scope (from `service.auth`, the
one scoping point: a liaison's key holds their country, so no answer crosses countries), the
path and the query string. An answer is served again only while the database's data
revision (`service.revision`) is the one it was computed under, and, for answers that
depend on the clock, until the time the view gave with `valid_until`. The revision is read
when the caller is signed in (`service.auth`: with the caller's row, or alone for a caller
the worker already knows under it), before the view reads anything: an answer's data is
never older than the revision it is kept under, so a write, from any process or host, is
visible on the next read.

Authentication and the view's access policy run on every request, hit or miss: a revoked
token or a deactivated user is refused at once, whatever was cached.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request

F = TypeVar("F", bound=Callable[..., Any])
KEPT_HEADERS = ("Content-Type", "ETag", "X-Pagination", "Link")
EXTENSION = "k_sustain_read_cache"


def cached(fn: F) -> F:
    """Keep this GET view's answers until the data (or the clock, see `valid_until`) changes."""
    fn._read_cache = True  # type: ignore[attr-defined]
    return fn


def valid_until(moment: dt.datetime) -> None:
    """From a cached view: the answer being made changes at `moment` even if no data does."""
    current = g.get("read_cache_until")
    g.read_cache_until = moment if current is None else min(current, moment)


@dataclass(frozen=True)
class Entry:
    revision: str
    until: dt.datetime | None
    headers: tuple[tuple[str, str], ...]
    body: bytes


class ReadCache:
    """A thread-safe LRU of answers, bounded by the bytes of their bodies."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], revision_: str, now: dt.datetime) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.revision != revision_ or (entry.until is not None and now >= entry.until):
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple[Any, ...], entry: Entry) -> None:
        if len(entry.body) > self.max_bytes // 8:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: tuple[Any, ...]) -> None:
        self._bytes -= len(self._entries.pop(key).body)


def for_app(app: Flask) -> ReadCache:
    return app.extensions[EXTENSION]  # type: ignore[no-any-return]


def _serve_kept() -> Response | None:
    """Before the view (after authentication): answer from the cache, or note the key to keep."""
    if request.method != "GET" or not current_app.config["READ_CACHE"]:
        return None
    principal = g.get("principal")
    if principal is None or not getattr(g.get("view_target"), "_read_cache", False):
        return None
    seen = g.get("data_revision")  # read at sign-in, before the view (service.auth)
    if seen is None:  # no revision row: nothing can be kept safely
        return None
    key = (request.endpoint, principal.role, principal.scope, request.path, request.query_string)
    entry = for_app(current_app).get(key, seen, dt.datetime.now(dt.UTC))  # type: ignore[arg-type]
    if entry is not None:
        return Response(entry.body, 200, list(entry.headers))
    g.read_cache_key = (key, seen)
    return None


def _keep(response: Response) -> Response:
    """After a cached view's fresh answer: keep it if it is a plain, complete 200."""
    noted = g.pop("read_cache_key", None)
    if noted is None or response.status_code != 200 or response.direct_passthrough:
        return response
    if "Set-Cookie" in response.headers:
        return response
    key, seen = noted
    headers = tuple((k, response.headers[k]) for k in KEPT_HEADERS if k in response.headers)
    entry = Entry(seen, g.get("read_cache_until"), headers, response.get_data())
    for_app(current_app).put(key, entry)  # type: ignore[arg-type]
    return response


def init_app(app: Flask) -> None:
    """Register after `service.auth`: the cache is consulted only for an authorised caller."""
    app.extensions[EXTENSION] = ReadCache(int(app.config["READ_CACHE_MB"] * 1024 * 1024))
    app.before_request(_serve_kept)
    app.after_request(_keep)
