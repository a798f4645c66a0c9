"""Alembic environment: migrates the database named by the app's DATABASE_URL."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from service.core.migrate import include_name

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        _run(conn)


def _render_item(type_: str, obj: object, autogen_context: Any) -> str | Literal[False]:
    """Name project column types by their real module, so migrations import cleanly."""
    if type_ == "type":
        module = type(obj).__module__
        if module.startswith(("models.", "sqlmodel.")):
            return f"{module}.{obj!r}"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
