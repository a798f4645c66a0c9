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


def _pdf_text(client, world, body):
    import io

    from pypdf import PdfReader

    r = client.post(f"{API}/reports", headers=world.headers("staff"), json=body)
    assert r.status_code == 201, r.get_json()
    pdf = client.get(f"{API}/reports/{r.get_json()['id']}/pdf", headers=world.headers("staff"))
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)


def test_the_monthly_pdfs_show_the_api_figures(client, world):
    import re

    _people(world)
    factories.add_package_line(world.engine, world, quantity=3,
                               due_on=TODAY - dt.timedelta(days=2), description="Spare kit")
    period = TODAY.strftime("%Y-%m")
    staff = world.headers("staff")
    [pl] = client.get(f"{API}/certificates/qualified", headers=staff,
                      query_string={"country": "PL"}).get_json()
    [package] = client.get(f"{API}/packages", headers=staff).get_json()
    text = " ".join(_pdf_text(client, world, {"period": period, "country": "PL"}).split())
    assert f"K9A1 {pl['qualified']} {pl['expiring']} {pl['expired_in_month']}" in text, text[-1500:]
    delivered = f"{package['delivered']} of {package['promised']}"
    assert re.search(rf"PL-C-1 1 {delivered} .*? {package['overdue']}", text)
    hq = " ".join(_pdf_text(client, world, {"period": period}).split())
    assert f"PL K9A1 {pl['qualified']} {pl['expiring']} {pl['expired_in_month']}" in hq
    assert "NO K9A1 1 1 0" in hq
    # one contract, one line, overdue, nothing delivered
    assert re.search(r"PL 1 1 1 0(\.0)?%", hq), hq[-800:]


def test_a_countrys_qualified_figures_read_only_its_certificates_still_valid(client, world, engine):
    """A liaison's figures are one range on (country, valid until): the certificates that ran
    out before the month are never read, however many years of them the country has. The
    plan is SQLite's (PostgreSQL plans a table this small by its statistics, not by design)."""
    import pytest
    import sqlalchemy as sa

    if engine.dialect.name != "sqlite":
        pytest.skip("the query plan asked of SQLite")
    _people(world)
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, *_):
        if "max(certificate.valid_until)" in statement:
            seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(f"{API}/certificates/qualified", headers=world.headers("pl")).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    [(statement, parameters)] = seen
    with engine.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    reads = [step for step in plan if " certificate " in f" {step} "]
    assert reads == ["SEARCH certificate USING COVERING INDEX ix_certificate_country_valid "
                     "(country_code=? AND valid_until>?)"], plan


def test_qualified_as_of_a_past_day_count_the_certificates_issued_by_then_as_the_pdf(client, world):
    from service.domain import periods

    _people(world)
    factories.add_certificate(world.engine, world, name="Hal", valid_until=TODAY.replace(year=TODAY.year + 2))
    staff = world.headers("staff")
    last_month = periods.shift(periods.current(), -1)
    last_day = (periods.bounds(last_month)[1] - dt.timedelta(days=1)).date()

    def pl(**query):
        rows = client.get(f"{API}/certificates/qualified", headers=staff,
                          query_string={"country": "PL", **query}).get_json()
        return rows[0]["qualified"]

    assert pl() == 6  # Hal, certified today, counts today ...
    # ... not on last month's last day; Ed, expired since, still did then
    assert pl(as_of=last_day.isoformat()) == 5 + (1 if TODAY.day > 1 else 0)
    [row] = client.get(f"{API}/certificates/qualified", headers=staff,
                       query_string={"country": "PL", "as_of": last_day.isoformat()}).get_json()
    text = " ".join(_pdf_text(client, world, {"period": last_month, "country": "PL"}).split())
    assert f"K9A1 {row['qualified']} {row['expiring']} {row['expired_in_month']}" in text
    ahead = client.get(f"{API}/certificates/qualified", headers=staff,
                       query_string={"as_of": (TODAY + dt.timedelta(days=2)).isoformat()})
    assert ahead.status_code == 422 and "as_of" in ahead.get_json()["errors"]["query"]


def test_packages_as_of_a_past_day_count_the_deliveries_made_by_then_as_the_pdf(client, world):
    from service.domain import periods

    line = factories.add_package_line(world.engine, world, quantity=4, due_on=TODAY - dt.timedelta(days=60))
    factories.add_delivery(world.engine, world, line_id=line, quantity=4)  # delivered today, in full
    staff = world.headers("staff")
    last_month = periods.shift(periods.current(), -1)
    last_day = (periods.bounds(last_month)[1] - dt.timedelta(days=1)).date()

    def pl(**query):
        [row] = client.get(f"{API}/packages", headers=staff,
                           query_string={"country": "PL", **query}).get_json()
        return row["delivered"], row["overdue"], row["share_delivered"]

    assert pl() == (4, 0, 100.0)  # delivered in full today ...
    assert pl(as_of=last_day.isoformat()) == (0, 1, 0.0)  # ... overdue and undelivered last month
    text = " ".join(_pdf_text(client, world, {"period": last_month, "country": "PL"}).split())
    assert "PL-C-1 1 0 of 4" in text, text[-1500:]
    ahead = client.get(f"{API}/packages", headers=staff,
                       query_string={"as_of": (TODAY + dt.timedelta(days=2)).isoformat()})
    assert ahead.status_code == 422 and "as_of" in ahead.get_json()["errors"]["query"]
