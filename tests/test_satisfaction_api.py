"""GET /satisfaction: the figures of SPEC §2 for fixed data, the liaison's scope, its cost."""

from __future__ import annotations

import datetime as dt

from models import Survey
from service.core.db import get_engine, session_scope
from service.domain import surveys
from tests.conftest import QueryCounter
from tests.factories import add_survey

URL = "/api/v1/satisfaction"


def _answered(app, world, country, period, overall=None, recommend=None, rating=None):
    """A survey sent mid-`period`, answered the next day unless `overall` is None."""
    sent = dt.datetime.fromisoformat(f"{period}-10T08:00:00+00:00")
    survey_id, _ = add_survey(app, world, country=country, now=sent)
    if overall is None:
        return
    answers = {"overall": overall, "recommend": recommend, "instructors": rating,
               "timeliness": rating, "documentation": rating, "equipment": rating}
    with app.app_context(), session_scope(get_engine(app)) as s:
        surveys.answer(session=s, survey=s.get(Survey, survey_id), data=answers,
                       now=sent + dt.timedelta(days=1))


def _data(app, world):
    for row in [("PL", "2026-01", 5, 10, 5), ("PL", "2026-01", 4, 9, 4), ("PL", "2026-01", 2, 3, 2),
                ("PL", "2026-01", 4, 8, 4), ("PL", "2026-01"),
                ("PL", "2026-02", 3, 7, 3), ("PL", "2026-02", 5, 6, 4),
                ("NO", "2026-01", 1, 0, 1)]:
        _answered(app, world, *row)


def test_figures_equal_hand_computed_values(app, client, world):
    _data(app, world)
    f = client.get(URL, query_string={"country": "PL", "from": "2026-01", "to": "2026-02"},
                   headers=world.headers("staff")).get_json()
    # Jan: 4 answers of 5 sent; CSAT 3/4; promoters 2/4, detractors 1/4.  Feb: 2 of 2; CSAT 1/2;
    # no promoter, 1 detractor of 2.  Both: 6 of 7; CSAT 4/6; promoters 2/6, detractors 2/6.
    assert f["by_month"] == [
        {"period": "2026-01", "responses": 4, "surveys_sent": 5, "response_rate": 80.0,
         "csat": 75.0, "nps": 25.0},
        {"period": "2026-02", "responses": 2, "surveys_sent": 2, "response_rate": 100.0,
         "csat": 50.0, "nps": -50.0},
    ]
    assert (f["responses"], f["surveys_sent"], f["response_rate"], f["csat"], f["nps"]) == (
        6, 7, 85.7, 66.7, 0.0)
    assert f["dimensions"] == dict.fromkeys(
        ("instructors", "timeliness", "documentation", "equipment"), round(22 / 6, 2))
    assert (f["from"], f["to"]) == ("2026-01", "2026-02")
    everyone = client.get(URL, query_string={"from": "2026-01", "to": "2026-02"},
                          headers=world.headers("admin")).get_json()
    assert (everyone["responses"], everyone["surveys_sent"]) == (7, 8)
    k2 = client.get(URL, query_string={"system": world.ids["k2"], "from": "2026-01", "to": "2026-02"},
                    headers=world.headers("staff")).get_json()
    assert k2["responses"] == 0 and k2["csat"] is None


def test_a_liaison_gets_their_own_figures_whatever_country_they_name(app, client, world):
    _data(app, world)
    period = {"from": "2026-01", "to": "2026-02"}
    own = client.get(URL, query_string=period, headers=world.headers("pl")).get_json()
    foreign = client.get(URL, query_string=period | {"country": "NO"}, headers=world.headers("pl")).get_json()
    assert own == foreign and own["responses"] == 6
    norway = client.get(URL, query_string=period | {"country": "PL"}, headers=world.headers("no")).get_json()
    assert (norway["responses"], norway["csat"], norway["nps"]) == (1, 0.0, -100.0)


def test_bad_periods_are_422_naming_the_field(client, world):
    h = world.headers("staff")
    for query, field in (({"from": "2026-13"}, "from"), ({"to": "26-01"}, "to"),
                         ({"from": "2026-03", "to": "2026-01"}, "from"),
                         ({"from": "2000-01", "to": "2026-01"}, "to"), ({"kind": "party"}, "kind")):
        r = client.get(URL, query_string=query, headers=h)
        assert r.status_code == 422, query
        assert field in r.get_json()["errors"]["query"], (query, r.get_json())


def test_the_default_range_is_the_last_twelve_months(client, world):
    f = client.get(URL, headers=world.headers("staff")).get_json()
    assert len(f["by_month"]) == 12 and f["by_month"][-1]["period"] == f["to"]
    assert f["responses"] == 0 and f["response_rate"] is None


def test_the_query_count_does_not_grow_with_the_responses(app, client, engine, world):
    def count() -> int:
        with QueryCounter(engine) as q:
            r = client.get(URL, query_string={"from": "2026-01", "to": "2026-12"},
                           headers=world.headers("pl"))
        assert r.status_code == 200
        return q.count

    count()  # the worker now knows the caller: after each write below, every count is alike
    _answered(app, world, "PL", "2026-01", 5, 10, 5)
    few = count()
    for n in range(12):
        _answered(app, world, "PL", f"2026-{n % 12 + 1:02d}", 1 + n % 5, n % 11, 1 + n % 5)
    assert count() == few
