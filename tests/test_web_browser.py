"""The pages in a real browser: Debian's Chromium, headless, against a real server.

Skipped when Playwright or /usr/bin/chromium is missing (.ci/run installs Chromium).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests import factories
from tests.browser import DESKTOP, PHONE, chromium, chromium_available, horizontal_overflow, migrated_app
from tests.browser import serve as serve_app
from tests.browser import sign_in as browser_sign_in

pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A migrated SQLite database with the test world, served on a free port."""
    from service.db import get_engine

    app = migrated_app(tmp_path_factory.mktemp("browser") / "web.db")
    engine = get_engine(app)
    world = factories.build_world(engine)
    factories.add_overview_data(engine, world)
    with serve_app(app) as base:
        yield {"base": base, "world": world}
    engine.dispose()


@pytest.fixture(scope="module")
def browser(site: dict[str, Any]) -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP)
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()


def sign_in(page: Any, site: dict[str, Any], who: str, password: str = factories.PASSWORD) -> None:
    browser_sign_in(page, site["base"], f"{who}@example.org", password)


def test_a_liaison_signs_in_and_sees_only_their_country(page, site):
    page.goto(site["base"] + "/countries")
    assert page.url.endswith("/login?next=/countries")
    sign_in(page, site, "pl")
    page.goto(site["base"] + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Poland"
    assert page.locator(".who-scope").inner_text() == "Liaison · Poland"
    assert page.get_by_role("link", name="My country").get_attribute("aria-current") == "page"
    body = page.locator("body").inner_text()
    assert "Fire direction course PL" in body and "K9A1" in body
    assert "Norway" not in body and "Rena leir" not in body and "K9-NO-" not in body
    assert page.locator("svg.trend-chart").count() == 1
    page.goto(site["base"] + "/countries/NO")
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    page.get_by_role("button", name="Sign out").click()
    assert "You are signed out." in page.locator("main").inner_text()


def test_a_wrong_password_says_so(page, site):
    sign_in(page, site, "pl", password="not my password")
    assert page.get_by_role("alert").inner_text() == "Wrong e-mail or password."
    assert page.get_by_label("E-mail").input_value() == "pl@example.org"
    assert page.get_by_label("Password").input_value() == ""


def test_staff_see_every_country_and_sort_the_table(page, site):
    sign_in(page, site, "staff")
    assert page.get_by_role("heading", level=1).inner_text() == "All countries at a glance"

    def countries() -> list[str]:
        return page.locator("tbody th[scope=row] a").all_inner_texts()

    assert countries() == ["Norway", "Poland"]
    page.get_by_role("link", name="CSAT").click()
    assert "sort=csat" in page.url and countries() == ["Norway", "Poland"]
    page.get_by_role("link", name=re.compile("^CSAT")).click()
    assert "sort=-csat" in page.url and countries() == ["Poland", "Norway"]
    assert page.locator("th[aria-sort=descending]").inner_text().startswith("CSAT")
    page.get_by_role("link", name="Norway").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Norway"


def test_admin_creates_a_user_through_the_form(page, site):
    sign_in(page, site, "admin")
    page.get_by_role("link", name="Users").click()
    page.get_by_label("E-mail").fill("browser.liaison@example.org")
    page.get_by_label("Name").fill("Brow Ser")
    page.get_by_label("Role").select_option("liaison")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Create user").click()
    error = page.locator("#country-error")
    assert error.inner_text() == "required for a liaison"
    assert page.get_by_label("Country").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("E-mail").input_value() == "browser.liaison@example.org"
    assert page.get_by_label("Role").input_value() == "liaison"
    page.get_by_label("Country").select_option("PL")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Create user").click()
    assert "User browser.liaison@example.org created." in page.get_by_role("status").inner_text()
    assert page.get_by_role("cell", name="Brow Ser").count() == 1


def test_the_skip_link_is_the_first_stop_and_focus_is_visible(page, site):
    page.goto(site["base"] + "/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


@pytest.mark.parametrize("who, paths", [
    (None, ["/login"]),
    ("pl", ["/", "/countries/NO"]),
    ("staff", ["/countries", "/countries/PL"]),
    ("admin", ["/users"]),
])
def test_no_horizontal_scrolling_on_a_phone(browser, site, who, paths):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        if who:
            sign_in(page, site, who)
        for path in paths:
            page.goto(site["base"] + path)
            assert horizontal_overflow(page, PHONE["width"]) <= 0, path
    finally:
        context.close()
