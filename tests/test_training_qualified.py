"""Qualified people per system: the API's figures, the country status and the PDFs agree."""

from __future__ import annotations

import datetime as dt

from tests import factories

API = "/api/v1"
TODAY = dt.date.today()


def _people(world):
    e = world.engine
    days = {"Ada": 400, "Bo": 40, "Cy": 80}
    for name, d in days.items():
        factories.add_certificate(e, world, name=name, valid_until=TODAY + dt.timedelta(days=d))
    # Renewed: the old certificate expired, the new one counts; the person is counted once.
    renewed = factories.add_certificate(e, world, name="Di", valid_until=TODAY - dt.timedelta(days=200))
    factories.add_certificate(e, world, trainee_id=renewed["trainee_id"],
                              valid_until=TODAY + dt.timedelta(days=500))
    # Expiring soon but already renewed: qualified, not expiring.
    soon = factories.add_certificate(e, world, name="Gus", valid_until=TODAY + dt.timedelta(days=5))
    factories.add_certificate(e, world, trainee_id=soon["trainee_id"],
                              valid_until=TODAY + dt.timedelta(days=700))
    if TODAY.day > 1:  # expired this month (before today)
        factories.add_certificate(e, world, name="Ed", valid_until=TODAY - dt.timedelta(days=1))
    factories.add_certificate(e, world, name="Fi", valid_until=TODAY - dt.timedelta(days=400))  # long ago
    factories.add_certificate(e, world, country="NO", name="Ola", valid_until=TODAY + dt.timedelta(days=10))
    return renewed


def test_qualified_per_system_counts_people_by_their_latest_certificate(client, world):
    _people(world)
    rows = client.get(f"{API}/certificates/qualified", headers=world.headers("pl")).get_json()
    assert rows == [{"country": "PL", "system_id": world.ids["k9"], "system_code": "K9A1",
                     "qualified": 5, "expiring": 2, "expired_in_month": 1 if TODAY.day > 1 else 0}]
    staff = client.get(f"{API}/certificates/qualified", headers=world.headers("staff")).get_json()
    assert [(r["country"], r["qualified"], r["expiring"]) for r in staff] == [("NO", 1, 1), ("PL", 5, 2)]


def test_the_country_status_shows_the_api_figures(client, world):
    _people(world)
    factories.add_package_line(world.engine, world, quantity=3,
                               due_on=TODAY - dt.timedelta(days=2), description="Spare kit")
    h = world.headers("pl")
    status = client.get(f"{API}/countries/PL/status", headers=h).get_json()
    assert status["qualified"] == client.get(f"{API}/certificates/qualified", headers=h,
                                             query_string={"country": "PL"}).get_json()
    assert status["packages"] == client.get(f"{API}/packages", headers=h).get_json()
    assert status["packages"][0]["overdue"] == 1
