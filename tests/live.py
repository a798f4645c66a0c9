"""A real gunicorn (2 sync workers) on a free loopback port, and a small HTTP client for it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "gunicorn.conf.py"  # the deployment's own settings and redacting logger

# How long a start may take. A gunicorn start (2 workers: import + create_app each) took
# 21.5-26.2 s (three starts) on the 2-core machine at load 14, past the 20 s once allowed; the
# limit is ten times the slowest start seen in this run, and never below START_FLOOR_S, so a
# busy machine makes a test slow, never red.
START_FLOOR_S = 90.0
_starts: list[float] = []


def start_limit() -> float:
    """The seconds a server (or a process it restarts) may take to become ready."""
    return max(START_FLOOR_S, 10 * max(_starts, default=0.0))


def wait_until(condition: Callable[[], bool], what: str, timeout: float | None = None) -> float:
    """Poll `condition` until it holds (the seconds it took); fail after `timeout`
    (default: `start_limit()`)."""
    began = time.monotonic()
    deadline = began + (start_limit() if timeout is None else timeout)
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic() - began
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {deadline - began:.0f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`gunicorn -w 2 service.wsgi:app` in its own process group, over `database_url`."""

    def __init__(self, database_url: str, log: Path, **env: str) -> None:
        self.database_url, self.log_path, self.extra_env = database_url, log, env
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float | None = None) -> Server:
        """Start, and return once `/health` answers 200 (within `start_limit()`)."""
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "DATABASE_URL": self.database_url, "SECRET_KEY": "live-test-secret",
               "ENV": "development", **self.extra_env}
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "-w", "2", "-k", "sync",
             "-b", f"127.0.0.1:{port}", "--timeout", "30", "--graceful-timeout", "3", "service.wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        began = time.monotonic()
        deadline = began + (start_limit() if timeout is None else timeout)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-2000:]}")
            if self.healthy():
                _starts.append(time.monotonic() - began)
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {deadline - began:.0f} s: "
                           f"{self.log_path.read_text()[-2000:]}")

    def healthy(self) -> bool:
        try:
            return call("GET", f"{self.url}/health", timeout=5)[0] == 200
        except OSError:
            return False

    def workers(self) -> list[int]:
        """The worker processes' ids (children of the gunicorn master)."""
        assert self.proc is not None
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                found.append(int(stat.parent.name))
        return found

    def crash(self) -> None:
        """kill -9 the master and every worker at once, like a power cut."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.crash()
        if getattr(self, "log", None):
            self.log.close()


def call(method: str, url: str, *, body: Any = None, headers: dict[str, str] | None = None,
         timeout: float = 30) -> tuple[int, dict[str, str], Any]:
    """One request; (status, headers, parsed JSON or text). Raises OSError if the connection dies."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={  # noqa: S310
        **({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - loopback only
            status, raw, hdrs = r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        status, raw, hdrs = e.code, e.read(), dict(e.headers)
    text = raw.decode("utf-8", "replace")
    try:
        return status, hdrs, json.loads(text)
    except ValueError:
        return status, hdrs, text


def start_scheduler(database_url: str, log: Path, **env: str) -> subprocess.Popen[bytes]:
    """`flask --app service scheduler run` over `database_url`, in its own process group."""
    flask = Path(sys.executable).parent / "flask"
    return subprocess.Popen(
        [str(flask), "--app", "service", "scheduler", "run"], cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "live-test-secret",
             "ENV": "development", **env},
        stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


def kill_9(proc: subprocess.Popen[bytes]) -> None:
    """kill -9 a process and everything in its group, and reap it."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
