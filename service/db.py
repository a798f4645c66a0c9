"""Engine, per-request session, and the two rules every session enforces.

1. Country scoping (the one scoping point): a session whose `info["country_scope"]` holds a
   country code sees only that country's rows, in every ORM SELECT, join, subquery,
   aggregate, relationship load, UPDATE and DELETE, and cannot flush a row of another
   country. `service.auth` sets the scope for a liaison; nothing else needs to remember it.
   Such a session sees no staff-only row either (`StaffOnlyRows`: internal notes), and
   cannot write one.
2. Audit: every INSERT, UPDATE and DELETE flushed through a session is written to the
   audit trail in the same transaction, with the actor kept in `info["actor"]`.
"""

from __future__ import annotations

import collections
import datetime as dt
import decimal
import enum
import functools
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from models import AuditEntry, Country, CountryScoped, StaffOnlyRows

SCOPE_KEY = "country_scope"
ACTOR_KEY = "actor"
REDACTED = {"password_hash", "token_hash", "feed_token_hash", "token"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
PING_AFTER_IDLE_S = 10.0
AUTOCOMMIT = "k_sustain_autocommit"


class ScopeViolation(Exception):
    """A scoped session tried to write a row of another country."""


def make_engine(url: str, *, busy_timeout_ms: int = 15000, echo: bool = False,
                ping_after_idle_s: float = PING_AFTER_IDLE_S) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout, foreign keys, explicit BEGIN."""
    if not url.startswith("sqlite"):
        engine = sa.create_engine(url, echo=echo, future=True)
        _ping_when_idle(engine, ping_after_idle_s)
        return engine
    engine = sa.create_engine(
        url, echo=echo, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        if ":memory:" not in url and url != "sqlite://":
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A writer takes the write lock at BEGIN, so two writers queue on the busy
        # timeout instead of deadlocking on a read-to-write upgrade.
        options = conn.get_execution_options()
        if options.get(AUTOCOMMIT, False):
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("sqlite_immediate", False) else "BEGIN")

    return engine


_kept = threading.local()


def lookup(engine: Engine, statement: sa.Select[Any], params: dict[str, Any]) -> Any:
    """The first row of a small read, outside any transaction (no BEGIN, nothing held): for
    the look-up every request starts with (the caller's token). The row is a named tuple.

    It runs on the driver's own cursor, compiled once (`DriverStatement`): SQLAlchemy's
    per-execution work cost more client time than the query. A process's main thread (a
    gunicorn sync worker) keeps its connection for such reads, since checking a pooled one out
    and in cost more still; other threads (which a threaded server may start per request)
    take one from the pool and give it back. A lost connection is replaced, with every other
    connection the pool opened before it (the server went away for all of them, as
    SQLAlchemy does on its own path), and the read tried once more.
    """
    if threading.current_thread() is not threading.main_thread():
        with _autocommit(engine.connect()) as conn:
            return _first(conn, statement, params)
    for attempt in (1, 2):
        conn = _kept_connection(engine)
        try:
            return _first(conn, statement, params)
        except sa.exc.DBAPIError as exc:
            _kept.__dict__.pop("conn", None)
            conn.close()
            if not exc.connection_invalidated or attempt == 2:
                raise
    raise AssertionError("unreachable")


_SQL_LOG = logging.getLogger("sqlalchemy.engine.Engine")


def _first(conn: sa.Connection, statement: sa.Select[Any], params: dict[str, Any]) -> Any:
    prepared = DriverStatement.of(statement, conn.dialect)
    if prepared is None or conn.engine.echo or _SQL_LOG.isEnabledFor(logging.INFO):
        return conn.execute(statement, params).first()  # SQLAlchemy's own path, and its SQL log
    return prepared.first(conn, params)


class DriverStatement:
    """A Core SELECT compiled once for a dialect, run on the DBAPI cursor directly, with the
    column types' own conversions both ways (as SQLAlchemy applies them) and the engine's
    `before_cursor_execute` listeners told, so statement counts stay true. Statements it could
    not run exactly as SQLAlchemy would (IN lists and other parameters rendered per execution,
    escaped parameter names, parameters computed by a callable, types whose conversion needs
    the driver's column type) are not made into one: `of` answers None and they take
    SQLAlchemy's path."""

    def __init__(self, statement: sa.Select[Any], dialect: sa.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        binds = compiled.bind_names
        if (compiled.escaped_bind_names or compiled.literal_execute_params
                or compiled.post_compile_params or any(b.callable for b in binds)):
            raise TypeError("a statement with parameters rendered or computed per execution")
        self.sql = compiled.string
        self.order = compiled.positiontup  # positional paramstyles (SQLite's qmark): the order
        self.defaults = {binds[b]: b.value for b in binds if not b.required}
        self.required = frozenset(binds[b] for b in binds if b.required)
        self.to_driver = {name: fn for bind, name in binds.items()
                          if (fn := bind.type.dialect_impl(dialect).bind_processor(dialect))}
        columns = statement.selected_columns
        self.from_driver = [col.type.dialect_impl(dialect).result_processor(dialect, None)
                            for col in columns]
        self.row = collections.namedtuple("Row", list(columns.keys()), rename=True)  # type: ignore[misc]
        self.dialect = dialect

    @staticmethod
    @functools.lru_cache(maxsize=64)
    def of(statement: sa.Select[Any], dialect: sa.Dialect) -> DriverStatement | None:
        try:
            return DriverStatement(statement, dialect)
        except TypeError:  # not for the driver's cursor (see above), or a processor needs it
            return None

    def parameters(self, params: dict[str, Any]) -> dict[str, Any] | list[Any]:
        if missing := self.required - params.keys():
            raise sa.exc.InvalidRequestError(f"A value is required for bind parameter {min(missing)!r}")
        values = {**self.defaults, **params}
        for name, fn in self.to_driver.items():
            values[name] = fn(values[name])
        return values if self.order is None else [values[name] for name in self.order]

    def first(self, conn: sa.Connection, params: dict[str, Any]) -> Any:
        values = self.parameters(params)
        dbapi_conn = conn.connection.dbapi_connection
        try:
            cursor = dbapi_conn.cursor()  # type: ignore[union-attr]
            try:
                if conn.dispatch.before_cursor_execute:
                    conn.dispatch.before_cursor_execute(conn, cursor, self.sql, values, None, False)
                cursor.execute(self.sql, values)
                raw = cursor.fetchone()
            finally:
                cursor.close()
        except self.dialect.loaded_dbapi.Error as exc:
            lost = self.dialect.is_disconnect(exc, dbapi_conn, None)
            if lost:  # the server went away: not for this connection alone
                conn.engine.dispose()
                conn.invalidate(exc)
            raise sa.exc.DBAPIError.instance(self.sql, values, exc, self.dialect.loaded_dbapi.Error,
                                             hide_parameters=True, connection_invalidated=lost,
                                             dialect=self.dialect) from exc
        except BaseException:  # interrupted mid-exchange: the connection's state is unknown
            conn.invalidate()
            raise
        if raw is None:
            return None
        return self.row(*(fn(v) if fn else v for fn, v in zip(self.from_driver, raw, strict=True)))


def _kept_connection(engine: Engine) -> sa.Connection:
    conn = _kept.__dict__.get("conn")
    if conn is not None and conn.engine.pool is engine.pool and not conn.closed and not conn.invalidated:
        return conn  # type: ignore[no-any-return]
    if conn is not None:  # another engine, or this one was disposed (tests, a restore)
        conn.close()
    _kept.conn = conn = _autocommit(engine.connect())
    return conn


def _autocommit(conn: sa.Connection) -> sa.Connection:
    if conn.dialect.name == "sqlite":
        return conn.execution_options(**{AUTOCOMMIT: True})  # the driver is in autocommit already
    return conn.execution_options(isolation_level="AUTOCOMMIT")


def _ping_when_idle(engine: Engine, idle_s: float) -> None:
    """Check a pooled server connection before use if it sat idle for `idle_s` or more (the
    server may have restarted meanwhile); one that fails is replaced, unseen by the request.

    A ping on every checkout (`pool_pre_ping`) doubled the round trips of a cached read.
    A connection in steady use is not pinged: should the server go away between two uses
    seconds apart, that one request fails and SQLAlchemy renews the whole pool.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_s:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DisconnectionError(str(exc)) from exc


def writer(engine: Engine) -> Engine:
    """The same engine whose transactions take SQLite's write lock up front."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(sqlite_immediate=True)


def init_app(app: Flask) -> None:
    """Create the engine for `app` and close the request's session after each request."""
    engine = make_engine(
        app.config["DATABASE_URL"],
        busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
        echo=app.config["SQL_ECHO"],
    )
    app.extensions["k_sustain_engine"] = engine
    app.teardown_appcontext(_close_session)


def get_engine(app: Flask) -> Engine:
    return app.extensions["k_sustain_engine"]  # type: ignore[no-any-return]


def get_session() -> Session:
    """The current request's session, opened on first use, scoped to the signed-in caller."""
    if "db_session" not in g:
        from flask import current_app

        engine = get_engine(current_app)  # type: ignore[arg-type]
        if has_request_context() and request.method in WRITE_METHODS:
            engine = writer(engine)
        g.db_session = Session(engine, expire_on_commit=False)
        principal = g.get("principal")
        if principal is not None:
            scope_to(g.db_session, principal)
    return g.db_session  # type: ignore[no-any-return]


def scope_to(session: Session, principal: Any) -> None:
    """Make `session` act for `principal` (a `service.auth.Principal`): their country scope,
    and their name on the audit trail."""
    session.info[SCOPE_KEY] = principal.scope
    session.info[ACTOR_KEY] = (principal.user_id, principal.email)
    if has_request_context():
        session.info["remote_addr"] = request.remote_addr


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope(engine: Engine, *, actor: tuple[int | None, str] = (None, "system")) -> Iterator[Session]:
    """A writing session for commands and jobs; commits on success, rolls back on error."""
    with Session(writer(engine), expire_on_commit=False) as session:
        session.info[ACTOR_KEY] = actor
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# --- the one scoping point ---------------------------------------------------------------


@event.listens_for(OrmSession, "do_orm_execute")
def _scope_to_country(state: ORMExecuteState) -> None:
    code = state.session.info.get(SCOPE_KEY)
    if code is None or not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(*_scope_options(code))


@functools.lru_cache(maxsize=1024)
def _scope_options(code: str) -> tuple[Any, ...]:
    """The loader criteria of one country's scope, built once per country: they are immutable,
    and building them for every statement cost more than running most of the statements."""
    return (
        *(
            with_loader_criteria(model, lambda cls: cls.country_code == code, include_aliases=True)
            for model in _scoped_models()
        ),
        with_loader_criteria(Country, lambda cls: cls.code == code, include_aliases=True),
        *(
            with_loader_criteria(model, lambda cls: cls.internal.is_(False), include_aliases=True)
            for model in _scoped_models(StaffOnlyRows)
        ),
    )


def _scoped_models(marker: type = CountryScoped) -> list[type]:
    """Every mapped table class with `marker` (all models are imported by now)."""
    found: list[type] = []
    todo: list[type] = list(marker.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if hasattr(cls, "__table__"):
            found.append(cls)
    return found


@event.listens_for(OrmSession, "before_flush")
def _refuse_foreign_writes(session: OrmSession, _ctx: Any, _instances: Any) -> None:
    code = session.info.get(SCOPE_KEY)
    if code is None:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Country) and obj.code != code:
            raise ScopeViolation(f"country {obj.code}")
        if isinstance(obj, CountryScoped) and obj.country_code != code:
            raise ScopeViolation(f"{type(obj).__name__} of country {obj.country_code}")
        if isinstance(obj, StaffOnlyRows) and obj.internal:
            raise ScopeViolation(f"a staff-only {type(obj).__name__}")


# --- audit of every change ------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool | dict):
        return value
    return str(value)


def _identity(obj: Any) -> str:
    # A new row gets its identity key only after `after_flush`; its primary key is known already.
    state = inspect(obj)
    key = state.identity or state.mapper.primary_key_from_instance(obj)
    return ",".join(str(k) for k in key if k is not None)


def _changes(obj: Any, *, new: bool) -> dict[str, Any]:
    state = inspect(obj)
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if new:
            value = getattr(obj, attr.key)
            out[attr.key] = "***" if attr.key in REDACTED else _jsonable(value)
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            val = hist.added[0] if hist.added else None
            if attr.key == "version":
                continue
            out[attr.key] = "***" if attr.key in REDACTED else [_jsonable(old), _jsonable(val)]
    return out


@event.listens_for(OrmSession, "after_flush")
def _audit_changes(session: OrmSession, _ctx: Any) -> None:
    user_id, label = session.info.get(ACTOR_KEY, (None, "system"))
    remote = session.info.get("remote_addr")
    rows = []
    for action, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            if isinstance(obj, AuditEntry) or getattr(obj, "__audit__", True) is False:
                continue
            changes = _changes(obj, new=action == "create") if action != "delete" else None
            if action == "update" and not changes:
                continue
            rows.append(
                {
                    "at": dt.datetime.now(dt.UTC),
                    "user_id": user_id,
                    "actor": label,
                    "action": action,
                    "entity": type(obj).__tablename__,  # type: ignore[attr-defined]
                    "entity_id": _identity(obj),
                    "changes": changes,
                    "remote_addr": remote,
                }
            )
    if rows:
        # Core insert on the flush's own connection: same transaction, no re-entrant flush.
        session.connection().execute(sa.insert(AuditEntry.__table__), rows)  # type: ignore[attr-defined]
