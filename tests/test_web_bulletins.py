"""Bulletin pages: staff publish, release, withdraw and revise; a liaison acknowledges and
records their units; a bulletin not released to a liaison's country is a 404 page."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests import factories
from tests.test_web_pages import csrf, sign_in


def _signed(app, who):
    client = app.test_client()
    assert sign_in(client, who).status_code == 302
    return client


def test_staff_publish_release_and_revise_through_the_pages(app, world, engine):
    staff = _signed(app, "staff")
    token = csrf(staff, "/bulletins/new")
    r = staff.post("/bulletins/new", data={"csrf_token": token, "system_id": str(world.ids["k9"]),
                                            "kind": "mandatory", "title": "", "body": "Torque the bolts",
                                            "serial_ranges": "K9-PL-001 .. K9-PL-000",
                                            "compliance_due_days": "20"})
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "The bulletin was not saved" in text and "Torque the bolts" in text  # what was typed stays
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM service_bulletin")) == 0
    r = staff.post("/bulletins/new", data={"csrf_token": token, "system_id": str(world.ids["k9"]),
                                            "kind": "mandatory", "title": "Wheel bolts",
                                            "body": "Torque the bolts",
                                            "serial_ranges": "K9-PL-000 .. K9-PL-001",
                                            "compliance_due_days": "20"})
    assert r.status_code == 302
    url = r.headers["Location"]
    page = staff.get(url).get_data(as_text=True)
    assert "K9A1-SB-0001" in page and "Not released to any country yet." in page
    r = staff.post(f"{url}/release", data={"csrf_token": token, "default": "1"})
    assert r.status_code == 302
    page = staff.get(url).get_data(as_text=True)
    assert re.search(r"<th scope=\"row\">PL</th>", page) and "<th scope=\"row\">NO</th>" not in page
    assert "0.0 % of 2" in page  # two Polish units concerned, none recorded yet
    assert "Withdraw PL" in page
    pl = _signed(app, "pl")
    assert pl.get(url).status_code == 200
    no = _signed(app, "no")
    assert no.get(url).status_code == 404
    assert "Wheel bolts" not in no.get("/bulletins").get_data(as_text=True)
    edit = staff.get(f"{url}/edit")
    version = re.search(r'name="version" value="(\d+)"', edit.get_data(as_text=True)).group(1)
    r = staff.post(f"{url}/edit", data={"csrf_token": token, "version": version, "kind": "mandatory",
                                         "title": "Wheel bolts", "body": "Torque to 300 Nm",
                                         "serial_ranges": "K9-PL-000 .. K9-PL-001",
                                         "compliance_due_days": "20", "revision_note": "torque given"})
    assert r.status_code == 302
    assert "revision 2" in staff.get(url).get_data(as_text=True)
    r = staff.post(f"{url}/edit", data={"csrf_token": token, "version": version, "kind": "mandatory",
                                         "title": "Stale", "body": "b", "compliance_due_days": "20"})
    assert r.status_code == 302 and "Stale" not in staff.get(url).get_data(as_text=True)
    r = staff.post(f"{url}/withdraw", data={"csrf_token": token, "country": "PL"})
    assert r.status_code == 302
    assert pl.get(url).status_code == 404


def test_a_liaison_acknowledges_and_records_their_units(app, world, engine):
    bid = factories.add_bulletin(engine, world, countries=["PL", "NO"], title="Recoil check")
    pl = _signed(app, "pl")
    url = f"/bulletins/{bid}"
    page = pl.get(url).get_data(as_text=True)
    assert "Acknowledge revision 1" in page and "K9-PL-000" in page and "K9-NO-" not in page
    token = csrf(pl, url)
    assert pl.post(f"{url}/acknowledge", data={"csrf_token": token}).status_code == 302
    page = pl.get(url).get_data(as_text=True)
    assert "Revision 1 acknowledged by pl" in page and "Acknowledge revision 1" not in page
    unit = world.ids["units_PL"][0]
    r = pl.post(f"{url}/compliance/{unit}", data={"csrf_token": token, "version": "", "status": "done",
                                                  "done_on": ""})
    assert r.status_code == 422 and "Not recorded" in r.get_data(as_text=True)
    r = pl.post(f"{url}/compliance/{unit}", data={"csrf_token": token, "version": "", "status": "done",
                                                  "done_on": "2026-11-20"})
    assert r.status_code == 302
    page = pl.get(url).get_data(as_text=True)
    assert "Done on 2026-11-20" in page
    assert pl.post(f"{url}/compliance/{world.ids['unit_NO']}", data={
        "csrf_token": token, "version": "", "status": "done", "done_on": "2026-11-20"}).status_code == 404
    staff = _signed(app, "staff")
    page = staff.get(url).get_data(as_text=True)
    assert "33.3 % of 3" in page  # Poland: 1 of its 3 units; the figure the API gives
    acks = page.split('id="acks-title"')[1].split("</section>")[0]
    assert re.search(r"pl · \d{4}-\d\d-\d\d \d\d:\d\d CES?T", acks) and "UTC" not in acks  # Poland's time
    listed = pl.get("/bulletins").get_data(as_text=True)
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d CES?T</td>", listed) and "UTC" not in listed
    api = app.test_client().get(f"/api/v1/bulletins/figures?bulletin={bid}", headers=world.headers("staff"))
    assert {f["country"]: f["complied_share"] for f in api.get_json()} == {"PL": 33.3, "NO": 0.0}


def test_a_bulletin_of_another_countrys_serials_concerns_none_of_a_liaisons_units(app, world, engine):
    ranged = factories.add_bulletin(engine, world, countries=["PL", "NO"], title="Norwegian batch",
                                    ranges=[{"from": "K9-NO-000", "to": "K9-NO-999"}])
    pl, staff = _signed(app, "pl"), _signed(app, "staff")
    page = pl.get(f"/bulletins/{ranged}").get_data(as_text=True)
    assert "None of your units" in page and "K9-NO-" not in page
    assert "K9-NO-000 to K9-NO-999" in staff.get(f"/bulletins/{ranged}").get_data(as_text=True)
