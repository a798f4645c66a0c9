"""The pages in a real browser: Debian's Chromium, headless, against a real server.

Skipped when Playwright or /usr/bin/chromium is missing (.ci/run installs Chromium).
"""

from __future__ import annotations

import datetime as dt
import re
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
from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A migrated SQLite database with the test world, served on a free port."""
    from service.core.db import get_engine

    app = migrated_app(tmp_path_factory.mktemp("browser") / "web.db")
    engine = get_engine(app)
    world = factories.build_world(engine)
    world.app = app
    factories.add_overview_data(engine, world)
    with serve_app(app) as base:
        yield {"base": base, "world": world, "app": app, "engine": engine}
    engine.dispose()


@pytest.fixture(scope="module")
def browser(site: dict[str, Any]) -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    p = open_page(browser, viewport=DESKTOP)
    yield p
    p.context.close()


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
    assert page.locator("svg.trend-chart", has_text="Satisfaction").count() == 1  # besides availability
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
    expect(page.get_by_role("cell", name="Brow Ser")).to_have_count(1)


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
    page = open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    context = page.context
    try:
        if who:
            sign_in(page, site, who)
        for path in paths:
            page.goto(site["base"] + path)
            assert horizontal_overflow(page, PHONE["width"]) <= 0, path
    finally:
        context.close()


# --- services, requests, surveys, reports ---------------------------------------------------


def test_staff_schedule_a_service_fix_a_double_booking_and_complete_it(page, site):
    world, engine = site["world"], site["engine"]
    yoon = factories.add_staff(engine, "Yoon Da-eun")
    factories.add_event(engine, world, staff=[yoon], title="Earlier booking",
                        starts_at=factories.WHEN.replace(year=2031))
    sign_in(page, site, "staff")
    page.get_by_role("link", name="Services", exact=True).click()
    page.get_by_role("link", name="Schedule a service").click()
    page.get_by_label("Country", exact=True).select_option("PL")
    page.get_by_label("System", exact=True).select_option(label="K9A1 — K9A1 Thunder")
    page.get_by_label("Kind", exact=True).select_option("trial_run")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Title", exact=True).fill("Browser trial run")
    page.get_by_label("Starts", exact=True).fill("2031-03-04T10:00")  # 09:00 UTC: Yoon is booked 08:00-16:00
    page.get_by_label("Ends", exact=True).fill("2031-03-04T12:00")
    page.locator(f"#staff-{yoon}").check()  # the staff picker (SPEC §10): a box per person
    page.get_by_role("button", name="Schedule").click()
    assert "Yoon Da-eun is booked for service" in page.locator("#staff-error").inner_text()
    assert page.locator("#staff-picker").get_attribute("aria-describedby") == "staff-error"
    assert page.get_by_label("Title", exact=True).input_value() == "Browser trial run"  # kept as typed
    expect(page.get_by_role("alert").first).to_be_visible()
    page.get_by_label("Starts", exact=True).fill("2031-03-05T10:00")
    page.get_by_label("Ends", exact=True).fill("2031-03-05T12:00")
    page.get_by_role("button", name="Schedule").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Browser trial run"
    assert "Wednesday 05 March 2031, 10:00 CET" in page.locator("main").inner_text()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("Start the service early…").click()  # it is in 2031: the time guard asks why
    page.get_by_label(re.compile("^Why start before")).fill("The range is free a day early")
    page.locator("details[open]").get_by_role("button", name="Start").click()
    page.get_by_text("Complete the service…").click()
    page.get_by_label("Participants who took part", exact=True).fill("9")
    page.get_by_label("Outcome", exact=True).fill("Trial passed")
    page.get_by_label(re.compile("^Why complete before")).fill("Finished ahead of the plan")
    page.get_by_role("button", name="Complete", exact=True).click()
    assert "The service is now completed." in page.get_by_role("status").inner_text()
    assert page.locator(".page-head .badge").inner_text() == "Completed"


def test_a_survey_is_answered_by_its_link_on_a_phone_once(browser, site):
    _survey_id, token = factories.add_survey(site["app"], site["world"], title="Phone survey course")
    page = open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    context = page.context
    try:
        page.goto(f"{site['base']}/surveys/{token}")
        assert page.get_by_role("heading", level=1).inner_text() == "How did it go?"
        assert horizontal_overflow(page, PHONE["width"]) <= 0
        for question, value in (("overall", 5), ("instructors", 4), ("timeliness", 4),
                                ("documentation", 5), ("equipment", 4), ("recommend", 9)):
            page.locator(f'label[for="{question}-{value}"]').click()
        assert page.locator("#recommend-9").is_checked()
        page.get_by_label(re.compile("^Anything you would like us to know")).fill("Clear and well run.")
        page.get_by_role("button", name="Send my answers").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Thank you!"
        page.goto(f"{site['base']}/surveys/{token}")
        assert page.get_by_role("heading", level=1).inner_text() == "This survey was already answered"
        response = page.goto(f"{site['base']}/surveys/no-such-link")
        assert response.status == 404 and "not valid" in page.locator("h1").inner_text()
    finally:
        context.close()


def test_staff_generate_a_report_and_download_the_pdf(page, site):
    sign_in(page, site, "staff")
    page.get_by_role("link", name="Reports").click()
    page.get_by_label("Month", exact=True).last.fill("2025-01")
    page.locator("#country").select_option("PL")
    page.get_by_role("button", name="Generate").click()
    assert "Report PL 2025-01 generated" in page.get_by_role("status").inner_text()
    row = page.get_by_role("row", name=re.compile("January 2025"))
    link = row.get_by_role("link", name=re.compile("^Download"))
    answer = page.request.get(site["base"] + link.get_attribute("href"))  # the page's own cookie
    assert answer.headers["content-type"] == "application/pdf" and answer.body()[:4] == b"%PDF"
    with page.expect_download() as download:
        link.click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"


def test_a_liaison_files_a_request_and_sees_only_their_country(page, site):
    sign_in(page, site, "pl")
    page.get_by_role("link", name="Requests").click()
    page.get_by_label("Kind of service", exact=True).select_option("tech_education")
    page.get_by_label("System", exact=True).select_option(label="K2 — K2 Black Panther")
    page.get_by_label("Wished from", exact=True).fill("2031-09-01")
    page.get_by_label("Wished until", exact=True).fill("2031-09-10")
    page.get_by_label("What do you need?", exact=True).fill("Powerpack maintenance course")
    page.get_by_role("button", name="File the request").click()
    assert "Pending" in page.locator(".page-head").inner_text()
    assert "Powerpack maintenance course" in page.locator("main").inner_text()
    for path in ("/requests", "/services", "/services/calendar", "/surveys", "/actions", "/reports"):
        page.goto(site["base"] + path + "?country=NO")
        body = page.locator("body").inner_text()
        assert not any(m in body for m in ("Norway", "Rena leir", "Fire direction course NO")), path


def test_the_phone_calendar_lists_the_months_busy_days_only(browser, site):
    world, engine = site["world"], site["engine"]
    factories.add_event(engine, world, title="Winter course PL",
                        starts_at=dt.datetime(2032, 12, 9, 9, tzinfo=dt.UTC))
    factories.add_event(engine, world, title="New year drill PL",  # in December's last grid row
                        starts_at=dt.datetime(2033, 1, 2, 9, tzinfo=dt.UTC))
    page = open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    context = page.context
    try:
        sign_in(page, site, "pl")
        page.goto(site["base"] + "/services/calendar?month=2032-12")
        dates = page.locator(".calendar .day:visible .day-date").all_inner_texts()
        shown = [" ".join(t.split()) for t in dates]
        assert shown == ["Thu 9 December"], (page.url, page.locator("main").inner_text()[:300])
        page.set_viewport_size(DESKTOP)  # the grid still draws the neighbouring days
        assert page.locator(".calendar .day:visible").count() == 35
        expect(page.get_by_text("New year drill PL")).to_be_visible()
    finally:
        context.close()


NEW_PAGES = ["/services", "/services/calendar", "/services/1", "/requests", "/requests/1", "/surveys",
             "/surveys/1", "/actions", "/actions/1", "/reports", "/notifications", "/me"]


@pytest.mark.parametrize("who, paths", [
    (None, ["/surveys/tok-waiting-NO", "/surveys/gone"]),
    ("pl", NEW_PAGES),
    ("staff", [*NEW_PAGES, "/services/new", "/services/new?country=PL&system_id=1", "/services/1/edit"]),
])
def test_the_new_pages_fit_a_phone(browser, site, who, paths):
    page = open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    context = page.context
    try:
        if who:
            sign_in(page, site, who)
        for path in paths:
            page.goto(site["base"] + path)
            assert horizontal_overflow(page, PHONE["width"]) <= 0, path
    finally:
        context.close()


def test_the_api_docs_render_from_this_server_alone(browser, site):
    """Swagger UI draws the operations with the docs page's CSP and no request leaves the host."""
    page = open_page(browser, viewport=DESKTOP)
    context = page.context
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        page.goto(site["base"] + "/api/v1/docs")
        page.locator(".opblock").first.wait_for()
        assert page.locator(".opblock").count() > 50
        page.locator(".opblock-summary").first.click()  # an operation opens with its parameters
        page.locator(".opblock .parameters-container, .opblock .opblock-description-wrapper").first.wait_for()
        assert all(url.startswith(site["base"]) or url.startswith("data:") for url in requested), requested
        assert not problems, problems
    finally:
        context.close()


