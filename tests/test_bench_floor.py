"""bench/floor.py: a request's own SQL, captured and replayed on the bare driver (make bench)."""

from __future__ import annotations

import pytest

from bench import floor
from tests.conftest import QueryCounter, rows

PATHS = ["/api/v1/countries/PL/status", "/api/v1/events?country=PL&page_size=50&status=planned"]


@pytest.mark.parametrize("path", PATHS)
def test_the_floor_sends_the_requests_own_statements_and_changes_nothing(app, engine, client, full_world,
                                                                         monkeypatch, path):
    headers = full_world.headers("pl")
    captured = floor.capture(app, path, headers)
    with QueryCounter(engine) as counter:
        assert client.get(path, headers=headers).status_code == 200
    assert captured.count == counter.count  # the figure's statement count is the request's
    assert [sql for sql, _ in captured.statements if not sql.startswith("BEGIN")] == counter.statements
    events = rows(engine, "service_event")
    replay = floor.replayer(app, captured)
    with QueryCounter(engine) as around:
        fetched = replay()
    assert fetched > 0  # the rows come back through the driver alone ...
    assert around.count == 0  # ... without SQLAlchemy executing anything
    assert rows(engine, "service_event") == events


def test_the_figure_is_the_median_of_alternating_rounds(app, full_world, monkeypatch):
    out = floor.computed_vs_floor(app, [(p, full_world.headers("pl")) for p in PATHS], rounds=3, repeat=1,
                                  warmup=1)
    assert len(out["ratios"]) == 3
    assert out["ratio"]["min"] <= out["ratio"]["median"] <= out["ratio"]["max"]
    assert out["ratio"]["median"] > 1  # Flask, the ORM and marshmallow on top of the SQL cost something
    assert set(out["statements"]) == set(PATHS) and out["requests_per_round"] == 2
