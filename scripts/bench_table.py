"""Write the README's benchmark figures from `bench/results.json` (run by `make bench`).

Everything between `<!-- bench:start -->` and `<!-- bench:end -->` in README.md is replaced:
the run's machine, the table (median, spread of the rounds, target, met) and the sentences
that read the figures out. Nothing there is written by hand.

    python scripts/bench_table.py [RESULTS_JSON] [README]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
MARKERS = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)


def _num(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def table(figures: list[dict[str, Any]]) -> str:
    rows = [("figure", "value", "rounds' spread", "unit", "target", "met")]
    for f in figures:
        spread = f.get("spread")
        rows.append((f["name"], _num(f["value"]), f"{_num(spread[0])} – {_num(spread[1])}" if spread else "",
                     f["unit"], f["target"], {True: "yes", False: "**NO**", None: "-"}[f["met"]]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _figure(figures: list[dict[str, Any]], prefix: str) -> dict[str, Any] | None:
    return next((f for f in figures if f["name"].startswith(prefix)), None)


def prose(figures: list[dict[str, Any]]) -> list[str]:  # noqa: C901 - one sentence per figure group
    """The sentences that read the run's figures out, each from the figure's own detail."""
    out = []
    for db in ("SQLite", "PostgreSQL"):
        dash = _figure(figures, f"computed dashboard vs its own SQL on the bare driver ({db})")
        lists = _figure(figures, f"computed 50-row event list vs its own SQL ({db})")
        if dash:
            d = dash["detail"]
            out.append(f"- *Computed dashboard, {db}*: {_num(d['computed_ms']['median'])} ms a request "
                       f"in-process against {_num(d['floor_ms']['median'])} ms for its own "
                       f"{d['statements_max']} statements replayed on the bare driver: "
                       f"{_num(d['ratio']['median'])}× (rounds {_num(d['ratio']['min'])}–"
                       f"{_num(d['ratio']['max'])}×, {d['rounds']} rounds; on this process's CPU alone "
                       f"{_num(d['cpu_ratio']['median'])}×).")
        if lists:
            d = lists["detail"]
            out.append(f"- *Computed 50-row event lists, {db}* ({len(d['statements'])} pages and filters, "
                       f"{d['statements_max']} statements at most): {_num(d['computed_ms']['median'])} ms "
                       f"a request against {_num(d['floor_ms']['median'])} ms of SQL: "
                       f"{_num(d['ratio']['median'])}× (rounds {_num(d['ratio']['min'])}–"
                       f"{_num(d['ratio']['max'])}×).")
        mixed = _figure(figures, f"mixed workload: read p99 ({db})")
        if mixed:
            m = mixed["detail"]
            out.append(
                f"- *Mixed workload, {db}* ({m['countries']} liaisons, {m['read_paths']} read paths "
                f"round-robin, {m['tool']} at {m['connections']} connections; {m['write_rate_per_s']:g} "
                f"writes/s; {m['rounds']} rounds of {m['seconds']} s): reads {_num(m['read_rps']['median'])} "
                f"req/s against the bare app's {_num(m['bare_rps']['median'])} "
                f"({_num(m['read_vs_bare']['median'])}×), p50 {_num(m['read_p50_ms']['median'])} ms, "
                f"p99 {_num(m['read_p99_ms']['median'])} ms; {m['writes']} writes under that load, p50 "
                f"{_num(m['write_p50_ms']['median'])} ms, p99 {_num(m['write_p99_ms']['median'])} ms, "
                f"against p50 {_num(m['alone_write_p50_ms']['median'])} ms with no readers; "
                f"{m['read_errors']} read and {m['write_errors']} write errors "
                f"(write statuses {', '.join(map(str, m['write_statuses']))}).")
            if "read_floor_ms" in m:  # the closed loop's floors (bench/mixed.py)
                out.append(
                    f"  A read alone (one connection) takes {_num(m['read_alone_mean_ms']['median'])} ms on "
                    f"average, so {m['connections']} closed-loop connections on {m['workers']} workers, "
                    f"{m['worker']}, cannot average below "
                    f"{_num(m['read_floor_ms']['median'])} ms a read, whatever the scheduling; a write "
                    f"sharing a worker with {m['connections'] // m['workers']} reads cannot, under fair "
                    f"scheduling, be faster than {_num(m['write_under_load_floor'])}× its time alone."
                    + (f" Were a read to cost only its own SQL ({_num(m['read_sql_ms'])} ms on average, "
                       f"the floors above), they could not average below {_num(m['read_sql_floor_ms'])} ms."
                       if "read_sql_floor_ms" in m else ""))
    start = _figure(figures, "worker start (")
    if start:
        s = start["detail"]
        late = ", ".join(s["loaded_at_start"]) or "none of them"
        out.append(f"- *Worker start*: import + `create_app` {_num(s['app_s'])} s against "
                   f"{_num(s['libraries_s'])} s for {', '.join(s['libraries'])} alone "
                   f"({_num(s['ratio'])}×, median of {s['runs']} fresh processes each, alternating); "
                   f"libraries loaded only where used that a worker still loads at start: {late}."
                   + (f" The floor under it, the libraries with the service's tables imported and "
                      f"their mappers configured, takes {_num(s['models_s'])} s "
                      f"({_num(s['floor_ratio'])}×): what `create_app` adds above it is the routes, "
                      f"the views and the schemas." if "models_s" in s else ""))
    missed = [f["name"] for f in figures if f["met"] is False]
    out.append("- *Targets not met in this run*: " + ("; ".join(missed) if missed else "none") + ".")
    return out


def block(results: dict[str, Any]) -> str:
    meta, figures = results["meta"], results["figures"]
    quick = (" **A shortened run (`--quick`): it shows that the benchmark works, not figures to go by.**"
             if meta.get("quick") else "")
    head = (f"Latest `make bench`: {meta['date']}, {meta['cpus']} cores ({meta['cpu']}), Python "
            f"{meta['python']}, SQLite {meta['sqlite']}, {meta['wrk']}, gunicorn `{meta['gunicorn']}`."
            f"{quick}")
    return "\n\n".join([START, "<!-- written by scripts/bench_table.py from bench/results.json -->",
                        head, table(figures), "\n".join(prose(figures))]) + "\n" + END


def rewrite(readme: str, results: dict[str, Any]) -> str:
    if not MARKERS.search(readme):
        raise SystemExit(f"README has no {START} … {END} section")
    return MARKERS.sub(lambda _m: block(results), readme, count=1)


def main(argv: list[str]) -> None:
    results_path = Path(argv[1]) if len(argv) > 1 else ROOT / "bench" / "results.json"
    readme_path = Path(argv[2]) if len(argv) > 2 else ROOT / "README.md"  # noqa: PLR2004
    results = json.loads(results_path.read_text())
    readme_path.write_text(rewrite(readme_path.read_text(), results))
    print(f"{readme_path.name}: benchmark section written from {results_path}")


if __name__ == "__main__":
    main(sys.argv)
