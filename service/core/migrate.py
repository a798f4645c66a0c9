"""Alembic driven from the application: `flask --app service db upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# A table in the application database that no model owns: APScheduler's job store creates and
# evolves its own; autogenerate must not offer to drop it.
UNMANAGED_TABLES = frozenset({"apscheduler_jobs"})


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic filter: compare only the tables the models own."""
    return not (type_ == "table" and name in UNMANAGED_TABLES)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    """Create or migrate the app's database to `revision`."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    from service.core.db import get_engine

    with get_engine(app).begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def is_current(app: Flask) -> bool:
    """Whether the app's database is at the migrations' head (what commands that write data
    check first, so an unmigrated database gets a sentence rather than a traceback)."""
    from service.core.db import get_engine

    heads = set(ScriptDirectory.from_config(alembic_config(app.config["DATABASE_URL"])).get_heads())
    with get_engine(app).connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads
