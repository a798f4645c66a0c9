"""SQL per request: every list and dashboard endpoint issues a fixed number of statements.

The endpoints are enumerated from the OpenAPI document (every GET without path parameters
that answers an array) plus the country dashboards, so an endpoint added later is covered.
Each is called with page_size 1 and 100, on a small data set (a few rows in every list) and
again after some nine hundred services with their staff, units, surveys, answers and actions
were added: the number of statements must not change (no query per row, no statement that
depends on the data).
"""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest

from service.domain import demo, demo_services
from tests.conftest import QueryCounter

EXTRA = ["/api/v1/countries/PL/status", "/api/v1/countries/PL/fleet"]


def _list_paths(client, headers) -> list[str]:
    spec = client.get("/api/v1/openapi.json", headers=headers).get_json()
    paths = []
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if "{" in path or get is None:
            continue
        content = get.get("responses", {}).get("200", {}).get("content", {})
        if content.get("application/json", {}).get("schema", {}).get("type") == "array":
            paths.append("/api/v1" + path if not path.startswith("/api/v1") else path)
    return sorted(paths)


def _statements(client, engine, path: str, headers, page_size: int) -> tuple[int, int, list[str]]:
    client.get(path, headers=headers, query_string={"page_size": page_size})  # compile caches warm
    with QueryCounter(engine) as counter:
        r = client.get(path, headers=headers, query_string={"page_size": page_size})
    return r.status_code, counter.count, counter.statements


def _grow(engine, events: int, seed: int) -> None:
    """`events` services (with staff and units) and their surveys, answers and actions."""
    from service.core.db import writer

    today = dt.datetime.now(dt.UTC).date()
    with writer(engine).begin() as conn:
        demo_services.seed_services(conn, events=events, years=2, rng=random.Random(seed), today=today)
        demo._seed_surveys(conn, demo.SIZES["small"], random.Random(seed), today)


@pytest.mark.parametrize("who", ["admin", "pl"])
def test_statements_per_request_do_not_grow_with_page_or_history(app, engine, client, full_world, who):
    headers = full_world.headers(who)
    paths = _list_paths(client, headers)
    assert "/api/v1/events" in paths and "/api/v1/units" in paths, paths  # the enumeration works
    paths += EXTRA

    def measure() -> dict[tuple[str, int], tuple[int, int, list[str]]]:
        return {(p, n): _statements(client, engine, p, headers, n) for p in paths for n in (1, 100)}

    _grow(engine, 30, seed=3)  # a few rows in every list
    small = measure()
    _grow(engine, 900, seed=4)
    large = measure()
    checked = 0
    for path in paths:
        runs = [small[(path, 1)], small[(path, 100)], large[(path, 1)], large[(path, 100)]]
        if any(status != 200 for status, _n, _s in runs):
            assert all(status in (403, 404) for status, _n, _s in runs), (path, runs)
            continue  # a route this role may not call
        counts = [n for _status, n, _s in runs]
        assert len(set(counts)) == 1, (path, counts, runs[0][2], runs[-1][2])
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("language, name", [("en", "Poland"), ("ko", "폴란드")])
def test_a_liaisons_header_names_their_country_from_the_callers_own_look_up(
        app, engine, client, full_world, language, name):
    """Every page's header says whose country the liaison acts for, in the page's language;
    the name comes with the look-up of the caller, not from a statement of its own per page."""
    import sqlalchemy as sa

    from models import User
    from tests.test_web_pages import sign_in

    with engine.begin() as conn:
        conn.execute(sa.update(User).where(User.id == full_world.ids["user_pl"]).values(language=language))
    sign_in(client, "pl")
    client.get("/me")  # compile caches warm
    with QueryCounter(engine) as counter:
        page = client.get("/me")
    assert page.status_code == 200
    scope = page.get_data(as_text=True).split('class="who-scope">', 1)[1].split("</span>", 1)[0]
    assert name in scope, scope
    lookups = [s for s in counter.statements if re.search(r"FROM country\s+WHERE country\.code = ", s)]
    assert not lookups, lookups
