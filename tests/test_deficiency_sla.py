"""The SLA clock: per-country targets, due times, breaches told once when the job runs twice,
an overdue critical report opening one corrective action, and the daily auto-close."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from schedules.deficiencies import run_deficiency_jobs
from tests import factories
from tests.conftest import rows

SLA = "/api/v1/countries/PL/sla"


def test_defaults_and_staff_change_them(client, world):
    r = client.get(SLA, headers=world.headers("pl"))
    assert r.status_code == 200
    assert r.get_json()["critical_acknowledge_hours"] == 24 and r.get_json()["minor_resolve_days"] == 90
    assert r.get_json()["availability_target"] == 85.0
    assert client.get("/api/v1/countries/NO/sla", headers=world.headers("pl")).status_code == 404
    assert client.put(SLA, json={"critical_acknowledge_hours": 12},
                      headers=world.headers("pl", **{"If-Match": "*"})).status_code == 403
    r = client.put(SLA, json={"critical_acknowledge_hours": 0},
                   headers=world.headers("staff", **{"If-Match": "*"}))
    assert r.status_code == 422 and "critical_acknowledge_hours" in r.get_json()["errors"]["json"]
    r = client.put(SLA, json={"critical_acknowledge_hours": 12}, headers=world.headers("staff"))
    assert r.status_code == 428
    r = client.put(SLA, json={"critical_acknowledge_hours": 12},
                   headers=world.headers("staff", **{"If-Match": r.headers.get("ETag", '"1"')}))
    assert r.status_code == 200 and r.get_json()["critical_acknowledge_hours"] == 12
    rid = factories.add_deficiency(world.engine, world, category="safety", severity=None)
    body = client.get(f"/api/v1/deficiencies/{rid}", headers=world.headers("pl")).get_json()
    assert (dt.datetime.fromisoformat(body["acknowledge_due_at"])
            - dt.datetime.fromisoformat(body["submitted_at"])) == dt.timedelta(hours=12)


def _notes(engine, kind="deficiency_overdue"):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT key FROM notification WHERE kind = :k ORDER BY key"),
                            {"k": kind}).scalars().all()


def test_breaches_are_told_once_and_a_critical_one_opens_one_action(app, world, engine, client):
    now = dt.datetime.now(dt.UTC)
    critical = factories.add_deficiency(engine, world, category="safety", severity=None)
    minor = factories.add_deficiency(engine, world, severity="minor")
    assert run_deficiency_jobs(app, now=now)["breaches"] == 0
    later = now + dt.timedelta(hours=25)  # the critical one is past its 24 h acknowledgement
    assert run_deficiency_jobs(app, now=later)["breaches"] == 1
    assert run_deficiency_jobs(app, now=later)["breaches"] == 0  # the job twice: told once
    keys = _notes(engine)
    # staff, admin and the Polish liaison hear of it; Norway's does not
    assert keys == [f"deficiency-breach:{critical}:acknowledge:user:{world.ids[f'user_{who}']}"
                    for who in ("admin", "staff", "pl")]
    assert rows(engine, "corrective_action") == 1
    action = client.get("/api/v1/actions", headers=world.headers("pl")).get_json()[0]
    assert action["deficiency_id"] == critical and action["source"].startswith("deficiency report PL-")
    much_later = now + dt.timedelta(days=8)
    assert run_deficiency_jobs(app, now=much_later)["breaches"] == 2  # critical resolve, minor ack
    assert run_deficiency_jobs(app, now=much_later)["breaches"] == 0
    assert rows(engine, "corrective_action") == 1
    with engine.begin() as conn:  # really past due now: the list and the report say so
        conn.execute(sa.text("UPDATE deficiency_report SET acknowledge_due_at = :t WHERE id = :i"),
                     {"t": now - dt.timedelta(hours=1) if engine.dialect.name == "postgresql"
                      else (now - dt.timedelta(hours=1)).replace(tzinfo=None), "i": critical})
    overdue = client.get("/api/v1/deficiencies", headers=world.headers("staff"),
                         query_string={"overdue": "true"}).get_json()
    assert [(r["id"], r["overdue"]) for r in overdue] == [(critical, True)]
    on_time = client.get("/api/v1/deficiencies", headers=world.headers("staff"),
                         query_string={"overdue": "false"}).get_json()
    assert [(r["id"], r["overdue"]) for r in on_time] == [(minor, False)]


def test_no_breach_while_awaiting_the_buyer(app, world, engine, client):
    rid = factories.add_deficiency(engine, world, severity="major")

    def move(status, **extra):
        url = f"/api/v1/deficiencies/{rid}"
        version = client.get(url, headers=world.headers("staff")).get_json()["version"]
        return client.post(f"{url}/transition", json={"status": status, **extra},
                           headers=world.headers("staff", **{"If-Match": str(version)}))

    for status in ("acknowledged", "investigating", "awaiting_buyer"):
        assert move(status).status_code == 200
    assert run_deficiency_jobs(app, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=60))["breaches"] == 0


def test_the_country_status_counts_open_and_overdue_reports(client, world, engine):
    factories.add_deficiency(engine, world, category="safety", severity=None)
    factories.add_deficiency(engine, world, severity="minor",
                             now=dt.datetime.now(dt.UTC) - dt.timedelta(days=6))  # past its 120 h
    factories.add_deficiency(engine, world, who="no", severity="major")
    status = client.get("/api/v1/countries/PL/status", headers=world.headers("pl")).get_json()
    summary = status["deficiencies"]
    assert summary["open"] == 2 and summary["overdue"] == 1
    assert summary["open_by_severity"] == {"critical": 1, "major": 0, "minor": 1}
    assert summary["availability_now"] == 100.0 and len(summary["availability_trend"]) == 12
    assert summary["next_due_at"] is not None
