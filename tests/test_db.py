"""The data-access layer: migrations, SQLite settings, the country scope, the audit hook."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel, select

from models import Contract, ContractLine, Country, Unit
from service.core.db import POOL_RECYCLE_S, SCOPE_KEY, ScopeViolation, get_engine, make_engine, writer
from service.core.migrate import include_name


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


def test_a_server_engine_checks_pooled_connections_with_the_pools_own_ping():
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # nothing connects yet
    assert engine.pool._pre_ping is True and engine.pool._recycle == POOL_RECYCLE_S


def test_a_connection_idle_across_a_server_restart_is_replaced_unseen(engine):
    """PostgreSQL went away while the pool's connections were idle: the next use gets a new one."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to lose")
    pool = make_engine(engine.url.render_as_string(hide_password=False))
    with pool.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with engine.connect() as admin:
        assert admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar() is True
    with pool.connect() as conn:  # the same pooled connection would fail; the ping replaces it
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
    pool.dispose()


def test_when_the_server_drops_every_pooled_connection_requests_still_answer(app, client, world):
    """A restart loses every connection in the pool: the next requests are answered unseen."""
    engine = get_engine(app)
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to lose")
    held = [engine.connect() for _ in range(3)]
    pids = [conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() for conn in held]
    for conn in held:
        conn.close()  # idle in the pool now
    outside = make_engine(engine.url.render_as_string(hide_password=False))
    with outside.connect() as admin:
        for pid in pids:
            assert admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar() is True
    outside.dispose()
    for _ in range(4):
        assert client.get("/api/v1/countries/PL/status", headers=world.headers("pl")).status_code == 200
    assert client.get("/health").status_code == 200


def _revision_triggers(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            sql = "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'k_rev_%'"
        else:
            sql = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'k_rev_%'"
        return int(conn.scalar(sa.text(sql)) or 0)


def test_no_data_revision_is_kept_at_head(engine):
    """Migration 0010 dropped the read cache's revision: no trigger writes on every change."""
    assert _revision_triggers(engine) == 0
    assert not sa.inspect(engine).has_table("data_revision")


def test_the_data_revision_migrations_go_down_and_up_again(tmp_path):
    """0009 and 0010 replay from their own frozen DDL, both ways (on a database of its own)."""
    from alembic import command

    from service.core.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    seen = []
    for step, target in (("up", "0009"), ("up", "head"), ("down", "0009"), ("down", "0008"),
                         ("up", "head")):
        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            (command.upgrade if step == "up" else command.downgrade)(cfg, target)
        inspector = sa.inspect(engine)
        seen.append((_revision_triggers(engine), inspector.has_table("data_revision"),
                     inspector.has_table("user_session")))
    engine.dispose()
    assert seen == [(57, True, False), (0, False, True), (57, True, False), (0, False, False),
                    (0, False, True)]


def test_status_changes_get_the_end_of_their_span_when_migrated(tmp_path):
    """0030 gives each existing status change the time of its unit's next change (ties in row
    order), and none to a unit's last."""
    from alembic import command

    from service.core.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)

    def migrate(target: str) -> None:
        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, target)

    migrate("0029")
    at = ["2024-01-01 00:00:00.000000", "2024-03-01 00:00:00.000000", "2024-03-01 00:00:00.000000",
          "2024-05-01 00:00:00.000000", "2024-02-01 00:00:00.000000"]
    import sqlite3

    raw = sqlite3.connect(tmp_path / "m.db")  # without the engine's foreign keys: the rows alone
    with raw:
        units = (1, 1, 1, 2, 1)
        rows = [(row, unit, when) for row, (unit, when) in enumerate(zip(units, at, strict=True), 1)]
        raw.executemany("INSERT INTO unit_status_change (id, unit_id, country_code, system_id, to_status, "
                        "at, by_label) VALUES (?, ?, 'PL', 1, 'operational', ?, 'test')", rows)
    raw.close()
    migrate("head")
    with engine.connect() as conn:
        ends = dict(conn.execute(sa.text("SELECT id, ended_at FROM unit_status_change")).all())
    engine.dispose()
    assert ends == {1: at[4], 5: at[1], 2: at[2], 3: None, 4: None}


def test_action_notes_become_internal_entries_of_its_progress_when_migrated(tmp_path):
    """0032 moves each action's internal notes into one staff-only entry of its progress (the
    action's state then) and drops the column; going down puts them back."""
    import sqlite3

    from alembic import command

    from service.core.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)

    def migrate(target: str, up: bool = True) -> None:
        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            (command.upgrade if up else command.downgrade)(cfg, target)

    migrate("0031")
    raw = sqlite3.connect(tmp_path / "m.db")  # without the engine's foreign keys: the rows alone
    with raw:
        raw.executemany(
            "INSERT INTO corrective_action (id, country_code, title, reasons, due_on, status, "
            "internal_notes, opened_at, version) VALUES (?, 'PL', 't', '[]', '2026-01-31', ?, ?, "
            "'2026-01-01 00:00:00.000000', 3)",
            [(1, "in_progress", "Budget talk"), (2, "open", None), (3, "open", " \n\t ")])
        raw.execute("INSERT INTO action_comment (action_id, country_code, kind, status, body, author_name, "
                    "created_at) VALUES (1, 'PL', 'comment', 'open', 'Seen', 'pl', "
                    "'2026-01-02 00:00:00.000000')")
    raw.close()
    migrate("head")
    with engine.connect() as conn:
        entries = conn.execute(sa.text("SELECT action_id, kind, status, body, internal, author_name "
                                       "FROM action_comment ORDER BY id")).all()
        versions = conn.execute(sa.text("SELECT version FROM corrective_action")).scalars().all()
    assert [tuple(e) for e in entries] == [(1, "comment", "open", "Seen", 0, "pl"),
                                           (1, "comment", "in_progress", "Budget talk", 1, "K-Sustain staff")]
    assert "internal_notes" not in {c["name"] for c in sa.inspect(engine).get_columns("corrective_action")}
    assert versions == [3, 3, 3]
    migrate("0031", up=False)
    with engine.connect() as conn:
        notes = conn.execute(sa.text("SELECT id, internal_notes FROM corrective_action ORDER BY id")).all()
        left = conn.execute(sa.text("SELECT body FROM action_comment")).scalars().all()
    engine.dispose()
    assert [tuple(n) for n in notes] == [(1, "Budget talk"), (2, None), (3, None)]
    assert left == ["Seen"]
