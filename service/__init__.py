"""K-Sustain: the Flask application factory."""

from __future__ import annotations

import gc
import logging
from typing import Any

from flask import Flask

from service.core.config import Settings


def create_app(config: dict[str, Any] | Settings | None = None) -> Flask:
    """Build the application; `config` overrides the environment (tests pass a dict).

    Python's cyclic garbage collector is paused while the application is built: a worker's
    start makes some 230 000 objects (the models, schemas, routes) that all live as long as
    the worker, and collecting over and over while they are made found none of them garbage
    and cost a sixth of the start. It runs again, as before, once the application exists."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build_app(config)
    finally:
        if collecting:
            gc.enable()


def _build_app(config: dict[str, Any] | Settings | None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    settings = config if isinstance(config, Settings) else Settings.from_env()
    app.config.update(settings.flask_config())
    if isinstance(config, dict):
        app.config.update(config)
    register_logging(app)
    register_database(app)
    register_languages(app)
    register_security(app)
    register_hardening(app)
    register_errors(app)
    register_api(app)
    register_web(app)
    register_cli(app)
    register_scheduler(app)
    return app


def register_logging(app: Flask) -> None:
    if not app.debug and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
        # WeasyPrint narrates every layout step at INFO; its warnings and errors still show
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin


def register_database(app: Flask) -> None:
    from service.core import db

    db.init_app(app)


def register_languages(app: Flask) -> None:
    from service.core import i18n

    i18n.init_app(app)


def register_security(app: Flask) -> None:
    from service.core import auth, idempotency
    from service.web import csrf

    auth.init_app(app)
    csrf.init_app(app)  # after auth: a write the cookie authorised is refused before it runs
    idempotency.init_app(app)  # after both: a refused request reserves no key


def register_hardening(app: Flask) -> None:
    from service.core import security

    security.init_app(app)


def register_errors(app: Flask) -> None:
    from service.core.errors import register_error_handlers

    register_error_handlers(app)


def register_api(app: Flask) -> None:
    from service.api import register_api as _register

    _register(app)


def register_web(app: Flask) -> None:
    from service.web import register_web as _register

    _register(app)


def register_cli(app: Flask) -> None:
    from service.cli import register_commands

    register_commands(app)


def register_scheduler(app: Flask) -> None:
    from service.core.scheduler import register_in_process

    register_in_process(app)
