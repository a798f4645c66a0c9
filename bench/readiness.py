"""Readiness figures (issue 15): `GET /readiness` for one country and for every country over
12 months, each under 100 ms, and the same requests on 1 and 10 years of history (within
1.1 x): the statements read the status spans that touch the period by their ends (each change
keeps when the next one ended it), never the years before. Beside them, the all-countries
answer's own SQL replayed on the bare driver (`bench.floor`): what the database alone pays for
every country's rows, the floor under which no serialisation of that answer can go."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask

from bench import floor
from bench.harness import Figure, Results
from bench.inproc import interleaved
from service.domain import periods

STAFF = "staff@k-sustain.example"


def _call(app: Flask, token: str, query: str) -> Callable[[], Any]:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/readiness?{query}"

    def call() -> None:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        assert response.get_json()["rows"], path  # the fleet has history in these months

    return call


def readiness_figures(results: Results, *, short: tuple[Flask, str, str], long: tuple[Flask, str, str],
                      country: str, runs: int = 15) -> dict[str, Any]:
    """`short` and `long`: (app, liaison token, staff token) on the 1- and 10-year data sets."""
    last = periods.shift(periods.current(), -1)  # the last whole month
    window = f"from={periods.shift(last, -11)}&to={last}"
    (app1, liaison1, staff1), (app10, liaison10, staff10) = short, long
    one, every = window, window  # a liaison's answer is their country's; staff see every country
    detail: dict[str, Any] = {"country": country, "from": periods.shift(last, -11), "to": last,
                              "median_of": runs}
    wall = interleaved({"one_10y": _call(app10, liaison10, one), "all_10y": _call(app10, staff10, every)},
                       runs=runs, warmup=2)
    cpu = interleaved({"one_1y": _call(app1, liaison1, one), "one_10y": _call(app10, liaison10, one),
                       "all_1y": _call(app1, staff1, every), "all_10y": _call(app10, staff10, every)},
                      runs=runs, warmup=2, clock=time.process_time)
    detail.update(wall_s=wall, cpu_s=cpu)
    path, staff = f"/api/v1/readiness?{every}", {"Authorization": f"Bearer {staff10}"}
    answer = app10.test_client().get(path, headers=staff)
    sql = floor.computed_vs_floor(app10, [(path, staff)], rounds=3 if runs < 15 else 5, repeat=1, warmup=1)
    detail["all_countries"] = {"rows": len(answer.get_json()["rows"]), "bytes": len(answer.data),
                               "computed_ms": sql["computed_ms"], "sql_floor_ms": sql["floor_ms"],
                               "statements": sql["statements_max"]}
    results.add(Figure(f"GET /readiness, one country ({country}), 12 months", wall["one_10y"] * 1000, "ms",
                       "< 100", wall["one_10y"] < 0.1, detail))
    results.add(Figure("GET /readiness, all countries, 12 months", wall["all_10y"] * 1000, "ms",
                       "< 100", wall["all_10y"] < 0.1, detail))
    results.add(Figure("GET /readiness, all countries, 12 months: its own SQL on the bare driver",
                       sql["floor_ms"]["median"], "ms", "-", None, detail))
    for key, label in (("one", f"one country ({country})"), ("all", "all countries")):
        ratio = cpu[f"{key}_10y"] / cpu[f"{key}_1y"]
        results.add(Figure(f"history: GET /readiness, {label}, 10 y / 1 y", ratio, "x", "<= 1.1",
                           ratio <= 1.1, detail))
    return detail
