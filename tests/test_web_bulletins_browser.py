"""Bulletin pages in a real browser on a phone (390 px): no horizontal scrolling, and a liaison
acknowledges a bulletin and records a unit's compliance by touch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests import factories
from tests.browser import PHONE, chromium, chromium_available, horizontal_overflow, migrated_app, open_page
from tests.browser import serve as serve_app
from tests.browser import sign_in as browser_sign_in

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from service.core.db import get_engine

    app = migrated_app(tmp_path_factory.mktemp("browser") / "web.db")
    engine = get_engine(app)
    world = factories.build_world(engine)
    world.app = app
    bid = factories.add_bulletin(engine, world, countries=["PL", "NO"],
                                 title="Breech block retaining pin: inspect and replace")
    with serve_app(app) as base:
        yield {"base": base, "world": world, "bulletin": bid}
    engine.dispose()


@pytest.fixture
def phone(site: dict[str, Any]) -> Iterator[Any]:
    with chromium() as browser:
        page = open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
        context = page.context
        yield page
        context.close()


@pytest.mark.parametrize("who", ["pl", "staff"])
def test_bulletin_pages_fit_a_phone(phone, site, who):
    browser_sign_in(phone, site["base"], f"{who}@example.org", factories.PASSWORD)
    bid = site["bulletin"]
    paths = ["/bulletins", f"/bulletins/{bid}"]
    if who == "staff":
        paths += ["/bulletins/new", f"/bulletins/{bid}/edit"]
    for path in paths:
        phone.goto(site["base"] + path)
        assert horizontal_overflow(phone, PHONE["width"]) <= 0, path


def test_a_liaison_acknowledges_and_records_a_unit_on_a_phone(phone, site, tmp_path):
    browser_sign_in(phone, site["base"], "pl@example.org", factories.PASSWORD)
    phone.goto(f"{site['base']}/bulletins")
    phone.get_by_role("link", name="K9A1-SB-0001").click()
    phone.get_by_role("button", name="Acknowledge revision 1").click()
    phone.wait_for_load_state()  # a click returns once the answer starts to arrive, not when it has
    expect(phone.get_by_text("Revision 1 acknowledged by pl")).to_be_visible()
    card = phone.locator(".unit-compliance li").filter(has_text="K9-PL-001")
    card.get_by_label("Status").select_option("done")
    card.get_by_label("Done on").fill("2026-11-20")
    card.get_by_role("button", name="Record K9-PL-001").click()
    phone.wait_for_load_state()
    expect(phone.get_by_text("Compliance recorded.")).to_be_visible()
    recorded = phone.locator(".unit-compliance li").filter(has_text="K9-PL-001").inner_text()
    assert "Done on 2026-11-20" in recorded
    assert "K9-NO-" not in phone.content()
    assert horizontal_overflow(phone, PHONE["width"]) <= 0
    phone.screenshot(path=str(tmp_path / "bulletin-phone.png"), full_page=True)
