"""The planning board and the schedule form's pickers in a real browser (Debian's Chromium):
on a desktop, a tablet and a 390-px phone. Skipped without Playwright or /usr/bin/chromium."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from tests import factories
from tests.browser import (
    DESKTOP,
    PHONE,
    chromium,
    chromium_available,
    horizontal_overflow,
    migrated_app,
    open_page,
)
from tests.browser import serve as serve_app
from tests.browser import sign_in as browser_sign_in

pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium")

TABLET = {"width": 768, "height": 1024}
MONDAY = dt.datetime(2030, 3, 4, 7, 0, tzinfo=dt.UTC)  # 08:00 in Warsaw
BOARD = "/planning?country=PL&system={k9}&from=2030-03-04&to=2030-04-28"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The test world with three K9A1 instructors, one booked on Monday 4 March 2030."""
    from service.core.db import get_engine

    app = migrated_app(tmp_path_factory.mktemp("planning") / "web.db")
    engine = get_engine(app)
    world = factories.build_world(engine)
    world.app = app
    people = [factories.add_staff(engine, name, skills=["instructor:K9A1", "interpreter:pl"])
              for name in ("Park Ji-hoon", "Kang Min-seo", "Han Do-yoon")]
    world.ids["busy_event"] = factories.add_event(engine, world, staff=people[:1], starts_at=MONDAY,
                                                  units=world.ids["units_PL"][:1], hours=9,
                                                  title="Gunnery week Orzysz")
    with serve_app(app) as base:
        yield {"base": base, "world": world, "board": BOARD.format(k9=world.ids["k9"])}
    engine.dispose()


@pytest.fixture(scope="module")
def browser(site: dict[str, Any]) -> Iterator[Any]:
    with chromium() as b:
        yield b


def _page(browser: Any, viewport: dict[str, int]) -> Any:
    return open_page(browser, viewport=viewport)


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET, PHONE], ids=["desktop", "tablet", "phone"])
def test_the_board_scrolls_in_its_own_box_and_links_the_booking(browser, site, viewport):
    page = _page(browser, viewport)
    browser_sign_in(page, site["base"], "staff@example.org", factories.PASSWORD)
    page.goto(site["base"] + site["board"])
    assert page.get_by_role("heading", name="Staff · 3 with instructor:K9A1").count() == 1
    assert horizontal_overflow(page, viewport["width"]) <= 0  # the page itself never scrolls sideways
    box = page.get_by_role("region", name="Staff by day")
    assert box.evaluate("e => e.scrollWidth > e.clientWidth")  # 56 days: the grid scrolls in its box
    booked = box.get_by_role("link", name="Park Ji-hoon 2030-03-04: booked for Gunnery week Orzysz")
    booked.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Gunnery week Orzysz"
    page.context.close()


@pytest.mark.parametrize("viewport, monday", [(DESKTOP, 4), (PHONE, 11)], ids=["desktop", "phone"])
def test_a_suggestion_opens_the_schedule_form_and_the_pickers_show_who_is_free(browser, site, viewport,
                                                                               monday):
    """A week each (the desktop run books Monday 4 March): the first proposal is its Monday."""
    page = _page(browser, viewport)
    browser_sign_in(page, site["base"], "staff@example.org", factories.PASSWORD)
    page.goto(site["base"] + site["board"])
    page.get_by_label("Needs (skill 1)").select_option("instructor:K9A1")
    page.locator("#count_1").fill("2")
    page.get_by_label("Operational units").fill("1")
    page.get_by_label("Earliest day").fill(f"2030-03-{monday:02d}")
    page.get_by_label("Latest day").fill(f"2030-03-{monday + 4:02d}")
    page.get_by_role("button", name="Suggest").click()
    page.wait_for_load_state()
    first = page.locator("ol.proposals li a").first
    assert first.inner_text().startswith(f"Mon {monday:02d} Mar 2030 08:00")
    first.click()
    page.wait_for_load_state()
    assert page.get_by_label("Starts").input_value() == f"2030-03-{monday:02d}T08:00"
    assert page.get_by_label("Ends").input_value() == f"2030-03-{monday:02d}T17:00"
    picker = page.get_by_role("region", name="Staff to choose")
    assert picker.locator("input[name=staff]:checked").count() == 2
    units = page.get_by_role("region", name="Units to choose")
    if monday == 4:  # Park and K9-PL-000 are booked then; the pickers say by what
        assert page.get_by_label("Kang Min-seo").is_checked()
        assert page.get_by_label("Han Do-yoon").is_checked()
        assert not page.get_by_label("Park Ji-hoon").is_checked()
        assert "booked: Gunnery week Orzysz" in picker.locator("tr", has_text="Park Ji-hoon").inner_text()
        assert "booked: Gunnery week Orzysz" in units.locator("tr", has_text="K9-PL-000").inner_text()
    assert "free" in picker.locator("tr", has_text="Han Do-yoon").inner_text()
    page.get_by_label("How many units").fill("2")
    page.get_by_role("button", name="Pick the first N operational free then").click()
    page.wait_for_load_state()
    expected = ["K9-PL-001", "K9-PL-002"] if monday == 4 else ["K9-PL-000", "K9-PL-001"]
    assert all(page.get_by_label(serial).is_checked() for serial in expected)
    assert horizontal_overflow(page, viewport["width"]) <= 0
    page.get_by_label("Title").fill(f"Suggested course {viewport['width']}")
    page.get_by_label("Kind").select_option("joint_training")
    page.get_by_role("button", name="Schedule").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == f"Suggested course {viewport['width']}"
    page.context.close()


# The services list and the board in both languages (issue 18): the browser's language picks it.
IN_KOREAN = {  # path: (the Korean heading, English the Korean page must not show)
    "/services": ("후속 지원", ["Matching services", "Month calendar", "Any kind", "Starts before"]),
    "board": ("지원 계획", ["Suggest a slot", "Who and what is free", "Staff by day", "Earliest day"]),
}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_services_list_and_the_board_in_korean_and_in_english(browser, site, viewport):
    for locale in ("ko-KR", "en-GB"):
        page = open_page(browser, viewport=viewport, locale=locale)  # its Accept-Language
        context = page.context
        browser_sign_in(page, site["base"], "staff@example.org", factories.PASSWORD)
        for path, (heading, english) in IN_KOREAN.items():
            page.goto(site["base"] + (site["board"] if path == "board" else path))
            assert page.locator("html").get_attribute("lang") == locale[:2]
            h1 = page.get_by_role("heading", level=1).inner_text()
            main = page.locator("main").inner_text()
            if locale == "ko-KR":
                assert h1 == heading and [t for t in english if t in main] == [], (path, main[:500])
            else:
                assert h1 == ("Services" if path == "/services" else "Planning")
                assert all(t in main for t in english[:2]), (path, main[:500])
            assert horizontal_overflow(page, viewport["width"]) <= 0  # longer words never widen the page
        box = page.get_by_role("region", name="일자별 담당관" if locale == "ko-KR" else "Staff by day")
        name = ("Park Ji-hoon 2030-03-04: Gunnery week Orzysz 배정" if locale == "ko-KR"
                else "Park Ji-hoon 2030-03-04: booked for Gunnery week Orzysz")
        box.get_by_role("link", name=name).click()  # the board's cells are named in the page's language
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text() == "Gunnery week Orzysz"
        when = "일시 및 장소" if locale == "ko-KR" else "When and where"
        assert when in page.locator("main").inner_text()
        context.close()
