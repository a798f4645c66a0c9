"""Engine, per-request session, and the two rules every session enforces.

1. Country scoping (the one scoping point): a session whose `info["country_scope"]` holds a
   country code sees only that country's rows, in every ORM SELECT, join, subquery,
   aggregate, relationship load, UPDATE and DELETE, and cannot flush a row of another
   country. `service.core.auth` sets the scope for a liaison; nothing else needs to remember it.
   Such a session sees no staff-only row either (`StaffOnlyRows`: internal notes), and
   cannot write one. A record released to a set of countries (`ReleasedToCountries`: a
   service bulletin and its children) is seen only while an active release of it to the
   session's country exists, read afresh by every statement (no cache); of its serial ranges
   (`CoversUnits`) such a session sees those covering one of its country's units alone.
2. Audit: every INSERT, UPDATE and DELETE flushed through a session is written to the
   audit trail in the same transaction, with the actor kept in `info["actor"]`; an update of
   a model's `__audit_transition__` column is a "transition", and `audit_note` adds what the
   row does not keep (a reason) to the change's entry. Nothing else writes change entries.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col

from models import (
    AuditEntry,
    BulletinRelease,
    Country,
    CountryScoped,
    CoversUnits,
    ReleasedToCountries,
    ServiceBulletin,
    StaffOnlyRows,
    Unit,
)

SCOPE_KEY = "country_scope"
ACTOR_KEY = "actor"
# The country an unscoped session's actor acts for (a liaison signing in): the scope otherwise.
ACTOR_COUNTRY_KEY = "actor_country"
REDACTED = {"password_hash", "token_hash", "feed_token_hash", "feed_salt", "token"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
POOL_RECYCLE_S = 1800


class ScopeViolation(Exception):
    """A scoped session tried to write a row of another country."""


def make_engine(url: str, *, busy_timeout_ms: int = 15000, echo: bool = False) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout, foreign keys, explicit BEGIN.

    A server's pooled connections are checked before each use (`pool_pre_ping`: a restarted
    server costs no request) and renewed after `POOL_RECYCLE_S` (idle cuts by firewalls)."""
    if not url.startswith("sqlite"):
        return sa.create_engine(url, echo=echo, pool_pre_ping=True, pool_recycle=POOL_RECYCLE_S)
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
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


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
    return app.extensions["k_sustain_engine"]


def get_session() -> Session:
    """The current request's session, opened on first use, scoped to the signed-in caller."""
    if "db_session" not in g:
        from flask import current_app

        engine = get_engine(current_app)
        if has_request_context() and request.method in WRITE_METHODS:
            engine = writer(engine)
        g.db_session = Session(engine, expire_on_commit=False)
        principal = g.get("principal")
        if principal is not None:
            scope_to(g.db_session, principal)
    return g.db_session


def scope_to(session: Session, principal: Any) -> None:
    """Make `session` act for `principal` (a `service.core.auth.Principal`): their country scope,
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
    """The loader criteria of one country's scope, built once per country (they are immutable):
    one per marker, each applied by SQLAlchemy to every mapped class that has the marker
    (`with_loader_criteria` of a base class), so that a statement carries five criteria and
    five bound values whatever the number of scoped tables (one criterion per table made every
    scoped statement's cache key and parameters several times longer to build)."""
    return (
        with_loader_criteria(CountryScoped, lambda cls: _of(cls, "country_code") == code,
                             include_aliases=True),
        with_loader_criteria(Country, lambda cls: cls.code == code, include_aliases=True),
        with_loader_criteria(StaffOnlyRows, lambda cls: _of(cls, "internal").is_(False),
                             include_aliases=True),
        with_loader_criteria(
            ReleasedToCountries, lambda cls: _of(cls, "__released_key__").in_(
                sa.select(_release_bulletin)
                .where(_release_country == code, _release_withdrawn_at.is_(None))),
            include_aliases=True),
        with_loader_criteria(CoversUnits, lambda cls: sa.exists().where(
            _covered_unit.c.country_code == code, _covered_unit.c.serial >= _of(cls, "serial_from"),
            _covered_unit.c.serial <= _of(cls, "serial_to"),
            _covered_unit.c.system_id == _covering_bulletin.c.system_id,
            _covering_bulletin.c.id == _of(cls, "bulletin_id")), include_aliases=True),
    )


def _of(entity: Any, name: str) -> Any:
    """The column `name` of a scoped class or alias; `__released_key__` names the released
    record's column. SQLAlchemy first calls a base class's criterion with the marker itself, to
    find its bound values: a marker has no columns, so it gets a stand-in column of that name."""
    try:
        if name == "__released_key__":
            name = entity.__released_key__
        return getattr(entity, name)
    except AttributeError:
        return sa.column(name)


# A range's units and bulletin as aliases of their tables: a statement that selects units itself
# (a bulletin's applicable units) keeps its own `unit` apart from the range's test.
_covered_unit = Unit.__table__.alias("covered_unit")  # type: ignore[attr-defined]
_covering_bulletin = ServiceBulletin.__table__.alias("covering_bulletin")  # type: ignore[attr-defined]


def _released_to(code: str) -> Any:
    """The ids of the records released to `code` now (a release not withdrawn)."""
    return sa.select(col(BulletinRelease.bulletin_id)).where(
        col(BulletinRelease.country_code) == code, col(BulletinRelease.withdrawn_at).is_(None))


# The release's columns typed for mypy once, outside the loader-criteria lambdas: col() called
# in the lambdas' bodies made every scoped statement measurably slower (a liaison's 404 for a
# missing row took twice a hidden one's: tests/test_access.py's timing test).
_release_bulletin = col(BulletinRelease.bulletin_id)
_release_country = col(BulletinRelease.country_code)
_release_withdrawn_at = col(BulletinRelease.withdrawn_at)


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
    _refuse_unreleased_writes(session, code)


def _refuse_unreleased_writes(session: OrmSession, code: str) -> None:
    """A scoped session writes a child of a released record only while that record is
    released to its country, and never the released record itself nor a release."""
    keys: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, BulletinRelease):  # who sees a record is decided by staff alone
            raise ScopeViolation("a release is written by staff only")
        if not isinstance(obj, ReleasedToCountries):
            continue
        if obj.__written_by_staff__:
            raise ScopeViolation(f"{type(obj).__name__} is written by staff only")
        keys.add(getattr(obj, obj.__released_key__))
    if keys:
        with session.no_autoflush:
            released = set(session.scalars(_released_to(code).where(
                col(BulletinRelease.bulletin_id).in_(keys))))
        if keys - released:
            raise ScopeViolation(f"a record not released to {code}")


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


