"""`flask db backup` while the service writes, and `flask db restore` into a fresh instance."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from service import create_app
from service.core.db import get_engine, session_scope
from service.domain import registry


def _dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in a comparable form."""
    conn = sqlite3.connect(path)
    try:
        return {t.name: sorted(map(tuple, conn.execute(f'SELECT * FROM "{t.name}"')), key=repr)  # noqa: S608
                for t in SQLModel.metadata.sorted_tables}
    finally:
        conn.close()


def _sqlite_only(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the embedded database only")


def test_backup_while_writing_then_restore_into_a_fresh_instance(app, engine, world, tmp_path):
    _sqlite_only(engine)
    stop, written = threading.Event(), []

    def keep_writing() -> None:
        n = 0
        while not stop.is_set():
            with session_scope(engine) as s:
                registry.create_contract(session=s, data={
                    "number": f"B-{n}", "country_code": "PL", "signed_on": dt.date(2025, 3, 1),
                    "value": Decimal("1.00"), "currency": "PLN",
                    "lines": [{"system_id": world.ids["k9"], "quantity": 1},
                              {"system_id": world.ids["k2"], "quantity": 1}]})
            written.append(n)
            n += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 20:
            threading.Event().wait(0.01)
        result = app.test_cli_runner().invoke(args=["db", "backup", str(tmp_path / "k.db")])
        during = len(written)
        while len(written) < during + 20:  # the service kept writing after the backup
            threading.Event().wait(0.01)
    finally:
        stop.set()
        writer.join(30)
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output
    backup = _dump(tmp_path / "k.db")
    numbers = {row[1] for row in backup["contract"] if str(row[1]).startswith("B-")}
    assert 20 <= len(numbers) < len(written)  # a snapshot in the middle of the writes
    per_contract = {}
    for line in backup["contract_line"]:
        per_contract[line[1]] = per_contract.get(line[1], 0) + 1
    assert all(per_contract.get(row[0]) for row in backup["contract"])  # never half a contract

    fresh_url = f"sqlite:///{tmp_path / 'fresh' / 'k-sustain.db'}"
    fresh = create_app({"DATABASE_URL": fresh_url, "SECRET_KEY": "test-secret"})
    runner = fresh.test_cli_runner()
    refused = runner.invoke(args=["db", "restore", str(tmp_path / "k.db")])
    assert refused.exit_code != 0 and "--yes" in refused.output
    done = runner.invoke(args=["db", "restore", str(tmp_path / "k.db"), "--yes"])
    assert done.exit_code == 0, done.output
    assert _dump(tmp_path / "fresh" / "k-sustain.db") == backup
    # The restored instance serves the restored data, to the same tokens.
    r = fresh.test_client().get("/api/v1/contracts?page_size=100", headers=world.headers("staff"))
    assert r.status_code == 200 and {c["number"] for c in r.get_json()} >= set(list(numbers)[:10])
    get_engine(fresh).dispose()


def test_restore_refuses_a_damaged_or_foreign_file(app, engine, tmp_path):
    _sqlite_only(engine)
    runner = app.test_cli_runner()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    r = runner.invoke(args=["db", "restore", str(junk), "--yes"])
    assert r.exit_code != 0 and "not a SQLite database" in r.output
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    r = runner.invoke(args=["db", "restore", str(other), "--yes"])
    assert r.exit_code != 0 and "not a K-Sustain database" in r.output


def test_postgresql_is_refused_with_the_right_tool_named(app, engine, tmp_path):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    r = app.test_cli_runner().invoke(args=["db", "backup", str(tmp_path / "x.db")])
    assert r.exit_code != 0 and "pg_dump" in r.output
    assert not (tmp_path / "x.db").exists()
