"""`make bench`: issue 7's figures on the bench data set, side by side with the machine's limits.

Prints a table, writes `bench/results.json` and the README's benchmark table. Options:
`--reuse` keeps the databases of the last run (no seeding figure), `--only a,b` runs some
figures (seed, http, satisfaction, report, all_reports, history, sql). BENCH_DATABASE_URL
(a PostgreSQL database the benchmark may empty) adds the HTTP figures on PostgreSQL;
BENCH_SECONDS (10) and BENCH_ROUNDS (5) set the load runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
from pathlib import Path
from typing import Any

from bench import data, harness, inproc, pool
from bench.harness import ROOT, Figure, Results

OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results.json"
README = ROOT / "README.md"
LIAISON = "liaison.pl@k-sustain.example"
CODE = "PL"
STEPS = ("seed", "http", "satisfaction", "report", "all_reports", "history", "sql")


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    found = shutil.which("wrk")
    wrk = subprocess.run([found, "-v"], capture_output=True, text=True, check=False) if found else None  # noqa: S603
    return {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "cpus": os.cpu_count(),
            "cpu": cpu, "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "wrk": (wrk.stdout + wrk.stderr).split("\n")[0].strip() if wrk else "not installed: thread pool",
            "gunicorn": " ".join(harness.GUNICORN_ARGS)}


def http_figures(results: Results, url: str, token: str, *, label: str, rounds: int,
                 seconds: int) -> None:
    """Bare app, dashboard, list and the service's own floors, round after round, same servers."""
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret-" + "x" * 32}
    auth = {"Authorization": f"Bearer {token}"}
    paths = {"dashboard": (f"/api/v1/countries/{CODE}/status", auth),
             "list": (f"/api/v1/events?country={CODE}&page_size=50", auth),
             "floor_me": ("/api/v1/me", auth), "floor_health": ("/health", {})}
    runs: dict[str, list[harness.Load]] = {k: [] for k in ("bare", "floor_query", *paths)}
    with harness.gunicorn("bench.bare_app:app", {}) as bare, \
            harness.gunicorn("bench.bare_app:with_database", env) as bare_query, \
            harness.gunicorn("service.wsgi:app", env, health="/health") as service:
        for n in range(rounds):
            runs["bare"].append(harness.load(bare + "/", seconds=seconds))
            runs["floor_query"].append(harness.load(bare_query + "/", seconds=seconds))
            for key, (path, headers) in paths.items():
                runs[key].append(harness.load(service + path, seconds=seconds, headers=headers))
            print(f"  [{label}] round {n + 1}: " + ", ".join(
                f"{k} {v[-1].rps:,.0f}/s p99 {v[-1].p99_ms:.1f} ms" for k, v in runs.items()), flush=True)

    def ratio(key: str) -> float:
        return statistics.median(s.rps / b.rps for s, b in zip(runs[key], runs["bare"], strict=True))

    def detail(key: str) -> dict[str, Any]:
        return {"rps_median": statistics.median(x.rps for x in runs[key]),
                "bare_rps_median": statistics.median(x.rps for x in runs["bare"]),
                "p50_ms_median": statistics.median(x.p50_ms for x in runs[key]),
                "p99_ms_median": statistics.median(x.p99_ms for x in runs[key]),
                "non_2xx": sum(x.errors for x in runs[key]), "rounds": rounds, "seconds": seconds,
                "connections": 16, "tool": runs[key][0].tool, "path": paths.get(key, ("/",))[0]}

    def ok(key: str, met: bool) -> bool:
        return met and not any(x.errors for x in runs[key])

    d, lst = ratio("dashboard"), ratio("list")
    p99 = statistics.median(x.p99_ms for x in runs["dashboard"])
    results.add(Figure(f"dashboard throughput ({label})", d, "x bare app", ">= 0.5",
                       ok("dashboard", d >= 0.5), detail("dashboard")))
    results.add(Figure(f"dashboard p99 ({label})", p99, "ms", "< 50", ok("dashboard", p99 < 50),
                       detail("dashboard")))
    results.add(Figure(f"list throughput ({label})", lst, "x bare app", ">= 0.25",
                       ok("list", lst >= 0.25), detail("list")))
    results.add(Figure(f"floor: bare app + one SELECT 1 per request ({label})", ratio("floor_query"),
                       "x bare app", "-", None, detail("floor_query")))
    results.add(Figure(f"uncached: GET /api/v1/me, one ORM read ({label})", ratio("floor_me"), "x bare app",
                       "-", None, detail("floor_me")))
    results.add(Figure(f"floor: GET /health, no auth ({label})", ratio("floor_health"), "x bare app",
                       "-", None, detail("floor_health")))


