"""The liaison's home and a country's overview show the deficiency figures of
`GET /countries/{code}/status`: open reports by severity, overdue, availability now against
the target and its 12-month trend."""

from __future__ import annotations

import datetime as dt
import re

from models import Unit
from service.core.db import session_scope
from service.domain.deficiencies import history
from tests import factories
from tests.test_web_pages import sign_in


def _panel(html: str) -> str:
    start = html.index('id="ready-title"')
    return html[start:html.index("</section>", start)]


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_home_shows_the_status_figures(app, world, engine, client):
    factories.add_deficiency(engine, world, category="safety", severity=None)
    factories.add_deficiency(engine, world, severity="minor")
    factories.add_deficiency(engine, world, who="no", severity="major")  # Norway's: never counted
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:  # one of three K9s down since the first of the month
        unit = s.get(Unit, world.ids["units_PL"][1])
        history.set_status(session=s, unit=unit, status="non_operational",
                           at=now.replace(day=1, hour=0, minute=0, second=0, microsecond=0))
    api = client.get("/api/v1/countries/PL/status", headers=world.headers("pl")).get_json()
    d = api["deficiencies"]
    assert d["open_by_severity"] == {"critical": 1, "major": 0, "minor": 1} and d["open"] == 2
    assert d["availability_now"] == round(100 * 2 / 3, 1)
    web = app.test_client()
    assert sign_in(web, "pl").status_code == 302
    panel = _panel(web.get("/").get_data(as_text=True))
    text = _words(panel)
    assert "Open reports 2 1 critical · 0 major · 1 minor" in text
    assert f"Overdue {d['overdue']}" in text
    assert f"Availability now {d['availability_now']:.1f} %" in text
    assert "target 85.0 %" in text and "below target" in text
    assert "Fleet availability, last 12 months" in panel and "<svg" in panel
    # staff see the same panel on the country's overview
    staff = app.test_client()
    assert sign_in(staff, "staff").status_code == 302
    staff_text = _words(_panel(staff.get("/countries/PL").get_data(as_text=True)))
    assert "Open reports 2 1 critical · 0 major · 1 minor" in staff_text
