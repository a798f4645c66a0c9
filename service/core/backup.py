"""Online backup and restore of the embedded SQLite database (`flask db backup|restore`).

A backup uses SQLite's backup API in one step: a consistent snapshot of the last committed
state, taken while the service keeps writing (in WAL mode writers are not blocked by it).
It is written beside the destination, checked with `PRAGMA integrity_check`, then renamed
into place, so a backup file is either complete and sound or absent.

A restore checks the file the same way, then copies it into the live database through the
same API, which takes the database's write lock: running processes see either the old or
the restored data, never a mix. PostgreSQL has its own tools (pg_dump, pg_restore).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa


class BackupError(RuntimeError):
    """The backup or restore cannot be done; the message says why and what to do instead."""


@dataclass(frozen=True)
class Copied:
    path: Path
    bytes: int
    tables: int


def _sqlite_path(engine: sa.Engine) -> Path:
    if engine.dialect.name != "sqlite":
        raise BackupError(
            f"The database is {engine.dialect.name}, not the embedded SQLite file: back it up "
            "with pg_dump (e.g. `pg_dump -Fc -f k-sustain.dump $DATABASE_URL`) and restore "
            "with pg_restore")
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory database has nothing to back up")
    return Path(database).resolve()


def _connect(path: Path, timeout_s: float) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=timeout_s)
    conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
    return conn


def check(path: Path) -> int:
    """Refuse a file that is not a sound K-Sustain database; returns its number of tables."""
    conn = _connect(path, 5)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from exc
    finally:
        conn.close()
    if result != [("ok",)]:
        raise BackupError(f"{path} fails the integrity check: {result[:5]}")
    if "alembic_version" not in tables:
        raise BackupError(f"{path} is not a K-Sustain database (no schema version)")
    return len(tables)


def backup(engine: sa.Engine, dest: Path, *, timeout_s: float = 30) -> Copied:
    """Copy the live database to `dest` (replaced atomically if it exists)."""
    source = _sqlite_path(engine)
    dest = dest.resolve()
    if dest == source:
        raise BackupError("The backup must go to another file than the database itself")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    src, out = _connect(source, timeout_s), sqlite3.connect(partial)
    try:
        src.backup(out)  # all pages in one step: one consistent snapshot
    finally:
        out.close()
        src.close()
    try:
        tables = check(partial)
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, dest)
    return Copied(dest, dest.stat().st_size, tables)


def restore(engine: sa.Engine, backup_file: Path, *, timeout_s: float = 30) -> Copied:
    """Replace the live database's content with `backup_file`, after checking it."""
    target = _sqlite_path(engine)
    backup_file = backup_file.resolve()
    if backup_file == target:
        raise BackupError("That file is the database itself")
    tables = check(backup_file)
    engine.dispose()  # our own pooled connections must not hold the old pages
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = _connect(backup_file, timeout_s), _connect(target, timeout_s)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    engine.dispose()
    return Copied(target, target.stat().st_size, tables)