NOTES_KEY = "audit_notes"


def audit_note(session: OrmSession, obj: Any, **values: Any) -> None:
    """Add `values` (say, the reason given for a move) to the audit entry of `obj`'s next flushed
    change: what the request said but the row does not keep."""
    session.info.setdefault(NOTES_KEY, {}).setdefault(inspect(obj), {}).update(values)


@event.listens_for(OrmSession, "after_rollback")
def _drop_notes(session: OrmSession) -> None:
    session.info.pop(NOTES_KEY, None)  # notes of changes that were never written


def _action(obj: Any, action: str, changes: dict[str, Any] | None) -> str:
    moved = getattr(obj, "__audit_transition__", None)
    return "transition" if action == "update" and changes and moved in changes else action


def audit_fields(session: OrmSession) -> dict[str, Any]:
    """Who an audit entry written in `session` names: the actor, the country they act for (a
    liaison's or country administrator's; none for staff and the system), their address. Every
    entry of a session is made from these, so each says the same of its actor."""
    user_id, label = session.info.get(ACTOR_KEY, (None, "system"))
    return {"user_id": user_id, "actor": label, "remote_addr": session.info.get("remote_addr"),
            "country_code": session.info.get(ACTOR_COUNTRY_KEY, session.info.get(SCOPE_KEY))}


def add_audit_entry(session: OrmSession, *, action: str, entity: str, entity_id: str | None,
                    changes: dict[str, Any] | None) -> None:
    """An audit entry of what a row's own change does not say (a transition's reason, a
    credential rotated by a bulk UPDATE), written with the session's change."""
    session.add(AuditEntry(**audit_fields(session), action=action, entity=entity, entity_id=entity_id,
                           changes=changes))


@event.listens_for(OrmSession, "after_flush")
def _audit_changes(session: OrmSession, _ctx: Any) -> None:
    actor = audit_fields(session)
    notes = session.info.get(NOTES_KEY, {})
    rows = []
    for action, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            if isinstance(obj, AuditEntry) or getattr(obj, "__audit__", True) is False:
                continue
            changes = _changes(obj, new=action == "create") if action != "delete" else None
            if action == "update" and not changes:
                continue
            note = notes.pop(inspect(obj), None)
            if note:
                changes = {**(changes or {}), **{k: _jsonable(v) for k, v in note.items()}}
            rows.append(
                {
                    "at": dt.datetime.now(dt.UTC),
                    **actor,
                    "action": _action(obj, action, changes),
                    "entity": type(obj).__tablename__,
                    "entity_id": _identity(obj),
                    "changes": changes,
                }
            )
    if rows:
        # Core insert on the flush's own connection: same transaction, no re-entrant flush.
        session.connection().execute(sa.insert(AuditEntry.__table__), rows)  # type: ignore[attr-defined]  # SQLModel does not declare __table__
