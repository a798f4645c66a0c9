"""Service bulletins in the readiness figures and the monthly PDFs: the figures the API answers."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

from pypdf import PdfReader

from service.core.db import session_scope
from tests import factories
from tests.conftest import QueryCounter

API = "/api/v1/bulletins"


def _text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(data)).pages)


def _released_long_ago(engine, world, days_ago: int) -> int:
    """A safety bulletin released to both countries `days_ago` days ago, due 10 days later."""
    from sqlmodel import select

    from models import BulletinRelease, BulletinReleaseSpan, BulletinRevision, ServiceBulletin

    bid = factories.add_bulletin(engine, world, countries=["PL", "NO"], due_days=10)
    released = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    with session_scope(engine) as s:  # published and released then, in the bulletin's history too
        for model in (BulletinRelease, BulletinReleaseSpan):
            for row in s.exec(select(model).where(model.bulletin_id == bid)):
                row.released_at, row.due_at = released, released + dt.timedelta(days=10)
                if isinstance(row, BulletinReleaseSpan):
                    row.since = released
        s.get(ServiceBulletin, bid).created_at = s.get(BulletinRevision, (bid, 1)).at = released
    return bid


def test_overdue_compliance_counts_in_readiness_in_one_more_statement(client, world, engine):
    before_rows = client.get("/api/v1/readiness", headers=world.headers("staff")).get_json()["rows"]
    assert all(r["bulletin_units_overdue"] == 0 for r in before_rows)
    with QueryCounter(engine) as q0:
        client.get("/api/v1/readiness", headers=world.headers("staff"))
    bid = _released_long_ago(engine, world, days_ago=12)  # due two days ago
    client.put(f"{API}/{bid}/compliance/{world.ids['units_PL'][0]}",
               json={"status": "done", "done_on": dt.date.today().isoformat()}, headers=world.headers("pl"))
    with QueryCounter(engine) as q1:
        rows = client.get("/api/v1/readiness", headers=world.headers("staff")).get_json()["rows"]
    assert q1.count == q0.count  # the sixth statement was there before, with nothing to count
    due_month = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).strftime("%Y-%m")
    overdue = {(r["country"], r["period"]): r["bulletin_units_overdue"]
               for r in rows if r["bulletin_units_overdue"]}
    assert overdue == {("PL", due_month): 2, ("NO", due_month): 3}
    answer = client.get(f"{API}/figures", headers=world.headers("staff")).get_json()
    figures = {f["country"]: f["overdue"] for f in answer}
    assert figures == {"PL": 2, "NO": 3}
    mine = client.get("/api/v1/readiness", headers=world.headers("pl")).get_json()["rows"]
    assert {r["country"] for r in mine} == {"PL"}
    assert sum(r["bulletin_units_overdue"] for r in mine) == 2


def test_monthly_pdfs_show_the_bulletin_figures_of_the_api(client, world, engine):
    bid = _released_long_ago(engine, world, days_ago=12)
    client.put(f"{API}/{bid}/compliance/{world.ids['units_PL'][0]}",
               json={"status": "not_applicable", "reason": "in depot"}, headers=world.headers("pl"))
    client.post(f"{API}/{bid}/acknowledgements", headers=world.headers("pl"))
    period = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    api = {f["country"]: f for f in client.get(f"{API}/figures", headers=world.headers("staff")).get_json()}
    pl = api["PL"]
    assert (pl["units"], pl["not_applicable"], pl["overdue"], pl["acknowledged"]) == (3, 1, 2, 1)
    r = client.post("/api/v1/reports", json={"period": period, "country": "PL"},
                    headers=world.headers("staff"))
    assert r.status_code == 201, r.get_json()
    text = _text(client.get(r.get_json()["pdf_url"], headers=world.headers("pl")).data)
    assert "8. Service bulletins" in text
    section = text[text.find("8. Service bulletins"):]
    assert "UNITS DONE OR N/A 1 of 3 concerned (33.3%)" in section, section[:400]
    assert "OVERDUE UNITS 2" in section and "ACKNOWLEDGED 1 in their current revision, of 1" in section
    r = client.post("/api/v1/reports", json={"period": period}, headers=world.headers("staff"))
    assert r.status_code == 201, r.get_json()
    text = _text(client.get(r.get_json()["pdf_url"], headers=world.headers("staff")).data)
    section = text[text.find("6. Service bulletins"):]
    assert "PL 1 1 3 0 1 2 2 33.3% of 3" in section, section[:400]
    assert "NO 1 0 3 0 0 3 3 0.0% of 3" in section
    assert "All countries 2 1 6 0 1 5 5 16.7% of 6" in section


def test_the_figures_as_of_a_past_moment_and_last_months_pdf_follow_the_history(client, world, engine):
    """Released 20 days before this month began (due 10 days later), acknowledged, one unit done
    before the month's start; then this month: a unit not applicable, revision 2 giving 60 days
    (no longer overdue), a Polish unit to be delivered next week, Norway's release withdrawn.
    Last month's figures are those of its end, whatever happened since."""
    from sqlmodel import select

    from models import BulletinAcknowledgement, BulletinComplianceChange
    from service.domain import periods

    month = periods.bounds(periods.current())[0]  # this month's first moment: last month's end
    bid = _released_long_ago(engine, world, days_ago=(dt.datetime.now(dt.UTC) - month).days + 20)
    pl, staff = world.headers("pl"), world.headers("staff")
    assert client.post(f"{API}/{bid}/acknowledgements", headers=pl).status_code == 201
    unit_done, unit_na = world.ids["units_PL"][:2]
    assert client.put(f"{API}/{bid}/compliance/{unit_done}", headers=pl, json={
        "status": "done", "done_on": (month - dt.timedelta(days=15)).date().isoformat()}).status_code == 200
    with session_scope(engine) as s:  # both happened before the month began
        for row in s.exec(select(BulletinAcknowledgement).where(BulletinAcknowledgement.bulletin_id == bid)):
            row.at = month - dt.timedelta(days=18)
        changes = select(BulletinComplianceChange).where(BulletinComplianceChange.bulletin_id == bid)
        for change in s.exec(changes):
            change.at = month - dt.timedelta(days=15)
    assert client.put(f"{API}/{bid}/compliance/{unit_na}", headers=pl,
                      json={"status": "not_applicable", "reason": "in depot"}).status_code == 200
    etag = client.get(f"{API}/{bid}", headers=staff).headers["ETag"]
    assert client.patch(f"{API}/{bid}", headers={**staff, "If-Match": etag}, json={
        "body": "Replace the pin and its spring.", "compliance_due_days": 60}).status_code == 200
    r = client.post("/api/v1/units", headers=staff, json={
        "serial": "K9-PL-009", "system_id": world.ids["k9"], "contract_id": world.ids["contract_PL"],
        "delivered_on": (dt.date.today() + dt.timedelta(days=7)).isoformat()})
    assert r.status_code == 201, r.get_json()  # not delivered yet: concerned from its delivery on
    assert client.delete(f"{API}/{bid}/releases/NO", headers=staff).status_code == 200

    def figures(**query):
        r = client.get(f"{API}/figures", query_string=query, headers=staff)
        assert r.status_code == 200, r.get_json()
        return {f["country"]: (f["released"], f["acknowledged"], f["units"], f["done"], f["not_applicable"],
                               f["pending"], f["overdue"]) for f in r.get_json()}

    then = month.isoformat()
    assert figures(as_of=then) == {"PL": (1, 1, 3, 1, 0, 2, 2), "NO": (1, 0, 3, 0, 0, 3, 3)}
    before = (month - dt.timedelta(days=16)).isoformat()  # before the unit was done and the due date
    assert figures(as_of=before) == {"PL": (1, 1, 3, 0, 0, 3, 0), "NO": (1, 0, 3, 0, 0, 3, 0)}
    now = figures()  # revision 2 not acknowledged yet, due in 60 days; Norway's release withdrawn
    assert now == {"PL": (1, 0, 3, 1, 1, 1, 0)}
    assert figures(as_of=dt.datetime.now(dt.UTC).isoformat()) == now  # the history says what the rows do
    mine = client.get(f"{API}/figures", query_string={"as_of": then}, headers=pl).get_json()
    assert [f["country"] for f in mine] == ["PL"]  # a liaison's, as of then too: theirs alone
    ahead = client.get(f"{API}/figures", query_string={"as_of": "2999-01-01"}, headers=staff)
    assert ahead.status_code == 422 and "as_of" in ahead.get_json()["errors"]["query"]
    r = client.post("/api/v1/reports", json={"period": periods.shift(periods.current(), -1), "country": "PL"},
                    headers=staff)
    assert r.status_code == 201, r.get_json()
    section = _text(client.get(r.get_json()["pdf_url"], headers=pl).data)
    section = section[section.find("8. Service bulletins"):]
    assert "UNITS DONE OR N/A 1 of 3 concerned (33.3%)" in section, section[:400]
    assert "OVERDUE UNITS 2" in section and "ACKNOWLEDGED 1 in their current revision, of 1" in section
    assert f"figures as of {(month - dt.timedelta(days=1)).date().isoformat()}" in section
    r = client.post("/api/v1/reports", json={"period": periods.current()}, headers=staff)  # HQ, this month
    assert r.status_code == 201, r.get_json()
    hq = _text(client.get(r.get_json()["pdf_url"], headers=staff).data)
    assert "No bulletin in force for NO." in hq  # withdrawn: said rather than left out unexplained


