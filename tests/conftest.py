"""Fixtures: an app per database backend, a clean database per test, users and a small world.

Every test runs on SQLite; when TEST_DATABASE_URL names a PostgreSQL database it runs there
too (the `backend` parameter), otherwise the PostgreSQL half is skipped.

Each test starts from a known database state, and its writes are real commits (the code under
test opens its own sessions and connections from the engine, in threads and subprocesses too,
so no outer transaction could hold them all, and a test's rollback could not undo them). That
state is put back from a copy taken once per run and worker: the empty migrated schema,
`world`, and `full_world` (building the world cost 0.3-2 s a test; a restore costs
milliseconds). On SQLite the copy is SQLite's backup API into memory; on PostgreSQL it is the
rows of every table and the value of every sequence, put back by one TRUNCATE, one multi-row
INSERT per table and `setval`, in one transaction.
"""

from __future__ import annotations

import copy
import datetime as dt
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


# The longest modules (`--durations`: the state machine a quarter of the suite's time, the
# generated attacks a sixth), then the other modules with slow tests, start first: with
# `--dist loadfile` a module goes to the next free worker, so a long one taken last kept one
# worker busy while the other had finished. (`make test` passes `--no-loadscope-reorder`:
# pytest-xdist's default order, most tests first, put these two, with two and six tests, last.)
LONGEST_FIRST = ("test_state_machine.py", "test_api_attacks.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    slow = {item.path.name for item in items if item.get_closest_marker("slow")}

    def rank(item: pytest.Item) -> int:
        name = item.path.name
        if name in LONGEST_FIRST:
            return LONGEST_FIRST.index(name)
        return len(LONGEST_FIRST) + (0 if name in slow else 1)

    items.sort(key=rank)  # stable: each module's tests keep their order


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


# A worker's database, application and kept states per backend, built once. Pytest tears a
# session fixture down when its parameter changes, and it orders each module's SQLite tests
# before its PostgreSQL ones (skipped when TEST_DATABASE_URL is unset): without this every
# module migrated a new database, built a new application and the world again (4-13 s each).
_BACKENDS: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="session", autouse=True)
def _close_backends() -> Iterator[None]:
    yield
    for kept in _BACKENDS.values():
        if "app" in kept:
            get_engine(kept["app"]).dispose()
    _BACKENDS.clear()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgresql" and not PG_URL.startswith("postgres"):
        pytest.skip("PostgreSQL: set TEST_DATABASE_URL to run these")
    kept = _BACKENDS.setdefault(request.param, {})
    if "url" not in kept:
        if request.param == "sqlite":
            kept["url"] = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        else:
            kept["url"] = _commits_unflushed(_worker_database(PG_URL))
            _reset_postgres(kept["url"])
    return str(kept["url"])


def _commits_unflushed(url: str) -> str:
    """`url` with its sessions committing without waiting for the WAL to reach the disk
    (`synchronous_commit=off`, as the SQLite tests' WAL with synchronous=NORMAL): what other
    sessions see, and when, is unchanged, and the servers and jobs the tests start and kill
    connect with it too; only a crash of the PostgreSQL server itself could lose the last
    commits, and no test crashes it. A commit waited for an fsync, thousands of times a run."""
    options = {"options": "-c synchronous_commit=off"}
    return sa.make_url(url).update_query_dict(options).render_as_string(hide_password=False)


def _kept(url: str) -> dict[str, Any]:
    return next(kept for kept in _BACKENDS.values() if kept.get("url") == url)


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
def base_app(database_url: str) -> Flask:
    from service.core.migrate import upgrade

    kept = _kept(database_url)
    if "app" not in kept:
        # HQ_REPORT_LANGUAGE defaults to Korean; the report tests read the English wording (the
        # Korean report: tests/test_i18n_reports.py).
        kept["app"] = create_app({"DATABASE_URL": database_url, "TESTING": True,
                                  "SECRET_KEY": "test-secret", "HQ_REPORT_LANGUAGE": "en"})
        upgrade(kept["app"])
    app: Flask = kept["app"]
    return app


# PostgreSQL's sequences in the test schema, and putting them where a state had them.
_SEQUENCES = sa.text("SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences"
                     " WHERE schemaname = current_schema()")
_SETVAL = sa.text("SELECT count(setval(s, v, c)) FROM unnest(CAST(:s AS text[]), CAST(:v AS bigint[]),"
                  " CAST(:c AS boolean[])) AS t(s, v, c)")


def _empty(conn: sa.Connection) -> None:
    """Delete every row, children first. DELETE, not TRUNCATE: on these small tables TRUNCATE
    replaces each table's files and syncs them at commit (1.7 s for the 48 tables on a busy
    machine against 70 ms). On PostgreSQL the DELETEs go as one script, in one round trip
    (psycopg sends a statement without parameters as a simple query, several at once)."""
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    if conn.dialect.name == "postgresql":
        script = "; ".join(str(table.delete().compile(dialect=conn.dialect)) for table in tables)
        conn.exec_driver_sql(script)
        return
    for table in tables:
        conn.execute(table.delete())


