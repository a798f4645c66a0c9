"""Worker start: what a fresh gunicorn worker pays before it can answer, against the libraries alone.

Each run is a fresh interpreter timing, from its first line, either `import service` +
`create_app(...)` (what `service.wsgi` does) or importing Flask, SQLAlchemy, SQLModel,
marshmallow and flask-smorest alone; the two alternate, run after run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from typing import Any

from bench.harness import ROOT

LIBRARIES = ("flask", "sqlalchemy", "sqlmodel", "marshmallow", "flask_smorest")
# Loaded where they are used (reports, the scheduler and its jobs, calendar feeds, recurrences),
# not by every gunicorn worker at start; tests/test_startup.py keeps it so.
LATE = ("weasyprint", "apscheduler", "schedules", "icalendar", "dateutil.rrule", "zxcvbn")

_TIMER = """
import json, sys, time
started = time.perf_counter()
{body}
elapsed = time.perf_counter() - started
print(json.dumps({{"s": elapsed, "late": [m for m in {late!r} if m in sys.modules]}}))
"""
APP = _TIMER.replace("{body}", "from service import create_app\ncreate_app({config!r})")
BARE = _TIMER.replace("{body}", "\n".join(f"import {m}" for m in LIBRARIES))


def _run(code: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    # A worker runs from compiled bytecode (pip writes it for the libraries; the first start for
    # the service): with PYTHONDONTWRITEBYTECODE set, every start would compile the service's
    # sources again and the figure would time the compiler.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True, check=True, timeout=120)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def worker_start(url: str, *, runs: int = 7) -> dict[str, Any]:
    """Median seconds of each side over `runs` fresh processes, alternating; their ratio."""
    config = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret-" + "x" * 32}
    sides = {"app": APP.format(config=config, late=LATE), "libraries": BARE.format(late=LATE)}
    samples: dict[str, list[float]] = {k: [] for k in sides}
    late: list[str] = []
    _run(sides["app"])  # warm the file cache (bytecode, shared libraries) for both
    for n in range(runs):
        order = list(sides.items())
        for key, code in order if n % 2 == 0 else order[::-1]:
            out = _run(code)
            samples[key].append(out["s"])
            if key == "app":
                late = out["late"]
    ratios = [a / b for a, b in zip(samples["app"], samples["libraries"], strict=True)]
    return {"app_s": statistics.median(samples["app"]),
            "libraries_s": statistics.median(samples["libraries"]),
            "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
            "runs": runs, "libraries": list(LIBRARIES), "loaded_at_start": late,
            "app_runs_s": samples["app"], "libraries_runs_s": samples["libraries"]}
