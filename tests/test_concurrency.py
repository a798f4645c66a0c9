"""Many writers at once through a real gunicorn: nothing locked, nothing lost, nothing doubled."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from models import Contract, Unit
from service.core.db import session_scope
from service.domain import registry
from tests.live import Server, call

THREADS, ROUNDS = 8, 6


@pytest.fixture
def server(app, world, tmp_path):
    live = Server(app.config["DATABASE_URL"].replace("+psycopg", ""), tmp_path / "gunicorn.log")
    yield live.start()
    live.stop()


def _big_contract(engine: sa.Engine, world: Any) -> int:
    """A Polish contract with room for every unit the writers create."""
    with session_scope(engine) as s:
        return registry.create_contract(session=s, data={
            "number": "PL-BIG", "country_code": "PL", "signed_on": dt.date(2024, 1, 1),
            "value": Decimal("1.00"), "currency": "USD",
            "lines": [{"system_id": world.ids["k9"], "quantity": 10000}]}).id or 0


@pytest.mark.slow
def test_eight_writers_at_once(server, engine, world):
    contract_id = _big_contract(engine, world)
    target = world.ids["unit_PL"]
    staff = world.headers("staff")
    results: list[tuple[str, int, Any]] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def writer(n: int) -> None:
        start.wait()
        for i in range(ROUNDS):
            out = []
            status, _, body = call("POST", f"{server.url}/api/v1/units", headers=staff, body={
                "serial": f"C-{n}-{i}", "system_id": world.ids["k9"], "contract_id": contract_id})
            out.append(("unit", status, body))
            status, _, body = call("POST", f"{server.url}/api/v1/contracts", headers=staff, body={
                "number": f"C-{n}-{i}", "country": "PL", "signed_on": "2025-01-01",
                "value": "10.00", "currency": "EUR",
                "lines": [{"system_id": world.ids["k9"], "quantity": 1},
                          {"system_id": world.ids["k2"], "quantity": 2}]})
            out.append(("contract", status, body))
            # Everyone edits the same unit, each with the version they just read.
            _, headers, unit = call("GET", f"{server.url}/api/v1/units/{target}", headers=staff)
            status, _, body = call("PATCH", f"{server.url}/api/v1/units/{target}",
                                   headers={**staff, "If-Match": headers["ETag"]},
                                   body={"serial": f"SAME-{n}-{i}"})
            out.append(("patch", status, body))
            with lock:
                results.extend(out)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)

    statuses = Counter((kind, status) for kind, status, _ in results)
    bodies = " ".join(str(body) for _, _, body in results)
    assert "locked" not in bodies and not any(s >= 500 for _, s in statuses), statuses
    assert set(statuses) <= {("unit", 201), ("contract", 201), ("patch", 200), ("patch", 412)}

    with engine.connect() as conn:
        units = set(conn.scalars(sa.select(Unit.serial).where(Unit.serial.like("C-%"))))
        contracts = dict(conn.execute(
            sa.select(Contract.number, sa.func.count()).select_from(Contract)
            .join(Contract.lines).where(Contract.number.like("C-%")).group_by(Contract.number)).all())
        version = conn.scalar(sa.select(Unit.version).where(Unit.id == target))
    acked_units = {b["serial"] for k, s, b in results if k == "unit" and s == 201}
    acked_contracts = {b["number"] for k, s, b in results if k == "contract" and s == 201}
    patches = statuses[("patch", 200)]
    assert acked_units == units and acked_contracts == set(contracts)
    assert set(contracts.values()) == {2}  # every contract with both its lines
    assert version == 1 + patches  # each acknowledged edit counted exactly once, none lost
    assert patches >= 1
    attempted = len(results)
    acknowledged = sum(1 for _, s, _ in results if s in (200, 201))
    found = len(units) + len(contracts) + (version - 1)
    print(f"\n[concurrency {engine.dialect.name}] attempted={attempted} acknowledged={acknowledged} "
          f"found={found} stale_if_match_412={statuses[('patch', 412)]}")
    assert found == acknowledged
