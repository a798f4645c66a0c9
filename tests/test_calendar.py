"""The personal iCalendar feed: scoped like the holder's requests, stable, revocable."""

from __future__ import annotations

import datetime as dt

import icalendar

from models import utcnow
from tests import factories


def _feed_url(client, world, who):
    url = client.get("/api/v1/me", headers=world.headers(who)).get_json()["calendar_feed_url"]
    assert url.startswith("http://127.0.0.1:5000/api/v1/calendar/") and url.endswith(".ics")
    return url.removeprefix("http://127.0.0.1:5000")


def _events(client, path):
    r = client.get(path)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.headers["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(r.data)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_liaison_feed_holds_only_their_country(client, world, engine):
    soon = utcnow().replace(microsecond=0) + dt.timedelta(days=10)
    pl = factories.add_event(engine, world, starts_at=soon, title="Orzysz gunnery", location="Orzysz")
    pl_cancelled = factories.add_event(engine, world, starts_at=soon + dt.timedelta(days=1),
                                       status="cancelled")
    no = factories.add_event(engine, world, country="NO", starts_at=soon, title="Oslo range gunnery")
    factories.add_event(engine, world, starts_at=soon + dt.timedelta(days=400), title="Too far ahead")
    factories.add_event(engine, world, starts_at=soon - dt.timedelta(days=200), title="Long past")
    events = _events(client, _feed_url(client, world, "pl"))
    assert set(events) == {f"event-{pl}@k-sustain", f"event-{pl_cancelled}@k-sustain"}
    first = events[f"event-{pl}@k-sustain"]
    assert first["SUMMARY"] == "Joint training: Orzysz gunnery"
    assert first.decoded("DTSTART") == soon and first.decoded("DTSTART").tzinfo is not None
    assert first.decoded("DTEND") == soon + dt.timedelta(hours=8)
    assert str(first["STATUS"]) == "TENTATIVE" and int(first["SEQUENCE"]) == 0
    assert "LAST-MODIFIED" in first and str(first["LOCATION"]) == "Orzysz"
    assert str(events[f"event-{pl_cancelled}@k-sustain"]["STATUS"]) == "CANCELLED"
    assert "Oslo" not in client.get(_feed_url(client, world, "pl")).get_data(as_text=True)
    staff = _events(client, _feed_url(client, world, "staff"))
    assert f"event-{no}@k-sustain" in staff and f"event-{pl}@k-sustain" in staff


def test_feed_url_is_stable_and_rotation_revokes_it(client, world, engine):
    old = _feed_url(client, world, "pl")
    assert _feed_url(client, world, "pl") == old
    r = client.post("/api/v1/me/calendar-feed/rotate", headers=world.headers("pl"))
    assert r.status_code == 200
    new = r.get_json()["calendar_feed_url"].removeprefix("http://127.0.0.1:5000")
    assert new != old and _feed_url(client, world, "pl") == new
    revoked = client.get(old)
    unknown = client.get("/api/v1/calendar/999-0123456789abcdef0123456789abcdef.ics")
    malformed = client.get("/api/v1/calendar/not-a-token.ics")
    assert revoked.status_code == unknown.status_code == malformed.status_code == 404
    assert revoked.get_json() == unknown.get_json() == malformed.get_json()
    assert client.get(new).status_code == 200
    # The rotation is audited without the salt itself; the user's web sessions stay valid.
    audit = client.get("/api/v1/audit", headers=world.headers("admin"),
                       query_string={"entity": "app_user", "entity_id": str(world.ids["user_pl"])}).get_json()
    assert any(a["changes"] == {"feed_salt": "***", "calendar_feed": "rotated"} for a in audit)


def test_a_forged_token_for_another_user_is_404(client, world, engine):
    mine = _feed_url(client, world, "pl").rsplit("/", 1)[1]
    forged = f"{world.ids['user_no']}-{mine.split('-', 1)[1]}"
    assert client.get(f"/api/v1/calendar/{forged}").status_code == 404


def test_sequence_follows_the_version(client, world, engine):
    event_id = factories.add_event(engine, world, starts_at=utcnow() + dt.timedelta(days=3),
                                   status="confirmed")
    event = _events(client, _feed_url(client, world, "staff"))[f"event-{event_id}@k-sustain"]
    assert int(event["SEQUENCE"]) == 1 and str(event["STATUS"]) == "CONFIRMED"


def test_feed_of_an_inactive_user_is_404(client, world, engine):
    url = _feed_url(client, world, "no")
    client.patch(f"/api/v1/users/{world.ids['user_no']}", headers=world.headers("admin", **{"If-Match": "*"}),
                 json={"active": False})
    assert client.get(url).status_code == 404
