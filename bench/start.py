"""Worker start: what a fresh gunicorn worker pays before it can answer, against the libraries alone.

Each run is a fresh interpreter timing, from its first line, either `import service` +
`create_app(...)` (what `service.wsgi` does) or importing Flask, SQLAlchemy, SQLModel,
marshmallow and flask-smorest alone; the sides alternate, run after run.

A third side is the floor under the target: the libraries and the service's tables alone (the
`models` package imported and its mappers configured, with the collector paused as
`create_app` pauses it). Any worker of this service pays it before it has a route or a view;
what `create_app` costs above it is the routes, the views and the schemas.
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
MODELS = _TIMER.replace("{body}", "\n".join(
    [f"import {m}" for m in LIBRARIES]
    + ["import gc", "gc.disable()", "import models", "from sqlalchemy.orm import configure_mappers",
       "configure_mappers()", "gc.enable()"]))


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
    """Median seconds of each side over `runs` fresh processes, alternating; the ratios of the
    application and of the tables alone to the libraries alone."""
    config = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret-" + "x" * 32}
    sides = {"app": APP.format(config=config, late=LATE), "libraries": BARE.format(late=LATE),
             "models": MODELS.format(late=LATE)}
    samples: dict[str, list[float]] = {k: [] for k in sides}
    late: list[str] = []
    _run(sides["app"])  # warm the file cache (bytecode, shared libraries) for every side
    for n in range(runs):
        order = list(sides.items())
        for key, code in order if n % 2 == 0 else order[::-1]:
            out = _run(code)
            samples[key].append(out["s"])
            if key == "app":
                late = out["late"]
    ratios = [a / b for a, b in zip(samples["app"], samples["libraries"], strict=True)]
    floors = [m / b for m, b in zip(samples["models"], samples["libraries"], strict=True)]
    return {"app_s": statistics.median(samples["app"]),
            "libraries_s": statistics.median(samples["libraries"]),
            "models_s": statistics.median(samples["models"]),
            "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
            "floor_ratio": statistics.median(floors), "floor_min": min(floors),
            "floor_max": max(floors),
            "runs": runs, "libraries": list(LIBRARIES), "loaded_at_start": late,
            "app_runs_s": samples["app"], "libraries_runs_s": samples["libraries"],
            "models_runs_s": samples["models"]}
