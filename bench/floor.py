"""A request's own SQL as its floor: the statements one request sends, replayed on the bare driver.

`capture` records every statement and its parameters as the engine hands them to the DBAPI
cursor (`before_cursor_execute`) during one request. `replay` sends exactly those statements,
with those parameters, on a DBAPI connection of the same engine (`sqlite3` / `psycopg`,
checked out of the same pool: same PRAGMAs, same server) and fetches every row, then rolls
back: what any implementation of these queries pays, with nothing of SQLAlchemy, Flask or
marshmallow. `computed_vs_floor` times requests and their replays side by side, round after
round, alternating which goes first, and reports the per-round ratios' median and spread.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask

from service.core.db import get_engine


@dataclass
class Captured:
    path: str
    statements: list[tuple[str, Any]]

    @property
    def count(self) -> int:
        """Statements that ask the database something (the transaction's BEGIN not counted)."""
        return sum(1 for sql, _ in self.statements if not sql.lstrip().upper().startswith("BEGIN"))


def capture(app: Flask, path: str, headers: dict[str, str]) -> Captured:
    """The statements (and parameters) one warm request for `path` sends."""
    engine = get_engine(app)
    client = app.test_client()
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
               executemany: bool) -> None:
        assert not executemany, f"{path}: a read sent executemany"
        seen.append((statement, parameters))

    response = client.get(path, headers=headers)  # warm: SQLAlchemy compiles once per process
    assert response.status_code == 200, (path, response.status_code)
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path, headers=headers)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, (path, response.status_code)
    return Captured(path, seen)


def replayer(app: Flask, captured: Captured) -> Callable[[], int]:
    """A function sending `captured`'s statements on the bare driver; returns the rows fetched."""
    engine = get_engine(app)

    def replay() -> int:
        fairy = engine.raw_connection()  # the pool's DBAPI connection (checked out as a request does)
        try:
            dbapi = fairy.driver_connection
            assert dbapi is not None
            cursor = dbapi.cursor()
            rows = 0
            for sql, parameters in captured.statements:
                cursor.execute(sql, parameters)
                if cursor.description is not None:
                    rows += len(cursor.fetchall())
            cursor.close()
            dbapi.rollback()
            return rows
        finally:
            fairy.close()

    replay()  # fails here, not in the timing, if a statement cannot be replayed
    return replay


def requester(app: Flask, path: str, headers: dict[str, str]) -> Callable[[], int]:
    client = app.test_client()

    def call() -> int:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        return len(response.data)

    return call


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def computed_vs_floor(app: Flask, requests: list[tuple[str, dict[str, str]]], *, rounds: int,
                      repeat: int = 5, warmup: int = 3) -> dict[str, Any]:
    """Each round: every request `repeat` times and its replay `repeat` times, the two sides
    alternating first; the round's ratio is the computed side's total over the floor's."""
    captured = [capture(app, path, headers) for path, headers in requests]
    sides = [(requester(app, path, headers), replayer(app, c))
             for (path, headers), c in zip(requests, captured, strict=True)]
    for _ in range(warmup):
        for call, replay in sides:
            call()
            replay()
    ratios, cpu_ratios, computed_ms, floor_ms = [], [], [], []
    for n in range(rounds):
        wall = {"computed": 0.0, "floor": 0.0}
        cpu = {"computed": 0.0, "floor": 0.0}
        for i, (call, replay) in enumerate(sides):
            pair = [("computed", call), ("floor", replay)]
            for side, fn in pair if (n + i) % 2 == 0 else pair[::-1]:
                started, started_cpu = time.perf_counter(), time.process_time()
                for _ in range(repeat):
                    fn()
                wall[side] += time.perf_counter() - started
                cpu[side] += time.process_time() - started_cpu
        calls = len(sides) * repeat
        computed_ms.append(wall["computed"] / calls * 1000)
        floor_ms.append(wall["floor"] / calls * 1000)
        ratios.append(wall["computed"] / wall["floor"])
        cpu_ratios.append(cpu["computed"] / cpu["floor"] if cpu["floor"] else float("nan"))
    counts = {c.path: c.count for c in captured}
    return {"ratio": spread(ratios), "computed_ms": spread(computed_ms), "floor_ms": spread(floor_ms),
            "statements": counts, "statements_max": max(counts.values()), "rounds": rounds,
            "requests_per_round": len(sides) * repeat, "clock": "wall (perf_counter)",
            "ratios": ratios,
            # This process's CPU alone: steadier on a busy machine for SQLite (in-process); on
            # PostgreSQL it leaves the server's side out of both, so the wall ratio is the figure.
            "cpu_ratio": spread(cpu_ratios)}