def main() -> None:  # noqa: C901, PLR0912, PLR0915 - one straight script, step by step
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--only", default=",".join(STEPS))
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    only = set(args.only.split(","))
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    OUT.mkdir(parents=True, exist_ok=True)
    results, meta = Results(), machine()
    print(f"K-Sustain benchmark, {meta['date']}, {meta['cpus']} cores ({meta['cpu']})", flush=True)

    long_db, short_db = OUT / "bench-10y.db", OUT / "bench-1y.db"
    url10, url1 = f"sqlite:///{long_db}", f"sqlite:///{short_db}"
    if not (args.reuse and long_db.exists() and short_db.exists()):
        print("seeding the bench data set (10 years) into a fresh SQLite ...", flush=True)
        seeded = data.migrate_and_seed(data.fresh_sqlite(long_db))
        meta["data_set_10y"] = seeded
        results.add(Figure("seeding the bench data set", seeded["seconds"], "s", "< 120",
                           seeded["seconds"] < 120, seeded))
        print("seeding the 1-year variant (--years 1) ...", flush=True)
        meta["data_set_1y"] = data.migrate_and_seed(data.fresh_sqlite(short_db), "--years", "1")
    meta["rows_10y"], meta["rows_1y"] = data.counts(url10), data.counts(url1)
    token10, token1 = data.token(url10, LIAISON), data.token(url1, LIAISON)

    if "http" in only:
        print("HTTP throughput, SQLite ...", flush=True)
        http_figures(results, url10, token10, label="SQLite", rounds=rounds, seconds=seconds)
        pg = os.environ.get("BENCH_DATABASE_URL", "")
        if pg.startswith("postgres"):
            print("HTTP throughput, PostgreSQL (seeding it first) ...", flush=True)
            data.reset_postgres(pg)
            meta["data_set_postgresql"] = data.migrate_and_seed(pg)
            http_figures(results, pg, data.token(pg, LIAISON), label="PostgreSQL",
                         rounds=rounds, seconds=seconds)

    app10, app1 = inproc.app_for(url10), inproc.app_for(url1)
    period = inproc.last_month()
    meta["report_period"] = period
    if "satisfaction" in only:
        s = inproc.satisfaction_all_countries(app10)
        results.add(Figure("satisfaction figures, all countries, 12 months by month", s * 1000, "ms",
                           "< 100", s < 0.1, {"median_of": 15}))
    if "report" in only:
        country = inproc.busiest_country(app10, period)
        r = inproc.one_report(app10, country, period)
        detail = {"country": country, "period": period, "generate_s": r["generate"],
                  "weasyprint_alone_s": r["weasyprint"], "median_of": 7}
        results.add(Figure("one country's monthly report", r["generate"], "s", "< 2",
                           r["generate"] < 2, detail))
        ratio = r["generate"] / r["weasyprint"]
        results.add(Figure("one report vs WeasyPrint alone", ratio, "x", "<= 1.25", ratio <= 1.25, detail))
    if "all_reports" in only:
        print("every monthly report, 2 processes ...", flush=True)
        every = pool.every_report(url10, period, workers=2)
        every["period"] = period
        results.add(Figure("every monthly report (50 + HQ), 2 processes", every["seconds"], "s", "< 90",
                           every["seconds"] < 90 and not every["failed"], every))
        results.add(Figure("peak memory of a report process", every["peak_rss_mb"], "MB", "< 400",
                           every["peak_rss_mb"] < 400, every))
    if "history" in only:
        h = inproc.history((app1, token1), (app10, token10), CODE, period)
        h.update(period=period, country=CODE, rows_1y=meta["rows_1y"], rows_10y=meta["rows_10y"])
        rep, dash = h["report_10y"] / h["report_1y"], h["dashboard_10y"] / h["dashboard_1y"]
        results.add(Figure("history: report 10 y / 1 y", rep, "x", "<= 1.1", rep <= 1.1, h))
        results.add(Figure("history: dashboard 10 y / 1 y", dash, "x", "<= 1.1", dash <= 1.1, h))
        results.add(Figure("dashboard computed (read cache off), in-process CPU", h["dashboard_10y"] * 1000,
                           "ms", "-", None, {"note": "what a request costs after a write"}))
    if "sql" in only:
        paths = [f"/api/v1/countries/{CODE}/status", f"/api/v1/countries/{CODE}/fleet"]
        paths += [f"/api/v1/events?country={CODE}&page_size={n}" for n in (1, 100)]
        counts = {"10y": inproc.statements(app10, token10, paths),
                  "1y": inproc.statements(app1, token1, paths)}
        lists = {n: counts[h][p] for h in counts for p in paths if "events" in p for n in [f"{h} {p}"]}
        dash = {h: counts[h][paths[0]] for h in counts}
        same = len(set(lists.values())) == 1 and len(set(dash.values())) == 1
        results.add(Figure("SQL statements: dashboard", dash["10y"], "statements",
                           "same for 1 y / 10 y", len(set(dash.values())) == 1, counts))
        results.add(Figure("SQL statements: events list", lists[f"10y {paths[3]}"], "statements",
                           "same for page 1 / 100, 1 y / 10 y", same, counts))
        hit = inproc.statements(inproc.app_for(url10, read_cache=True), token10, [paths[0], paths[3]])
        results.add(Figure("SQL statements: dashboard or list from the read cache", max(hit.values()),
                           "statements", "-", None, hit))

    results.write(RESULTS, meta)
    table = results.table()
    print("\n" + table)
    if not args.no_readme and only == set(STEPS):
        update_readme(table, meta)


def update_readme(table: str, meta: dict[str, Any]) -> None:
    """Replace the table between the README's benchmark markers with this run's."""
    text = README.read_text()
    block = (f"<!-- bench:start -->\nLatest `make bench`: {meta['date']}, {meta['cpus']} cores "
             f"({meta['cpu']}), Python {meta['python']}, SQLite {meta['sqlite']}, {meta['wrk']}, "
             f"gunicorn `{meta['gunicorn']}`.\n\n{table}\n<!-- bench:end -->")
    pattern = re.compile(r"<!-- bench:start -->.*?<!-- bench:end -->", re.S)
    if pattern.search(text):
        README.write_text(pattern.sub(lambda _m: block, text))
    else:
        print("README has no <!-- bench:start --> marker; table not written there")


if __name__ == "__main__":
    main()
