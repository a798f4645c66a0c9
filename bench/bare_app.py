"""The machine's own limits: a bare Flask app answering a small JSON object, and the same app
asking its database one trivial question first (`with_database`): the floor of any answer
that must check with the database, as every signed-in request does."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from flask import Flask

app = Flask(__name__)
ANSWER = {"status": "ok", "items": [1, 2, 3], "name": "bare"}


@app.get("/")
def index() -> dict[str, object]:
    """A small JSON object, like a tiny API answer."""
    return ANSWER


with_database = Flask(__name__ + ".with_database")
_kept: list[Any] = []  # each gunicorn worker imports this module itself: one connection each


def _connection() -> Any:
    if not _kept:
        url = os.environ["DATABASE_URL"]
        if url.startswith("sqlite:///"):
            _kept.append(sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None))
        else:
            import psycopg

            _kept.append(psycopg.connect(url.replace("+psycopg", ""), autocommit=True))
    return _kept[0]


@with_database.get("/")
def index_after_a_query() -> dict[str, object]:
    """The same answer after one `SELECT 1` on a connection the worker keeps."""
    _connection().execute("SELECT 1").fetchone()
    return ANSWER