def _set_sequences(conn: sa.Connection, sequences: list[Any]) -> None:
    """Each sequence back to its value (None: never used, the next value is 1)."""
    if sequences:
        conn.execute(_SETVAL, {"s": [name for name, _ in sequences],
                               "v": [value or 1 for _, value in sequences],
                               "c": [value is not None for _, value in sequences]})


def clean(engine: sa.Engine) -> None:
    """Empty every table, PostgreSQL's sequences restarted (a fresh database state)."""
    with engine.begin() as conn:
        _empty(conn)
        if engine.dialect.name == "postgresql":
            _set_sequences(conn, [(name, None) for name, _ in conn.execute(_SEQUENCES)])


class Snapshots:
    """Copies of the test database's states, put back before a test (one kind per backend)."""

    kept: dict[str, Any]

    def take(self, name: str, extra: Any = None) -> None:
        raise NotImplementedError

    def restore(self, name: str) -> Any:
        raise NotImplementedError

    def state(self, name: str, build: Callable[[], Any]) -> Any:
        """Restore `name`, or build it (from the state restored before) and keep it."""
        if name in self.kept:
            return self.restore(name)
        extra = build()
        self.take(name, extra)
        return extra


class SqliteSnapshots(Snapshots):
    """Copies of a SQLite database in memory (SQLite's backup API)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.path = str(engine.url.database)
        self.kept = {}  # name: (the copy, extra)

    def take(self, name: str, extra: Any = None) -> None:
        copy_ = sqlite3.connect(":memory:", check_same_thread=False)
        with sqlite3.connect(self.path, timeout=60) as source:
            source.backup(copy_)
        source.close()
        self.kept[name] = (copy_, extra)

    def restore(self, name: str) -> Any:
        """Put the database back as it was when `name` was taken; that snapshot's `extra`."""
        copy_, extra = self.kept[name]
        self.engine.dispose()  # no pooled connection keeps a view of the old state
        target = sqlite3.connect(self.path, timeout=60)
        try:
            # No fsync for a state a test puts back (the pages' own connections commit with
            # synchronous=NORMAL, which in WAL mode syncs at checkpoints alone): one fewer disk
            # flush before every test, the one that costs most on a slow disk.
            target.execute("PRAGMA synchronous=OFF")
            copy_.backup(target)
        finally:
            target.close()
        return extra


class PostgresSnapshots(Snapshots):
    """The rows of every table and the sequences' values, kept in memory, put back in one
    transaction: rows deleted, one multi-row INSERT per table, the sequences set (no pooled
    connection needs closing: PostgreSQL's other sessions see the committed state)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.kept = {}  # name: ([(table, rows)], [(sequence, last value)], extra)

    def take(self, name: str, extra: Any = None) -> None:
        with self.engine.connect() as conn:
            data = [(t, [dict(row._mapping) for row in conn.execute(t.select())])
                    for t in SQLModel.metadata.sorted_tables]  # parents before children
            sequences = list(conn.execute(_SEQUENCES))
        self.kept[name] = ([(t, rows) for t, rows in data if rows], sequences, extra)

    def restore(self, name: str) -> Any:
        data, sequences, extra = self.kept[name]
        with self.engine.begin() as conn:
            _empty(conn)
            for table, rows in data:
                conn.execute(table.insert(), rows)
            _set_sequences(conn, sequences)
        return extra


@pytest.fixture(scope="session")
def snapshots(base_app: Flask) -> Snapshots:
    """This run's (this worker's) copies of the database states, taken when first built."""
    engine = get_engine(base_app)
    kept_states = _kept(base_app.config["DATABASE_URL"])
    if "snapshots" in kept_states:
        known: Snapshots = kept_states["snapshots"]
        return known
    kept: Snapshots
    if engine.dialect.name == "sqlite":
        kept = SqliteSnapshots(engine)
    else:
        kept = PostgresSnapshots(engine)
        clean(engine)  # as each test found it before: no row, not even a migration's
    kept.take("empty")
    kept_states["snapshots"] = kept
    return kept


@pytest.fixture
def app(base_app: Flask, snapshots: Snapshots) -> Iterator[Flask]:
    snapshots.restore("empty")
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
def world(app: Flask, engine: sa.Engine, snapshots: Snapshots) -> factories.World:
    """Two buyer countries (PL, NO), their contracts and units, and a user of every role."""
    return own_world(snapshots.state("world", lambda: factories.build_world(engine)), app, engine)


@pytest.fixture
def full_world(app: Flask, world: factories.World, snapshots: Snapshots) -> factories.World:
    """`world` plus Norway's answered survey and the corrective action it opened."""

    def build() -> factories.World:
        factories.add_norway_survey(app, world)
        return world

    return own_world(snapshots.state("full_world", build), app, world.engine)


DEMO_DAY = dt.date(2026, 6, 15)


@pytest.fixture
def demo_small(app: Flask, engine: sa.Engine, snapshots: Snapshots) -> str:
    """The small demo data set as `make run` seeds it, as of DEMO_DAY: seeded once per worker
    and database, then put back from its snapshot (a seed is 1-3 s; seven modules read it)."""
    from service.domain import demo

    summary: str = snapshots.state("demo_small", lambda: demo.seed(engine, size="small", today=DEMO_DAY))
    return summary


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