def test_a_country_admin_manages_liaisons_on_a_phone(browser, site):
    """Poland's administrator creates a liaison, sees only Poland's liaisons, and every page fits."""
    page = open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    context = page.context
    try:
        sign_in(page, site, "ca_pl")
        page.goto(site["base"] + "/users")
        assert horizontal_overflow(page, PHONE["width"]) <= 0
        assert "Sorted by role, then e-mail." in page.inner_text("main")
        page.fill("#email", "marta.wisniewska@example.org")
        page.fill("#name", "Marta Wiśniewska")
        page.fill("#password", "amber quiet lantern orbit")
        page.click("text=Create user")
        page.wait_for_url("**/users")
        rows = page.inner_text("table")
        assert "marta.wisniewska@example.org" in rows and "pl@example.org" in rows
        assert "no@example.org" not in rows and "staff@example.org" not in rows
        page.click("a:has-text('marta.wisniewska@example.org')")
        page.wait_for_url("**/users/*/edit")
        assert horizontal_overflow(page, PHONE["width"]) <= 0
        page.click("button:has-text('Issue a token')")
        assert page.locator("#new-token code").inner_text().startswith("kst_")
        for path in ("/audit", f"/users/{site['world'].ids['user_no']}/edit"):
            response = page.goto(site["base"] + path)
            assert horizontal_overflow(page, PHONE["width"]) <= 0, path
        assert response.status == 404  # Norway's liaison: not found
    finally:
        context.close()


