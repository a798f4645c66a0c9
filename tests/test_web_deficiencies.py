"""Deficiency pages: a liaison files with photos and follows the report; staff see the open
reports of every country by due time; internal notes and other countries stay hidden."""

from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa

from models import DeficiencyReport
from service.core.db import session_scope
from tests import factories
from tests.test_web_pages import csrf, sign_in

PDF = b"%PDF-1.7\n%%EOF\n"


def _signed(app, who):
    client = app.test_client()
    assert sign_in(client, who).status_code == 302
    return client


def test_a_liaison_files_with_a_photo_and_sees_the_report(app, world, engine):
    client = _signed(app, "pl")
    first = client.get("/deficiencies").get_data(as_text=True)  # first the system, then its units
    assert "K9A1 — K9A1 Thunder" in first and "K9-PL-000" not in first and "Choose the units" in first
    page = client.get(f"/deficiencies?file_system={world.ids['k9']}").get_data(as_text=True)
    assert all(f"K9-PL-00{n}" in page for n in range(3)) and "K9-NO" not in page
    assert "Local time in Europe/Warsaw." in page and "File the report" in page
    other = client.get("/deficiencies?file_system=999999").get_data(as_text=True)
    assert 'id="file_system-error">Choose a system.' in other and "File the report" not in other
    r = client.post("/deficiencies", content_type="multipart/form-data", data={
        "csrf_token": csrf(client, "/deficiencies"), "system_id": str(world.ids["k9"]),
        "unit_ids": str(world.ids["unit_PL"]), "category": "safety", "title": "Breech seal leaking",
        "description": "Seen after firing", "occurred_at": "2026-06-01T10:00",
        "files": [(io.BytesIO(PDF), "scan.jpg"), (io.BytesIO(b"<html>"), "evil.jpg")]})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    with session_scope(engine) as s:  # typed in Warsaw's summer time, kept in UTC
        occurred = s.scalars(sa.select(DeficiencyReport.occurred_at)).one()
    assert occurred == dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    report = client.get(r.headers["Location"])
    text = report.get_data(as_text=True)
    assert "Breech seal leaking" in text and "Critical" in text and "scan.jpg" in text
    assert "evil.jpg was not attached" in text
    assert "Withdraw the report" in text
    told = _signed(app, "staff").get("/notifications").get_data(as_text=True)
    assert f'<a href="{r.headers["Location"]}">Open what it is about</a>' in told  # staff go to the report


def test_refused_form_writes_nothing(app, world, engine):
    client = _signed(app, "pl")
    r = client.post("/deficiencies", content_type="multipart/form-data", data={
        "csrf_token": csrf(client, "/deficiencies"), "system_id": str(world.ids["k9"]),
        "unit_ids": str(world.ids["unit_NO"]), "category": "quality", "severity": "minor",
        "title": "x", "description": "y"})
    assert r.status_code == 404
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM deficiency_report")) == 0


def test_staff_queue_is_by_due_time_and_notes_stay_internal(app, world, engine):
    late = factories.add_deficiency(engine, world, who="no", severity="minor", title="Oslo range late",
                                    now=dt.datetime.now(dt.UTC) - dt.timedelta(days=10))
    soon = factories.add_deficiency(engine, world, category="safety", severity=None, title="Soon due")
    staff = _signed(app, "staff")
    form = staff.get(f"/deficiencies?file_country=NO&file_system={world.ids['k9']}").get_data(as_text=True)
    form = form.split('id="file-title"')[1]  # the filing form, below the list
    assert "K9-NO-002" in form and "K9-PL" not in form and "Local time in Europe/Oslo." in form
    text = staff.get("/deficiencies").get_data(as_text=True)
    assert text.index("Oslo range late") < text.index("Soon due") and "overdue by" in text
    form = csrf(staff, f"/deficiencies/{soon}")
    staff.post(f"/deficiencies/{soon}/messages", data={"csrf_token": form, "body": "secret margin",
                                                       "internal": "on"})
    staff.post(f"/deficiencies/{soon}/messages", data={"csrf_token": form, "body": "We are on it"})
    with session_scope(engine) as s:
        version = s.get(DeficiencyReport, soon).version
    r = staff.post(f"/deficiencies/{soon}/transition", data={"csrf_token": form, "status": "acknowledged",
                                                              "version": str(version)})
    assert r.status_code == 302
    liaison = _signed(app, "pl")
    page = liaison.get(f"/deficiencies/{soon}").get_data(as_text=True)
    assert "We are on it" in page and "secret margin" not in page and "Internal note" not in page
    assert "Acknowledged" in page
    assert liaison.get(f"/deficiencies/{late}").status_code == 404
    assert "Oslo" not in liaison.get("/deficiencies").get_data(as_text=True)
    history = liaison.get(f"/units/{world.ids['unit_PL']}/history").get_data(as_text=True)
    assert "Soon due" in history


def test_the_lists_filter_like_the_api_and_keep_the_filters_across_pages(app, world, engine):
    late = factories.add_deficiency(engine, world, who="no", severity="minor", title="Oslo range late",
                                    now=dt.datetime.now(dt.UTC) - dt.timedelta(days=10))
    factories.add_deficiency(engine, world, severity="major", title="Warsaw hatch")
    factories.add_deficiency(engine, world, category="safety", severity=None, title="Warsaw brake")
    staff = _signed(app, "staff")
    queue = staff.get("/deficiencies?country=NO").get_data(as_text=True)
    assert "Oslo range late" in queue and "Warsaw" not in queue
    assert "1 open report matching the filters" in queue
    assert '<option value="NO" selected' in queue  # the form shows what it filters by
    overdue = staff.get("/deficiencies?overdue=true").get_data(as_text=True)
    assert "Oslo range late" in overdue and "Warsaw" not in overdue
    critical = staff.get("/deficiencies?all=1&severity=critical").get_data(as_text=True)
    assert "Warsaw brake" in critical and "Warsaw hatch" not in critical and "Oslo" not in critical
    assert 'name="all" value="1"' in critical  # filtering again stays on every report
    bad = staff.get("/deficiencies?severity=fatal")
    assert bad.status_code == 200 and "Must be one of" in bad.get_data(as_text=True)
    api = staff.get("/api/v1/deficiencies?severity=critical").get_json()
    assert [r["title"] for r in api] == ["Warsaw brake"]
    liaison = _signed(app, "pl")
    mine = liaison.get("/deficiencies?severity=major").get_data(as_text=True)
    assert "Warsaw hatch" in mine and "Warsaw brake" not in mine
    assert "Oslo" not in liaison.get("/deficiencies?country=NO").get_data(as_text=True)
    assert liaison.get(f"/deficiencies/{late}").status_code == 404
    page = staff.get("/countries/PL").get_data(as_text=True)
    assert 'href="/deficiencies?country=PL"' in page
