"""A real server and Debian's Chromium, for the browser tests and scripts/screenshots.py."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from service import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def chromium_available() -> bool:
    return shutil.which(CHROMIUM) is not None


def migrated_app(db_file: Path) -> Flask:
    """An application over a fresh, migrated SQLite file. Every page test signs in from
    127.0.0.1, so the sign-in limit per address is raised (tests/test_security.py tests it)."""
    from service.core.migrate import upgrade

    app = create_app({"DATABASE_URL": f"sqlite:///{db_file}", "SECRET_KEY": "browser-tests-secret",
                      "LOGIN_RATE_LIMIT": "1000/300"})
    upgrade(app)
    return app


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 and a free port in a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextmanager
def chromium() -> Iterator[Any]:
    """The system Chromium, headless, driven by Playwright's sync API (never a downloaded one)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser: Any, **options: Any) -> Any:
    """A page in a new browser context (`options`: the context's, such as its viewport) whose
    waits, and `expect`'s, last as long as a server may take to start: a loaded machine slows
    a page, never fails it. Close it with `page.context.close()`."""
    from playwright.sync_api import expect

    from tests.live import start_limit

    limit = start_limit() * 1000
    expect.set_options(timeout=limit)
    context = browser.new_context(**options)
    context.set_default_timeout(limit)
    return context.new_page()


def sign_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.locator("#email").fill(email)  # by id: the page may be in Korean
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def horizontal_overflow(page: Any, width: int) -> int:
    """How many pixels the page is wider than `width` (0: no horizontal scrolling).

    It waits for the page to load first: right after a click that navigates, the new
    document has committed but may not have an element to measure yet."""
    page.wait_for_load_state()
    return int(page.evaluate("document.scrollingElement.scrollWidth")) - width
