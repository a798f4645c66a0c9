"""Crashes in the middle of writes: kill -9 workers, then the whole service, and restart it.

Whatever was acknowledged is there afterwards; whatever was cut off is there entirely or
not at all (a contract always with all its lines and its audit entry), never half.
"""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from models import AuditEntry, Contract, ContractLine
from tests.live import Server, call

WRITERS, KILLS = 4, 3


@pytest.fixture
def live(app, world, tmp_path):
    server = Server(app.config["DATABASE_URL"].replace("+psycopg", ""), tmp_path / "gunicorn.log")
    yield server
    server.stop()


@pytest.mark.slow
def test_kill_9_mid_stream_loses_nothing_acknowledged_and_leaves_nothing_half(live, engine, world):
    live.start()
    staff = world.headers("staff")
    outcomes: Counter[str] = Counter()
    acknowledged: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def stream(n: int) -> None:
        i = 0
        while not stop.is_set():
            number = f"K-{n}-{i}"
            i += 1
            try:
                status, _, _ = call("POST", f"{live.url}/api/v1/contracts", headers=staff, timeout=10,
                                    body={"number": number, "country": "NO", "signed_on": "2025-02-01",
                                          "value": "5.00", "currency": "NOK",
                                          "lines": [{"system_id": world.ids["k9"], "quantity": 1},
                                                    {"system_id": world.ids["k2"], "quantity": 1}]})
            except (OSError, http.client.HTTPException):  # cut off: the client cannot know
                with lock:
                    outcomes["cut off"] += 1
                time.sleep(0.05)
                continue
            with lock:
                outcomes[str(status)] += 1
                if status == 201:
                    acknowledged.add(number)

    threads = [threading.Thread(target=stream, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    killed = 0
    for _ in range(KILLS):
        time.sleep(0.7)
        workers = live.workers()
        if workers:
            os.kill(workers[0], signal.SIGKILL)
            killed += 1
    time.sleep(0.5)
    live.crash()  # and then the whole service, master and workers, mid-stream
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(30)
    assert killed == KILLS

    live.start()  # a fresh service over the same database
    assert call("GET", f"{live.url}/health")[0] == 200
    status, _, page = call("GET", f"{live.url}/api/v1/contracts?country=NO&page_size=100", headers=staff)
    assert status == 200

    with engine.connect() as conn:
        lines = dict(conn.execute(
            sa.select(Contract.number, sa.func.count(ContractLine.id))
            .select_from(Contract).outerjoin(ContractLine)
            .where(Contract.number.like("K-%")).group_by(Contract.number)).all())
        audited = set(conn.scalars(
            sa.select(AuditEntry.entity_id).where(AuditEntry.entity == "contract",
                                                  AuditEntry.action == "create")))
        ids = dict(conn.execute(sa.select(Contract.number, Contract.id)
                                .where(Contract.number.like("K-%"))).all())
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    assert acknowledged <= set(lines), acknowledged - set(lines)  # nothing acknowledged is lost
    assert set(lines.values()) <= {2}, lines  # no contract without its lines
    assert {str(i) for i in ids.values()} <= audited  # no change without its audit entry
    assert set(outcomes) <= {"201", "cut off"}, outcomes
    print(f"\n[kill -9 {engine.dialect.name}] attempted={sum(outcomes.values())} "
          f"acknowledged={len(acknowledged)} found={len(lines)} cut_off={outcomes['cut off']} "
          f"(of which committed before the kill: {len(lines) - len(acknowledged)})")
