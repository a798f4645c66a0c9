"""Benchmark plumbing: servers under gunicorn, wrk load, the figures (the table: scripts/bench_table.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@dataclass
class Figure:
    name: str
    value: float | None
    unit: str
    target: str
    met: bool | None
    detail: dict[str, Any] = field(default_factory=dict)
    spread: tuple[float, float] | None = None  # lowest and highest of the rounds the value is the median of


class Results:
    def __init__(self) -> None:
        self.figures: list[Figure] = []

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        mark = {True: "met", False: "NOT MET", None: "-"}[figure.met]
        value = "n/a" if figure.value is None else f"{figure.value:,.2f}"
        spread = f" [{figure.spread[0]:,.2f}-{figure.spread[1]:,.2f}]" if figure.spread else ""
        print(f"  {figure.name}: {value}{spread} {figure.unit} (target {figure.target}) {mark}", flush=True)
        return figure

    def write(self, path: Path, meta: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # default=str: a detail may hold a rule's message, a lazy string translated when shown
        path.write_text(json.dumps({"meta": meta, "figures": [asdict(f) for f in self.figures]},
                                   indent=2, default=str) + "\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until `url` answers (or `proc`, the server, exits): bounded by `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not come up")


WORKERS = 2
GUNICORN_ARGS = ["--workers", str(WORKERS),
                 "--backlog", "256", "--timeout", "60", "--log-level", "warning"]
# The service's workers, as the deployment's gunicorn.conf.py runs them: threaded, a thread for each
# of the connections a worker gets. Measured side by side on the mixed workload (SQLite, 3
# interleaved rounds, a busy machine): sync / 4 threads / 8 threads gave reads 8.7 / 10.8 / 23.2 a
# second, read p99 3,004 / 3,473 / 1,860 ms, write p50 2,305 / 817 / 252 ms, write p99 2,744 /
# 2,486 / 665 ms: a sync worker holds every request, a write too, behind the reads accepted before
# it, and sits idle while its next request is on its way; threads share the worker and overlap
# their waits on the database (SQLite and psycopg release the GIL while they work).
CONNECTIONS = 16
WORKER: tuple[str, ...] = ("--worker-class", "gthread", "--threads", str(CONNECTIONS // WORKERS))


def worker_label(args: tuple[str, ...]) -> str:
    """`args`' worker class in words: "sync", "gthread (8 threads)"."""
    given = dict(zip(args[::2], args[1::2], strict=False))
    kind = given.get("--worker-class", "sync")
    return f"{kind} ({given['--threads']} threads)" if "--threads" in given else kind


@contextmanager
def gunicorn(app: str, env: dict[str, str], health: str = "/",
             extra: tuple[str, ...] = ()) -> Iterator[str]:
    """Serve `app` with the benchmark's server settings (and `extra` arguments, such as a worker
    class) on a loopback port; yields the base URL."""
    port = free_port()
    cmd = [str(VENV_BIN / "gunicorn"), *GUNICORN_ARGS, *extra, "--bind", f"127.0.0.1:{port}", app]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env},  # noqa: S603
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + health, proc=proc)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str
    mean_ms: float = float("nan")


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def _wrk(args: list[str], *, seconds: int, connections: int = 0) -> Load:
    """Run wrk (bounded: it stops itself after `seconds`; killed if it does not) and parse it."""
    wrk = shutil.which("wrk")
    assert wrk
    connections = connections or CONNECTIONS
    out = subprocess.run([wrk, f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s",  # noqa: S603
                          "--timeout", "10s", "--latency", *args], capture_output=True, text=True, check=True,
                         timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]  # wrk always prints it
    # Anchored to the latency distribution's own lines: "+/- Stdev" columns end in "…50%".
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]  # wrk always prints it
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]  # wrk always prints it
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    failed = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, failed.groups())) if failed else 0)
    mean = re.search(r"^\s*Latency\s+(\S+)", out, re.M)
    return Load(rps, p50, p99, errors, "wrk", _ms(mean.group(1)) if mean else float("nan"))


def load(url: str, *, seconds: int = 10, headers: dict[str, str] | None = None) -> Load:
    """Drive `url` with wrk (or a thread pool when wrk is missing); 2 s of warm-up excluded."""
    headers = headers or {}
    if shutil.which("wrk"):
        hdr = [a for k, v in headers.items() for a in ("-H", f"{k}: {v}")]
        _wrk([*hdr, url], seconds=2)
        return _wrk([*hdr, url], seconds=seconds)
    scheme, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    return _thread_load(f"{scheme}://{host}", [("/" + path, headers)], seconds=seconds)


def _lua(requests: list[tuple[str, dict[str, str]]]) -> str:
    """A wrk script sending `requests` round-robin (each thread from its own starting point)."""
    def quote(text: str) -> str:
        return json.dumps(text)  # a JSON string is a valid Lua string literal for ASCII text

    rows = [f'  {{{quote(path)}, {{{", ".join(f"[{quote(k)}] = {quote(v)}" for k, v in h.items())}}}}},'
            for path, h in requests]
    return "\n".join([
        "local requests = {", *rows, "}",
        "local built, n = {}, 0",
        "init = function(args)",
        "  for i, r in ipairs(requests) do built[i] = wrk.format('GET', r[1], r[2]) end",
        "  n = math.random(#built)",
        "end",
        "request = function()",
        "  n = n % #built + 1",
        "  return built[n]",
        "end", ""])


def load_many(base: str, requests: list[tuple[str, dict[str, str]]], *, seconds: int,
              warmup: int = 0, connections: int = 0) -> Load:
    """Drive `requests` (path, headers) round-robin at `base` for `seconds` (after `warmup`),
    over `connections` (default CONNECTIONS)."""
    connections = connections or CONNECTIONS
    if not shutil.which("wrk"):
        if warmup:
            _thread_load(base, requests, seconds=warmup, connections=connections)
        return _thread_load(base, requests, seconds=seconds, connections=connections)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(requests))
    try:
        if warmup:
            _wrk(["-s", script.name, base], seconds=warmup, connections=connections)
        return _wrk(["-s", script.name, base], seconds=seconds, connections=connections)
    finally:
        os.unlink(script.name)


def _thread_load(base: str, requests: list[tuple[str, dict[str, str]]], *, seconds: int,
                 connections: int = 0) -> Load:
    """wrk's stand-in: `connections` (CONNECTIONS) threads, each sending `requests` round-robin."""
    connections = connections or CONNECTIONS
    import concurrent.futures

    def worker(first: int, deadline: float) -> tuple[list[float], int]:
        lat, errors, n = [], 0, first
        while time.monotonic() < deadline:
            path, headers = requests[n % len(requests)]
            n += 1
            t = time.perf_counter()
            try:
                req = urllib.request.Request(base + path, headers=headers)  # noqa: S310
                with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310
                    r.read()
            except OSError:
                errors += 1
            lat.append((time.perf_counter() - t) * 1000)
        return lat, errors

    with concurrent.futures.ThreadPoolExecutor(connections) as pool:
        deadline = time.monotonic() + seconds
        results = list(pool.map(worker, range(0, connections * 7, 7), [deadline] * connections))
    lat = sorted(x for r in results for x in r[0])
    return Load(len(lat) / seconds, lat[len(lat) // 2], lat[max(0, int(len(lat) * 0.99) - 1)],
                sum(r[1] for r in results), "threads", sum(lat) / len(lat))