def test_as_of_a_moment_a_bulletin_counts_by_the_kind_its_revision_gave_then(client, world, engine):
    """A recommended bulletin made mandatory by a revision: its units count from that revision on,
    not in the figures of before it."""
    from service.domain import periods

    month = periods.bounds(periods.current())[0]
    bid = _released_long_ago(engine, world, days_ago=(dt.datetime.now(dt.UTC) - month).days + 20)
    staff = world.headers("staff")
    with session_scope(engine) as s:
        from models import BulletinRevision, ServiceBulletin

        s.get(ServiceBulletin, bid).kind = s.get(BulletinRevision, (bid, 1)).kind = "recommended"
    etag = client.get(f"{API}/{bid}", headers=staff).headers["ETag"]
    assert client.patch(f"{API}/{bid}", headers={**staff, "If-Match": etag},
                        json={"kind": "mandatory"}).status_code == 200

    def units(**query):
        answer = client.get(f"{API}/figures", query_string=query, headers=staff).get_json()
        return {f["country"]: (f["released"], f["units"]) for f in answer}

    assert units(as_of=month.isoformat()) == {"PL": (1, 0), "NO": (1, 0)}  # recommended then
    assert units() == units(as_of=dt.datetime.now(dt.UTC).isoformat()) == {"PL": (1, 3), "NO": (1, 3)}
