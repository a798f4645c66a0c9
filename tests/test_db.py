"""The data-access layer: migrations, SQLite settings, the country scope, the audit hook."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel, select

from models import ApiToken, Contract, ContractLine, Country, Unit, UTCDateTime
from service.db import SCOPE_KEY, ScopeViolation, lookup, make_engine, writer
from service.migrate import include_name


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_sqlite_is_wal_with_busy_timeout_and_immediate_writers(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}", busy_timeout_ms=1234)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda *a: statements.append(a[2]))
    with writer(engine).begin() as conn:
        conn.exec_driver_sql("SELECT 1")
    with engine.begin() as conn:
        conn.exec_driver_sql("SELECT 1")
    # BEGIN is emitted by the driver hook, not through the cursor; the lock shows instead:
    a, b = make_engine(f"sqlite:///{tmp_path / 'x.db'}", busy_timeout_ms=50), None
    with writer(engine).begin() as first:
        first.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (x int)")
        with pytest.raises(sa.exc.OperationalError, match="locked"), writer(a).begin() as second:
            second.exec_driver_sql("SELECT 1")  # a second writer cannot even start
        with a.connect() as reader:  # readers are never blocked (WAL)
            assert reader.exec_driver_sql("SELECT 1").scalar() == 1
    assert b is None


def _scoped(engine: sa.Engine, code: str) -> Session:
    session = Session(engine)
    session.info[SCOPE_KEY] = code
    return session


def test_scope_filters_gets_joins_aggregates_and_subqueries(engine, world):
    with _scoped(engine, "PL") as s:
        assert s.get(Unit, world.ids["unit_NO"]) is None
        assert {c.code for c in s.exec(select(Country))} == {"PL"}
        assert s.scalar(select(sa.func.count(Unit.id))) == 3
        joined = s.execute(select(Contract.number, sa.func.count(Unit.id))
                           .join(Unit, Unit.contract_id == Contract.id).group_by(Contract.number)).all()
        assert joined == [("PL-C-1", 3)]
        sub = select(Unit.id).subquery()
        assert s.scalar(select(sa.func.count()).select_from(sub)) == 3
        # Lines are not country-scoped themselves, but reaching them through a contract is.
        lines = s.scalars(select(ContractLine).join(Contract)).all()
        assert len(lines) == 2
        assert s.execute(sa.update(Unit).values(status="under_repair")).rowcount == 3
        s.rollback()


def test_scope_refuses_to_write_another_countrys_rows(engine, world):
    with _scoped(engine, "PL") as s:
        s.add(Unit(serial="Z", system_id=world.ids["k9"], contract_id=world.ids["contract_NO"],
                   country_code="NO"))
        with pytest.raises(ScopeViolation):
            s.flush()


def test_the_scheduler_job_table_is_left_to_apscheduler(engine):
    """APScheduler owns `apscheduler_jobs`; migrations neither create nor drop it."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    store = SQLAlchemyJobStore(engine=engine, tablename="apscheduler_jobs")
    store.jobs_t.create(engine, checkfirst=True)
    try:
        test_migrations_match_the_models(engine)
    finally:
        store.jobs_t.drop(engine)


def test_a_connection_idle_across_a_server_restart_is_replaced_unseen(engine):
    """PostgreSQL went away while the pool's connections were idle: the next use gets a new one."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to lose")
    pool = make_engine(engine.url.render_as_string(hide_password=False), ping_after_idle_s=0)
    with pool.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with engine.connect() as admin:
        assert admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar() is True
    with pool.connect() as conn:  # the same pooled connection would fail; the ping replaces it
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
    pool.dispose()


def test_the_kept_look_up_connection_is_replaced_when_the_server_drops_it(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to lose")
    backend = sa.select(sa.func.pg_backend_pid())
    pid = lookup(engine, backend, {})[0]  # type: ignore[index]
    assert lookup(engine, backend, {})[0] == pid  # type: ignore[index]  # kept, not checked out anew
    with engine.connect() as admin:
        assert admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar() is True
    assert lookup(engine, backend, {})[0] != pid  # type: ignore[index]



def test_a_look_up_converts_types_both_ways_and_is_counted(engine, world):
    """The per-request look-up runs on the driver's cursor: timestamps still go in and come out
    as SQLAlchemy stores them, and the engine's listeners see the statement (counts stay true)."""
    expiry = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    with Session(writer(engine)) as s:
        s.add(ApiToken(user_id=world.ids["user_staff"], name="kept", token_hash="f" * 64, expires_at=expiry))
        s.commit()
    unexpired = sa.select(ApiToken.name, ApiToken.expires_at).where(  # type: ignore[call-overload]
        ApiToken.token_hash == sa.bindparam("h"),
        ApiToken.expires_at > sa.bindparam("at", type_=UTCDateTime))  # type: ignore[operator]
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        row = lookup(engine, unexpired, {"h": "f" * 64, "at": expiry - dt.timedelta(seconds=1)})
        assert row is not None and row.name == "kept"
        assert row.expires_at == expiry and row.expires_at.tzinfo is not None
        assert lookup(engine, unexpired, {"h": "f" * 64, "at": expiry}) is None  # compared as times
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert len(seen) == 2 and all("api_token" in statement for statement in seen)


def test_a_look_up_the_driver_cannot_run_as_is_takes_sqlalchemys_path(engine, world):
    in_list = sa.select(Country.code).where(Country.code.in_(["PL", "XX"]))  # type: ignore[attr-defined]
    assert lookup(engine, in_list, {}) == ("PL",)
    needs = sa.select(Country.code).where(Country.code == sa.bindparam("code"))
    assert lookup(engine, needs, {"code": "NO"}) == ("NO",)
    with pytest.raises(sa.exc.InvalidRequestError, match="'code'"):
        lookup(engine, needs, {})  # a forgotten parameter is an error, never NULL


def test_when_the_server_drops_every_connection_the_look_up_still_answers(engine):
    """A restart loses the kept connection and every pooled one: the retry must not take
    another dead one from the pool."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to lose")
    pool = make_engine(engine.url.render_as_string(hide_password=False), ping_after_idle_s=3600)
    backend = sa.select(sa.func.pg_backend_pid())
    held = pool.connect()
    pooled = held.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    kept = lookup(pool, backend, {})[0]  # type: ignore[index]  # a second connection, kept
    held.close()  # the first is idle in the pool now
    assert kept != pooled
    with engine.connect() as admin:
        for pid in (kept, pooled):
            assert admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar() is True
    assert lookup(pool, backend, {})[0] not in (kept, pooled)  # type: ignore[index]
    pool.dispose()
