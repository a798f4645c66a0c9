"""scripts/bench_table.py: the README's benchmark section is written from bench/results.json."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_table", ROOT / "scripts" / "bench_table.py")
assert _spec and _spec.loader
bench_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_table)

META = {"date": "2026-12-01 20:00 UTC", "cpus": 2, "cpu": "AMD EPYC", "python": "3.11.7",
        "sqlite": "3.40.1", "wrk": "wrk 4.1.0", "gunicorn": "--workers 2", "quick": False}


def _spread(median: float, low: float, high: float) -> dict[str, float]:
    return {"median": median, "min": low, "max": high}


def _results() -> dict:
    floor = {"computed_ms": _spread(9.5, 9, 10), "floor_ms": _spread(3.1, 3, 3.3), "statements_max": 7,
             "ratio": _spread(3.06, 2.9, 3.4), "cpu_ratio": _spread(2.8, 2.7, 3), "rounds": 15,
             "statements": {"/x": 7}}
    mixed = {"countries": 50, "read_paths": 100, "tool": "wrk", "connections": 16, "write_rate_per_s": 3.0,
             "rounds": 3, "seconds": 20, "read_rps": _spread(812, 800, 830),
             "bare_rps": _spread(6000, 5900, 6100),
             "read_vs_bare": _spread(0.135, 0.13, 0.14), "read_p50_ms": _spread(18, 17, 19),
             "read_p99_ms": _spread(61.5, 55, 70), "writes": 180, "write_p50_ms": _spread(25, 24, 26),
             "write_p99_ms": _spread(90, 80, 99), "alone_write_p50_ms": _spread(12, 11, 13),
             "read_errors": 0, "write_errors": 0, "write_statuses": [200, 201]}
    start = {"app_s": 1.9, "libraries_s": 1.4, "ratio": 1.36, "runs": 9, "libraries": ["flask"],
             "loaded_at_start": []}
    return {"meta": META, "figures": [
        {"name": "computed dashboard vs its own SQL on the bare driver (SQLite)", "value": 3.06,
         "unit": "x floor", "target": "<= 3", "met": False, "detail": floor, "spread": [2.9, 3.4]},
        {"name": "mixed workload: read p99 (PostgreSQL)", "value": 61.5, "unit": "ms", "target": "<= 100",
         "met": True, "detail": mixed, "spread": [55, 70]},
        {"name": "worker start (import + create_app) vs …", "value": 1.36, "unit": "x", "target": "<= 1.5",
         "met": True, "detail": start, "spread": [1.3, 1.4]},
        {"name": "seeding the bench data set", "value": 20.13, "unit": "s", "target": "< 120", "met": True,
         "detail": {}},
    ]}


def test_the_section_between_the_markers_is_the_results_and_nothing_else_changes() -> None:
    readme = "# K-Sustain\n\nintro\n\n<!-- bench:start -->\nold table, 0.76 x\n<!-- bench:end -->\n\nafter\n"
    out = bench_table.rewrite(readme, _results())
    before, _, rest = out.partition("<!-- bench:start -->")
    section, _, after = rest.partition("<!-- bench:end -->")
    assert before == "# K-Sustain\n\nintro\n\n" and after == "\n\nafter\n"
    assert "0.76" not in section
    assert "| computed dashboard vs its own SQL on the bare driver (SQLite) | 3.06  | 2.90 – 3.40" in section
    assert "**NO**" in section and "2026-12-01 20:00 UTC" in section
    # the sentences carry the figures' own measurements
    assert "9.50 ms a request in-process against 3.10 ms for its own 7 statements" in section
    assert "reads 812 req/s against the bare app's 6,000 (0.14×)" in section
    assert "p99 61.50 ms" in section and "180 writes" in section
    assert ("Targets not met in this run*: computed dashboard vs its own SQL on the bare driver (SQLite)."
            in section)
    assert bench_table.rewrite(out, _results()) == out  # rewriting is stable


def test_a_quick_run_says_so() -> None:
    results = _results()
    results["meta"]["quick"] = True
    assert "--quick" in bench_table.block(results)


def test_a_readme_without_markers_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps(_results()))
    (tmp_path / "README.md").write_text("no section here\n")
    with pytest.raises(SystemExit):
        bench_table.main(["x", str(tmp_path / "r.json"), str(tmp_path / "README.md")])
    assert (tmp_path / "README.md").read_text() == "no section here\n"


def test_the_committed_readme_section_is_the_committed_results() -> None:
    readme = (ROOT / "README.md").read_text()
    results = json.loads((ROOT / "bench" / "results.json").read_text())
    assert bench_table.rewrite(readme, results) == readme, "run scripts/bench_table.py"


def test_the_mixed_workloads_floors_are_read_out_beside_its_figures() -> None:
    results = _results()
    mixed = results["figures"][1]["detail"]
    mixed.update(workers=2, worker="gthread (8 threads)", read_alone_mean_ms=_spread(34, 33, 36),
                 read_floor_ms=_spread(272, 264, 288), write_under_load_floor=9.0, read_sql_ms=19.2,
                 read_sql_floor_ms=153.6)
    section = bench_table.block(results)
    assert ("A read alone (one connection) takes 34.00 ms on average, so 16 closed-loop connections on "
            "2 workers, gthread (8 threads), cannot average below 272 ms a read") in section
    assert "cannot, under fair scheduling, be faster than 9.00× its time alone" in section
    assert ("its own SQL (19.20 ms on average, the floors above), they could not average below 154 ms"
            in section)
    assert "A read alone" not in bench_table.block(_results())  # a run without them says nothing


def test_the_worker_starts_floor_is_read_out_when_the_run_measured_it() -> None:
    results = _results()
    results["figures"][2]["detail"].update(models_s=1.75, floor_ratio=1.25)
    results["figures"].insert(2, {"name": "worker start floor: the libraries and the service's tables …",
                                  "value": 1.25, "unit": "x", "target": "-", "met": None,
                                  "detail": {"models_s": 1.75, "libraries_s": 1.4}, "spread": [1.2, 1.3]})
    section = bench_table.block(results)
    assert "import + `create_app` 1.90 s against 1.40 s for flask alone (1.36×" in section
    assert "mappers configured, takes 1.75 s (1.25×)" in section
    assert "mappers configured" not in bench_table.block(_results())  # older runs did not measure it
