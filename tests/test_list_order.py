"""Lists in the order people read them (issue 20 item 6): each list says its order, sorts by its
main columns through `sort` (checked by its schema, the same in the API and the pages), and pages
through ties without repeating or skipping a row."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from models import CorrectiveAction
from service.core.db import session_scope
from service.domain import accounts, actions, reports, requests, services, surveys
from service.domain.deficiencies import queries
from service.schemas.deficiencies import DeficiencyQuerySchema
from service.schemas.identity import UserQuerySchema
from service.schemas.reports import ReportQuerySchema
from service.schemas.services import EventQuerySchema, RequestQuerySchema
from service.schemas.surveys import ActionQuerySchema, SurveyQuerySchema
from tests import factories
from tests.test_web_pages import sign_in

LISTS = ("events", "requests", "surveys", "actions", "reports", "deficiencies", "users")


@pytest.mark.parametrize("schema,domain", [
    (EventQuerySchema, services.SORTS), (RequestQuerySchema, requests.SORTS),
    (SurveyQuerySchema, surveys.SORTS), (ActionQuerySchema, actions.SORTS),
    (ReportQuerySchema, reports.SORTS), (DeficiencyQuerySchema, queries.SORTS),
    (UserQuerySchema, accounts.SORTS)])
def test_each_lists_schema_offers_exactly_the_columns_its_query_sorts_by(schema, domain):
    assert set(schema().fields["sort"].columns) == set(domain)


@pytest.mark.parametrize("name", LISTS)
def test_an_unknown_sort_column_is_a_422_naming_the_field(client, world, name):
    r = client.get(f"/api/v1/{name}?sort=colour", headers=world.headers("admin"))
    assert r.status_code == 422
    message = r.get_json()["errors"]["query"]["sort"][0]
    assert "'colour'" in message and "sort by one of:" in message


def test_a_one_way_order_cannot_be_reversed(client, world):
    for path in ("/api/v1/events?sort=-upcoming", "/api/v1/actions?sort=-open,due"):
        r = client.get(path, headers=world.headers("staff"))
        assert r.status_code == 422 and "one direction only" in r.get_json()["errors"]["query"]["sort"][0]


def _titles(client, world, path: str, who: str = "staff") -> list[str]:
    return [e["title"] for e in client.get(path, headers=world.headers(who)).get_json()]


def test_services_upcoming_first_then_past_ones_latest_first(client, world, engine):
    factories.add_overview_data(engine, world)
    titles = _titles(client, world, "/api/v1/events?country=PL&sort=upcoming")
    assert titles == ["Fire direction course PL", "Cancelled trial PL", "Maintenance education PL",
                      "Crew conversion PL", "Gunnery drill PL"]
    # The API's default stays by start time; any column sorts both ways.
    assert _titles(client, world, "/api/v1/events?country=PL")[0] == "Gunnery drill PL"
    by_title = _titles(client, world, "/api/v1/events?country=PL&sort=-title")
    assert by_title == sorted(by_title, reverse=True)
    # A liaison's list is staff's for their country, in the same order.
    assert _titles(client, world, "/api/v1/events?sort=upcoming", who="pl") == titles


def test_paging_through_ties_never_repeats_or_skips(client, world, engine):
    start = dt.datetime(2031, 3, 2, 8, tzinfo=dt.UTC)
    for n in range(7):
        factories.add_event(engine, world, country="PL", title=f"Same hour {n}", starts_at=start)
    seen: list[int] = []
    for page in (1, 2, 3, 4):
        r = client.get(f"/api/v1/events?sort=start,status&from=2031-03-01&page={page}&page_size=2",
                       headers=world.headers("staff"))
        seen += [e["id"] for e in r.get_json()]
    assert len(seen) == len(set(seen)) == 7
    assert json.loads(r.headers["X-Pagination"])["total"] == 7


def _add_action(engine, world, title: str, status: str, due: dt.date) -> None:
    with session_scope(engine) as s:
        s.add(CorrectiveAction(country_code="PL", title=title, reasons=["overall 1"], due_on=due,
                               status=status))


def test_actions_open_first_by_due_date(client, world, engine):
    today = dt.date.today()
    _add_action(engine, world, "Closed long ago", "closed", today - dt.timedelta(days=30))
    _add_action(engine, world, "Open, due later", "open", today + dt.timedelta(days=9))
    _add_action(engine, world, "In progress, due soon", "in_progress", today + dt.timedelta(days=2))
    _add_action(engine, world, "Open, overdue", "open", today - dt.timedelta(days=3))
    expected = ["Open, overdue", "In progress, due soon", "Open, due later", "Closed long ago"]
    assert _titles(client, world, "/api/v1/actions") == expected
    assert _titles(client, world, "/api/v1/actions", who="pl") == expected
    assert _titles(client, world, "/api/v1/actions?sort=-due")[0] == "Open, due later"
    assert _titles(client, world, "/api/v1/actions?sort=title") == sorted(expected)


def test_requests_and_users_sort_by_their_columns(client, world, engine):
    factories.add_overview_data(engine, world)
    rows = client.get("/api/v1/requests?sort=wished", headers=world.headers("staff")).get_json()
    assert [r["wished_from"] for r in rows] == sorted(r["wished_from"] for r in rows)
    newest = client.get("/api/v1/requests", headers=world.headers("staff")).get_json()
    assert [r["id"] for r in newest] == sorted((r["id"] for r in newest), reverse=True)
    users = client.get("/api/v1/users?sort=-email&page_size=100", headers=world.headers("admin")).get_json()
    assert [u["email"] for u in users] == sorted((u["email"] for u in users), reverse=True)


# --- the pages -------------------------------------------------------------------------------


def _order_on(page: str, titles: list[str]) -> list[str]:
    return sorted((t for t in titles if t in page), key=page.index)


def test_the_services_page_starts_with_the_next_upcoming_and_sorts_by_its_headers(client, world, engine):
    factories.add_overview_data(engine, world)
    sign_in(client, "pl")
    titles = ["Fire direction course PL", "Cancelled trial PL", "Maintenance education PL",
              "Crew conversion PL", "Gunnery drill PL"]
    page = client.get("/services").get_data(as_text=True)
    assert "Sorted by upcoming first (the next to start), then past ones (the latest first)." in page
    assert _order_on(page, titles) == titles  # the API's sort=upcoming, the page's default
    assert 'aria-sort' not in page  # no column is the order yet
    link = re.search(r'href="(/services\?[^"]*sort=title[^"]*)"', page).group(1).replace("&amp;", "&")  # type: ignore[union-attr]  # no link fails the test
    page = client.get(link).get_data(as_text=True)
    assert "Sorted by title." in page and 'aria-sort="ascending"' in page
    assert '<input type="hidden" name="sort" value="title">' in page  # filtering keeps the order
    assert _order_on(page, titles) == sorted(titles)
    assert re.search(r'href="/services\?[^"]*sort=-title', page)  # a second click reverses
    page = client.get("/services?sort=-title").get_data(as_text=True)
    assert "Sorted by title (descending)." in page and _order_on(page, titles) == sorted(titles, reverse=True)
    assert 'href="/services"' in page or "Upcoming first</a>" in page


def test_the_actions_page_lists_open_ones_first_and_says_so(client, world, engine):
    today = dt.date.today()
    _add_action(engine, world, "Closed long ago", "closed", today - dt.timedelta(days=30))
    _add_action(engine, world, "Open, due later", "open", today + dt.timedelta(days=9))
    _add_action(engine, world, "Open, overdue", "open", today - dt.timedelta(days=3))
    sign_in(client, "pl")
    page = client.get("/actions").get_data(as_text=True)
    assert "Sorted by open ones first, then due date." in page
    assert _order_on(page, ["Closed long ago", "Open, due later", "Open, overdue"]) == [
        "Open, overdue", "Open, due later", "Closed long ago"]
    page = client.get("/actions?sort=title").get_data(as_text=True)
    assert "Sorted by title." in page
    assert _order_on(page, ["Closed long ago", "Open, due later", "Open, overdue"]) == [
        "Closed long ago", "Open, due later", "Open, overdue"]


@pytest.mark.parametrize("path,words", [
    ("/requests", "Sorted by date filed (descending)."), ("/surveys", "Sorted by date sent (descending)."),
    ("/reports", "Sorted by month (descending), then kind, then country."),
    ("/deficiencies?all=1", "Sorted by date submitted (descending)."),
    ("/users", "Sorted by role, then e-mail.")])
def test_every_list_page_says_its_order(client, world, path, words):
    sign_in(client, "admin")
    assert words in client.get(path).get_data(as_text=True)