def test_a_liaison_comments_on_a_corrective_action_on_a_phone(browser, site):
    page = open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    context = page.context
    try:
        sign_in(page, site, "pl")
        page.goto(site["base"] + "/actions/1")
        assert "The answer that opened it" in page.inner_text("main")
        page.fill("#body", "The unit asks for the make-up day in March.")
        page.click("button:has-text('Comment')")
        progress = page.locator("#progress")  # the old page has one too: wait for the answer's
        expect(progress).to_contain_text("The unit asks for the make-up day in March.")
        assert "pl" in progress.inner_text()
        assert "internal only" not in page.inner_text("main")
        assert horizontal_overflow(page, PHONE["width"]) <= 0
    finally:
        context.close()
def test_the_training_and_package_pages_fit_a_phone(browser, site):
    """The roster, certificates, a service's nominees, a contract's package and the public
    verification page at phone width (SPEC §11)."""
    import datetime as dt

    engine, world = site["engine"], site["world"]
    trainee = factories.add_trainee(engine, world, name="Aleksandra Wisniewska-Kaczmarczyk")
    event = factories.add_event(engine, world, capacity=4, title="Phone-width nominations course",
                                starts_at=dt.datetime(2031, 5, 5, 8, tzinfo=dt.UTC))
    factories.add_nomination(engine, world, event_id=event, trainee_id=trainee)
    cert = factories.add_certificate(engine, world, name="Bartholomew Szczepanski",
                                     valid_until=dt.date.today() + dt.timedelta(days=40))
    overdue = dt.date.today() - dt.timedelta(days=5)
    line = factories.add_package_line(engine, world, quantity=3, due_on=overdue,
                                      description="Recoil system spare kits, lot 2")
    factories.add_delivery(engine, world, line_id=line, quantity=2, status="disputed")
    package = f"/contracts/{world.ids['contract_PL']}/package"
    for who, paths in (("pl", ["/", "/trainees", "/certificates", f"/services/{event}", package]),
                       ("staff", ["/trainees", "/certificates", f"/services/{event}", package]),
                       (None, [f"/verify/{cert['number']}?code={cert['code']}",
                               f"/verify/{cert['number']}"])):
        page = open_page(browser, viewport=PHONE, is_mobile=True, has_touch=True)
        context = page.context
        try:
            if who:
                sign_in(page, site, who)
            for path in paths:
                page.goto(site["base"] + path)
                assert horizontal_overflow(page, PHONE["width"]) <= 0, (who, path)
        finally:
            context.close()
