"""The data revision: one value in the database that changes with every committed change of data.

Database triggers keep it: every INSERT, UPDATE and DELETE on a tracked table (and, on
PostgreSQL, every TRUNCATE) writes a new random value into `data_revision`, in the writer's
own transaction. So whoever changes the data (a request, a job, a command, `psql`, a restore,
on any host), the revision a reader sees changes when, and only when, the change commits.
`service.readcache` keys the answers it keeps by this value, and `service.auth` the callers a
worker knows. Anything that writes with triggers switched off (`session_replication_role =
replica`, `pg_restore --disable-triggers`, `ALTER TABLE … DISABLE TRIGGER`) must call `bump`
afterwards, or workers keep serving what they knew.

On PostgreSQL the trigger is a deferred constraint trigger that acts once per transaction,
at commit: the revision row is locked only for the instant of the commit, so writers never
wait on one another for it while they hold other rows (no new deadlocks).

A table added later gets its triggers from its migration (`create_triggers(op, [table])`);
`tests/test_readcache.py` fails for any table of the models without them. Tables left out
are written by reads (audit of refusals, sign-in counters) or are not application data.
"""

# ruff: noqa: S608 - every SQL text here is made of this module's constants and model table names

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

TABLE = "data_revision"
# Bookkeeping, never shown as data: a token's last use, the answers kept for retries.
UNTRACKED = frozenset({"audit_entry", "rate_limit", "alembic_version", TABLE, "apscheduler_jobs",
                       "api_token_use", "idempotency_key"})
FUNCTION = "k_sustain_new_revision"
_SQLITE_NEW = "lower(hex(randomblob(16)))"


def trigger_names(table: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"k_rev_{table}", f"k_rev_{table}_truncate"]
    return [f"k_rev_{table}_{op}" for op in ("ins", "upd", "del")]


def create_table(op: Any) -> None:
    """The one-row table and, on PostgreSQL, the trigger function."""
    op.create_table(TABLE, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("value", sa.String(32), nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"INSERT INTO {TABLE} (id, value) VALUES (1, md5(random()::text))")
        op.execute(f"""
            CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF current_setting('k_sustain.revision_written', true) IS DISTINCT FROM 'on' THEN
                    UPDATE {TABLE} SET value = md5(random()::text || clock_timestamp()::text)
                        WHERE id = 1;
                    PERFORM set_config('k_sustain.revision_written', 'on', true);
                END IF;
                RETURN NULL;
            END $$""")
    else:
        op.execute(f"INSERT INTO {TABLE} (id, value) VALUES (1, {_SQLITE_NEW})")


def create_triggers(op: Any, tables: Iterable[str]) -> None:
    """Make every change of `tables` give the data a new revision."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in tables:
        if postgres:
            row, truncate = trigger_names(table, "postgresql")
            op.execute(f'CREATE CONSTRAINT TRIGGER {row} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                       f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()")
            op.execute(f'CREATE TRIGGER {truncate} AFTER TRUNCATE ON "{table}" '
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()")
            continue
        for name, event in zip(trigger_names(table, "sqlite"), ("INSERT", "UPDATE", "DELETE"),
                               strict=True):
            op.execute(f'CREATE TRIGGER {name} AFTER {event} ON "{table}" BEGIN '
                       f"UPDATE {TABLE} SET value = {_SQLITE_NEW} WHERE id = 1; END")


def drop_triggers(op: Any, tables: Iterable[str]) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in tables:
        for name in trigger_names(table, "postgresql" if postgres else "sqlite"):
            op.execute(f'DROP TRIGGER IF EXISTS {name}' + (f' ON "{table}"' if postgres else ""))


_TABLE = sa.table(TABLE, sa.column("id"), sa.column("value", sa.String))
SCALAR = sa.select(_TABLE.c.value).where(_TABLE.c.id == 1).scalar_subquery()
"""The revision as a column, for a statement that reads it with other things."""
READ = sa.select(_TABLE.c.value).where(_TABLE.c.id == 1)
"""The revision alone, as a statement."""


def current(connection: sa.Connection) -> str | None:
    """The revision the connection's transaction sees (None if its row is missing)."""
    return connection.execute(READ).scalar()  # type: ignore[no-any-return]


def bump(connection: sa.Connection) -> None:
    """A new revision without a change of data (after a restore swapped the whole file)."""
    new = _SQLITE_NEW if connection.dialect.name == "sqlite" else "md5(random()::text)"
    connection.exec_driver_sql(f"UPDATE {TABLE} SET value = {new} WHERE id = 1")


def tracked_tables(metadata: sa.MetaData) -> list[str]:
    return [t.name for t in metadata.sorted_tables if t.name not in UNTRACKED]


def installed_triggers(connection: sa.Connection) -> set[str]:
    """The revision triggers the database has (for the test that none is missing)."""
    if connection.dialect.name == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE tgname LIKE :prefix"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE :prefix"
    return {row[0] for row in connection.execute(sa.text(sql), {"prefix": "k_rev_%"})}
