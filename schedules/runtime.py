"""The application the jobs run against, bound once by `register_jobs`.

Jobs are stored by reference with simple arguments only, so they cannot carry the Flask
app; they ask for it here. A job run without a bound app (e.g. from a fresh process) builds
one from the environment, exactly as `flask --app service` does.
"""

from __future__ import annotations

from flask import Flask

_app: Flask | None = None


def bind(app: Flask) -> None:
    global _app
    _app = app


def app() -> Flask:
    global _app
    if _app is None:
        from service import create_app

        _app = create_app()
    return _app
