"""Fixtures: an app per database backend, a clean database per test, users and a small world.

Every test runs on SQLite; when TEST_DATABASE_URL names a PostgreSQL database it runs there
too (the `backend` parameter), otherwise the PostgreSQL half is skipped.

Each test starts from a known database state, and its writes are real commits (the code under
test opens its own sessions and connections from the engine, in threads and subprocesses too,
so no outer transaction could hold them all). On SQLite that state is put back with SQLite's
backup API from a copy in memory, taken once per run: the empty migrated schema, `world`, and
`full_world` (building the world cost 0.3-2 s a test; a restore costs milliseconds). On
PostgreSQL every table is emptied and the world is built again.
"""

from __future__ import annotations

import copy
import os
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import SQLModel

from service import create_app
from service.core import token_use
from service.core.config import engine_url
from service.core.db import get_engine, session_scope
from tests import factories

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 at its minimum cost: the tests check behaviour, not hashing strength."""
    from argon2 import PasswordHasher

    from service.domain import identity

    saved = identity._hasher
    identity._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)  # its dummy hash too
    yield
    identity._hasher = saved


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(engine_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    if not PG_URL.startswith("postgres"):
        pytest.skip("PostgreSQL: set TEST_DATABASE_URL to run these")
    url = _worker_database(PG_URL)
    _reset_postgres(url)
    return url


def _worker_database(url: str) -> str:
    """Under pytest-xdist (`make test` runs two workers) each worker has its own PostgreSQL
    database beside TEST_DATABASE_URL's, `<name>_gw0`, `<name>_gw1`…, created when missing."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = sa.make_url(url)
    name = f"{base.database}_{worker}"
    server = sa.create_engine(engine_url(url), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    server.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def base_app(database_url: str) -> Iterator[Flask]:
    from service.core.migrate import upgrade

    # HQ_REPORT_LANGUAGE defaults to Korean; the report tests read the English wording (the
    # Korean report: tests/test_i18n_reports.py).
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret",
                      "HQ_REPORT_LANGUAGE": "en"})
    upgrade(app)
    yield app
    get_engine(app).dispose()


def clean(engine: sa.Engine) -> None:
    """Empty every table (a fresh database state for each test)."""
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                conn.execute(table.delete())


class Snapshots:
    """Copies of a SQLite database in memory (SQLite's backup API), put back before a test."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.kept: dict[str, tuple[sqlite3.Connection, Any]] = {}

    def take(self, name: str, extra: Any = None) -> None:
        copy_ = sqlite3.connect(":memory:", check_same_thread=False)
        with sqlite3.connect(self.path, timeout=60) as source:
            source.backup(copy_)
        source.close()
        self.kept[name] = (copy_, extra)

    def restore(self, name: str) -> Any:
        """Put the database back as it was when `name` was taken; that snapshot's `extra`."""
        copy_, extra = self.kept[name]
        target = sqlite3.connect(self.path, timeout=60)
        try:
            copy_.backup(target)
        finally:
            target.close()
        return extra

    def state(self, name: str, build: Callable[[], Any]) -> Any:
        """Restore `name`, or build it (from the state restored before) and keep it."""
        if name in self.kept:
            return self.restore(name)
        extra = build()
        self.take(name, extra)
        return extra


@pytest.fixture(scope="session")
def snapshots(base_app: Flask) -> Snapshots | None:
    """SQLite's snapshots of this run (None on PostgreSQL)."""
    engine = get_engine(base_app)
    if engine.dialect.name != "sqlite":
        return None
    kept = Snapshots(str(engine.url.database))
    kept.take("empty")
    return kept


@pytest.fixture
def app(base_app: Flask, snapshots: Snapshots | None) -> Iterator[Flask]:
    if snapshots is not None:
        get_engine(base_app).dispose()  # no pooled connection keeps a view of the old state
        snapshots.restore("empty")
    else:
        clean(get_engine(base_app))
    # What a worker remembers of the data goes with it: the tokens whose use it noted (a
    # restored world has the same tokens again, but not their noted use).
    base_app.extensions.pop(token_use.NOTED, None)
    yield base_app


@pytest.fixture
def engine(app: Flask) -> sa.Engine:
    return get_engine(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db(engine: sa.Engine) -> Iterator[Any]:
    """A writing session for arranging data (commits at the end of the block)."""
    with session_scope(engine, actor=(None, "test")) as session:
        yield session


def own_world(kept: factories.World, app: Flask, engine: sa.Engine) -> factories.World:
    """A test's own copy of a kept world (tests add ids to theirs)."""
    return factories.World(ids=copy.deepcopy(kept.ids), tokens=dict(kept.tokens), engine=engine, app=app)


@pytest.fixture
def world(app: Flask, engine: sa.Engine, snapshots: Snapshots | None) -> factories.World:
    """Two buyer countries (PL, NO), their contracts and units, and a user of every role."""
    if snapshots is None:
        w = factories.build_world(engine)
        w.app = app
        return w
    return own_world(snapshots.state("world", lambda: factories.build_world(engine)), app, engine)


@pytest.fixture
def full_world(app: Flask, world: factories.World, snapshots: Snapshots | None) -> factories.World:
    """`world` plus Norway's answered survey and the corrective action it opened."""
    if snapshots is None:
        factories.add_norway_survey(app, world)
        return world

    def build() -> factories.World:
        factories.add_norway_survey(app, world)
        return world

    return own_world(snapshots.state("full_world", build), app, world.engine)


def rows(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608


class QueryCounter:
    """Counts the SQL statements an engine executes inside a `with` block."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's explicit BEGIN is not a query
            self.statements.append(statement)

    def __enter__(self) -> QueryCounter:
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_: Any) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def fast_render(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Reports render a tiny stand-in PDF (tests of scheduling and locking, not of layout)."""
    import time

    from service.domain import pdf, reports

    calls: list[str] = []

    def render(template: str, data: dict[str, Any]) -> pdf.RenderedPdf:
        calls.append(template)
        time.sleep(0.05)  # long enough for concurrent generators to overlap
        return pdf.RenderedPdf(pdf=f"%PDF-stand-in {template} r{data['revision']}".encode(), pages=1)

    monkeypatch.setattr(reports, "render_document", render)
    return calls
