"""One home for each read: the lists' queries live in the domain, under both the API and the pages."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[1] / "service" / "web"


@pytest.mark.parametrize("module", sorted(WEB.glob("*.py")), ids=lambda p: p.name)
def test_no_page_imports_the_api(module: Path):
    imported = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not {m for m in imported if m == "service.api" or m.startswith("service.api.")}, module


@pytest.mark.parametrize(("path", "page"), [
    ("/api/v1/events", "/services"), ("/api/v1/reports", "/reports"), ("/api/v1/actions", "/actions"),
    ("/api/v1/requests", "/requests"), ("/api/v1/surveys", "/surveys"),
])
def test_a_list_and_its_page_run_the_same_query(app, client, full_world, engine, path, page, monkeypatch):
    """The API's list and the page send the database the same statement for the same filter."""
    from tests.conftest import QueryCounter
    from tests.test_web_pages import sign_in

    headers = full_world.headers("staff")
    # The services page lists the next upcoming first; the API by start unless asked the same.
    query = {"country": "PL", **({"sort": "upcoming"} if page == "/services" else {})}
    with QueryCounter(engine) as api:
        assert client.get(path, headers=headers, query_string=query).status_code == 200
    sign_in(client, "staff")
    with QueryCounter(engine) as web:
        assert client.get(page, query_string=query).status_code == 200
    table = path.rsplit("/", 1)[-1].rstrip("s").replace("event", "service_event").replace(
        "action", "corrective_action").replace("request", "service_request")
    listed = [s for s in api.statements if f"FROM {table} " in s and "LIMIT" in s]
    assert listed and set(listed) <= set(web.statements), (listed, web.statements)


def test_a_page_of_events_takes_three_statements(app, client, full_world, engine, monkeypatch):
    """The total, the page, and the page's staff and units together; for a liaison and staff."""
    from tests.conftest import QueryCounter
    from tests.factories import add_event, add_staff

    for n in range(3):
        lead = add_staff(engine, f"Lead {n}")
        add_event(engine, full_world, country="PL", staff=[lead], lead=lead, title=f"Course {n}",
                  starts_at=dt.datetime(2030, 1, 1 + 3 * n, 8, tzinfo=dt.UTC))
    for who in ("pl", "staff"):
        with QueryCounter(engine) as q:
            r = client.get("/api/v1/events", headers=full_world.headers(who), query_string={"page_size": 50})
        assert r.status_code == 200 and any(e["staff"] for e in r.get_json())
        listed = [s for s in q.statements if "api_token" not in s and "app_user" not in s]
        assert len(listed) == 3, listed
