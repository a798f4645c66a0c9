"""The benchmark's databases: fresh SQLite files (or a PostgreSQL URL) seeded through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.harness import ROOT
from service.core.config import engine_url

COUNTED = ("country", "weapon_system", "contract", "unit", "staff_member", "service_event",
           "survey", "survey_response", "corrective_action", "deficiency_report", "unit_status_change")
COUNTED += ("trainee", "nomination", "certificate", "package_line", "delivery")  # SPEC §11


def flask(url: str, *args: str) -> str:
    """Run `flask --app service ARGS` against `url`; returns its output."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "service", *args],  # noqa: S603
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False,
                          timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def fresh_sqlite(path: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def reset_postgres(url: str) -> None:
    """Empty the benchmark's PostgreSQL database (its `public` schema is dropped)."""
    engine = sa.create_engine(engine_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def migrate_and_seed(url: str, *extra: str) -> dict[str, Any]:
    """Migrate, then time `seed-demo --size bench` alone (a fresh process, as a user runs it)."""
    flask(url, "db", "upgrade")
    started = time.perf_counter()
    out = flask(url, "seed-demo", "--size", "bench", *extra)
    seconds = time.perf_counter() - started
    summary = next((line for line in out.splitlines() if line.startswith("seeded")), "")
    return {"seconds": round(seconds, 2), "summary": summary, "rows": counts(url)}


def counts(url: str) -> dict[str, int]:
    from service.core.db import make_engine

    engine = make_engine(engine_url(url))
    with engine.connect() as conn:
        out = {t: int(conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) or 0) for t in COUNTED}  # noqa: S608
    engine.dispose()
    return out


def token(url: str, email: str) -> str:
    """A fresh API token for `email` (through the CLI, like an operator would)."""
    return flask(url, "users", "token", email, "--name", "bench").strip().splitlines()[-1]
