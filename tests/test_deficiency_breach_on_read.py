"""A report past a due time is told the moment it is seen (GET /deficiencies/{id}, the list,
its page), once per breach: the daily job, a second read, or a read racing the job, tell
nothing more."""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlmodel import Session, select

from models import Notification
from schedules.deficiencies import run_deficiency_jobs
from service.core.db import session_scope
from service.domain.deficiencies import breaches
from tests import factories
from tests.conftest import rows
from tests.test_web_pages import sign_in

API = "/api/v1/deficiencies"


def _told(engine) -> list[str]:
    with Session(engine) as s:
        notes = s.exec(select(Notification).where(Notification.kind == "deficiency_overdue"))
        return sorted(n.key for n in notes)


def _late_critical(engine, world, who: str = "pl") -> int:
    """A safety report filed 25 hours ago: past its 24-hour acknowledgement."""
    return factories.add_deficiency(engine, world, who=who, category="safety", severity=None,
                                    now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=25))


def test_reading_a_late_report_tells_its_breach_once(app, client, world, engine):
    rid = _late_critical(engine, world)
    assert _told(engine) == []
    r = client.get(f"{API}/{rid}", headers=world.headers("pl"))
    assert r.status_code == 200 and r.get_json()["overdue"] is True
    expected = sorted(f"deficiency-breach:{rid}:acknowledge:user:{world.ids[f'user_{who}']}"
                      for who in ("admin", "staff", "pl"))
    assert _told(engine) == expected
    assert rows(engine, "corrective_action") == 1  # an overdue critical report opens its action
    # seen again, in the list, on its page, then the daily job: nothing more
    assert client.get(API, headers=world.headers("staff")).status_code == 200
    web = app.test_client()
    assert sign_in(web, "pl").status_code == 302
    assert web.get(f"/deficiencies/{rid}").status_code == 200
    assert web.get("/deficiencies").status_code == 200
    assert run_deficiency_jobs(app)["breaches"] == 0
    assert _told(engine) == expected and rows(engine, "corrective_action") == 1


def test_the_list_and_the_page_tell_too(app, client, world, engine):
    listed, paged = _late_critical(engine, world), _late_critical(engine, world, who="no")
    assert client.get(API, headers=world.headers("pl")).status_code == 200
    assert {k.split(":")[1] for k in _told(engine)} == {str(listed)}  # Norway's is not Poland's to see
    web = app.test_client()
    assert sign_in(web, "no").status_code == 302
    assert web.get(f"/deficiencies/{paged}").status_code == 200
    assert {k.split(":")[1] for k in _told(engine)} == {str(listed), str(paged)}


def test_a_report_on_time_writes_nothing_when_read(client, world, engine):
    rid = factories.add_deficiency(engine, world)
    audit = rows(engine, "audit_entry")
    assert client.get(f"{API}/{rid}", headers=world.headers("pl")).status_code == 200
    assert _told(engine) == [] and rows(engine, "audit_entry") == audit


def test_a_read_racing_the_job_tells_once(app, client, world, engine):
    rid = _late_critical(engine, world)
    now = dt.datetime.now(dt.UTC)
    done = threading.Event()
    result: dict[str, int] = {}
    with session_scope(engine, actor=(None, "scheduler")) as job:
        assert breaches.notify_breaches(session=job, now=now) == 1  # the job holds the row...

        def read() -> None:  # ... while a reader sees the report and tries to tell it
            with app.app_context():
                from models import DeficiencyReport

                with Session(engine) as s:
                    report = s.get(DeficiencyReport, rid)
                    result["told"] = breaches.tell_seen(reports=[report], now=now)
            done.set()

        reader = threading.Thread(target=read)
        reader.start()
        assert not done.wait(0.5)  # it waits for the job's transaction
    reader.join(20)
    assert done.is_set() and result["told"] == 0
    assert len(_told(engine)) == 3 and rows(engine, "corrective_action") == 1


def test_a_write_on_a_late_report_answers_at_once_and_tells_its_breach(client, world, engine):
    rid = factories.add_deficiency(engine, world, category="safety", severity=None,
                                   now=dt.datetime.now(dt.UTC) - dt.timedelta(days=8))
    url = f"{API}/{rid}"
    version = client.get(url, headers=world.headers("staff")).get_json()["version"]  # told here
    told = _told(engine)
    assert len(told) == 6  # acknowledgement and resolution, to admin, staff and the liaison
    started = time.perf_counter()
    r = client.post(f"{url}/transition", json={"status": "acknowledged"},
                    headers=world.headers("staff", **{"If-Match": str(version)}))
    assert r.status_code == 200, r.get_json()
    assert time.perf_counter() - started < 5 and _told(engine) == told


def test_the_read_that_tells_answers_the_new_version(client, world, engine):
    rid = _late_critical(engine, world)
    r = client.get(f"{API}/{rid}", headers=world.headers("staff"))  # stamps the breach: version 2
    assert r.get_json()["version"] == 2 and r.headers["ETag"]
    patched = client.patch(f"{API}/{rid}", json={"title": "Breech block fails to lock"},
                           headers=world.headers("staff", **{"If-Match": r.headers["ETag"]}))
    assert patched.status_code == 200, patched.get_json()
    listed = client.get(API, headers=world.headers("staff")).get_json()
    assert [x["version"] for x in listed] == [3]
