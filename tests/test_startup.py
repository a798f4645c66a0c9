"""A web worker's start: what `create_app` loads and does before the first request."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.start import LATE  # `make bench` times the start against the libraries alone

ROOT = Path(__file__).resolve().parent.parent

START = f"""
import json, sys
import argon2

def refuse(*_a, **_k):
    raise AssertionError("a password was hashed while the application started")

argon2.PasswordHasher.hash = refuse
from service import create_app
create_app({{"DATABASE_URL": "sqlite://", "SECRET_KEY": "s" * 40}})
print(json.dumps([m for m in {LATE!r} if m in sys.modules]))
"""


def test_a_worker_starts_without_the_libraries_only_some_requests_need() -> None:
    done = subprocess.run([sys.executable, "-c", START], cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
