"""The read cache (service.readcache) and the data revision under it (service.revision).

What a user would notice: a change, made anywhere, shows on the very next read; a cached
answer never reaches another country, a revoked token or a changed clock.
"""

from __future__ import annotations

import datetime as dt
import time

import sqlalchemy as sa
from sqlmodel import SQLModel

from models import ApiToken
from service import auth, readcache, revision
from tests import factories
from tests.conftest import QueryCounter

STATUS = "/api/v1/countries/PL/status"
EVENTS = "/api/v1/events?country=PL&page_size=50"


def _titles(response) -> list[str]:
    body = response.get_json()
    items = body["next_services"] if isinstance(body, dict) else body
    return [e["title"] for e in items]


def _statements(engine, client, path, headers) -> tuple[int, object]:
    with QueryCounter(engine) as q:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return len(q.statements), response


def test_every_application_table_renews_the_revision(engine):
    """Migrations gave every table of the models its triggers (a table added without them, or a
    batch migration that rebuilt a table and lost them, fails here)."""
    tables = revision.tracked_tables(SQLModel.metadata)
    assert {"service_event", "survey_response", "corrective_action", "unit"} <= set(tables)
    with engine.connect() as conn:
        installed = revision.installed_triggers(conn)
    missing = [name for table in tables for name in revision.trigger_names(table, engine.dialect.name)
               if name not in installed]
    assert missing == []


def test_a_commit_renews_the_revision_and_a_rollback_does_not(engine, world):
    def now() -> str | None:
        with engine.connect() as conn:
            return revision.current(conn)

    before = now()
    with engine.connect() as conn:
        conn.execute(sa.text("UPDATE country SET name = 'Changed' WHERE code = 'PL'"))
        conn.rollback()
    assert now() == before
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE country SET name = 'Changed' WHERE code = 'PL'"))
        conn.execute(sa.text("UPDATE country SET name = 'Again' WHERE code = 'NO'"))
    assert now() not in (before, None)


def test_a_repeated_read_is_answered_from_the_cache(client, world, engine):
    h = world.headers("pl")
    for path in (STATUS, EVENTS):
        first, body = _statements(engine, client, path, h)
        again, cached = _statements(engine, client, path, h)
        assert again == 1 < first
        assert cached.get_data() == body.get_data()
    with QueryCounter(engine) as q:
        client.get(STATUS, headers=h)
    assert len(q.statements) == 1 and "data_revision" in q.statements[0]  # the caller is known
    assert "api_token" not in q.statements[0]
    assert "X-Pagination" in cached.headers and cached.headers["Cache-Control"] == "no-store"


def test_a_write_through_the_api_shows_on_the_next_read(client, world, engine):
    h, staff = world.headers("pl"), world.headers("staff")
    assert _titles(client.get(STATUS, headers=h)) == []
    assert _titles(client.get(EVENTS, headers=h)) == []
    created = client.post("/api/v1/events", headers=staff, json={
        "kind": "joint_training", "title": "Gunnery joint training", "country": "PL",
        "system_id": world.ids["k9"], "starts_at": "2030-07-01T09:00:00+02:00",
        "ends_at": "2030-07-03T17:00:00+02:00", "location": "Orzysz range",
        "objectives": "Fire-control drills"})
    assert created.status_code == 201
    assert _titles(client.get(STATUS, headers=h)) == ["Gunnery joint training"]
    assert _titles(client.get(EVENTS, headers=h)) == ["Gunnery joint training"]

    event = created.get_json()
    moved = client.post(f"/api/v1/events/{event['id']}/transition", json={
        "status": "cancelled", "reason": "Range closed"},
        headers={**staff, "If-Match": created.headers["ETag"]})
    assert moved.status_code == 200
    assert _titles(client.get(STATUS, headers=h)) == []
    assert [e["status"] for e in client.get(EVENTS, headers=h).get_json()] == ["cancelled"]


def test_a_write_from_outside_the_service_shows_on_the_next_read(client, world, engine):
    """Another process or host (a job, a command, psql) changes the data: no cache outlives it."""
    factories.add_event(world.engine, world, title="Before", starts_at=dt.datetime(2030, 5, 1, tzinfo=dt.UTC))
    h = world.headers("pl")
    assert _titles(client.get(STATUS, headers=h)) == ["Before"]
    assert _titles(client.get(EVENTS, headers=h)) == ["Before"]
    outside = sa.create_engine(engine.url)
    with outside.begin() as conn:
        conn.execute(sa.text("UPDATE service_event SET title = 'After'"))
    outside.dispose()
    assert _titles(client.get(STATUS, headers=h)) == ["After"]
    assert _titles(client.get(EVENTS, headers=h)) == ["After"]


def test_a_cached_answer_never_reaches_another_country(client, world, engine):
    factories.add_event(world.engine, world, title="Polish course")
    factories.add_event(world.engine, world, country="NO", title="Norwegian course")
    pl, no = world.headers("pl"), world.headers("no")
    for _ in range(2):  # the second round is answered from the cache where it may be
        assert _titles(client.get(STATUS, headers=pl)) == ["Polish course"]
        assert _titles(client.get(EVENTS, headers=pl)) == ["Polish course"]
        assert client.get(STATUS, headers=no).status_code == 404
        assert "Polish" not in client.get(EVENTS, headers=no).get_data(as_text=True)
        assert _titles(client.get("/api/v1/events", headers=no)) == ["Norwegian course"]
        staff = client.get("/api/v1/events?page_size=50", headers=world.headers("staff"))
        assert sorted(_titles(staff)) == ["Norwegian course", "Polish course"]


def test_a_revoked_token_is_refused_though_its_answer_is_cached(client, world, engine):
    h = world.headers("pl")
    assert client.get(STATUS, headers=h).status_code == 200
    assert client.get(STATUS, headers=h).status_code == 200
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE api_token SET revoked_at = CURRENT_TIMESTAMP"))
    assert client.get(STATUS, headers=h).status_code == 401


def test_a_known_caller_is_refused_once_their_token_expires_without_any_write(
        client, world, engine, monkeypatch):
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    with engine.begin() as conn:
        conn.execute(sa.update(ApiToken).values(expires_at=expires))
    h = world.headers("pl")
    assert client.get(STATUS, headers=h).status_code == 200
    assert client.get(STATUS, headers=h).status_code == 200  # known now, answer cached
    monkeypatch.setattr(auth, "utcnow", lambda: expires + dt.timedelta(seconds=1))
    assert client.get(STATUS, headers=h).status_code == 401


def test_a_deactivated_user_is_refused_at_once(client, world, engine):
    h = world.headers("pl")
    assert client.get(STATUS, headers=h).status_code == 200
    assert client.get(STATUS, headers=h).status_code == 200
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE app_user SET active = false WHERE country_code = 'PL'"))
    assert client.get(STATUS, headers=h).status_code == 401


def test_the_dashboard_moves_on_when_a_service_starts_without_any_write(client, world, engine):
    starts = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1.5)
    factories.add_event(world.engine, world, title="Starting now", starts_at=starts)
    factories.add_event(world.engine, world, title="Next year",
                        starts_at=starts + dt.timedelta(days=365))
    h = world.headers("pl")
    assert _titles(client.get(STATUS, headers=h)) == ["Starting now", "Next year"]
    assert _titles(client.get(STATUS, headers=h)) == ["Starting now", "Next year"]
    time.sleep(max(0.0, (starts - dt.datetime.now(dt.UTC)).total_seconds()) + 0.1)
    assert _titles(client.get(STATUS, headers=h)) == ["Next year"]


def test_the_cache_keeps_within_its_size_and_drops_the_oldest():
    cache = readcache.ReadCache(max_bytes=800)
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    for n in range(10):
        cache.put((n,), readcache.Entry("r1", None, (), b"x" * 100))
    assert len(cache) == 8 and cache.get((0,), "r1", now) is None and cache.get((9,), "r1", now)
    assert cache.get((9,), "r2", now) is None and len(cache) == 7  # another revision: gone
    cache.put(("until",), readcache.Entry("r1", now, (), b"y"))
    assert cache.get(("until",), "r1", now - dt.timedelta(seconds=1)) is not None
    assert cache.get(("until",), "r1", now) is None
    cache.put(("huge",), readcache.Entry("r1", None, (), b"z" * 200))  # over 1/8 of it: not kept
    assert cache.get(("huge",), "r1", now) is None


def test_switched_off_every_read_is_computed(app, client, world, engine, monkeypatch):
    monkeypatch.setitem(app.config, "READ_CACHE", False)
    h = world.headers("pl")
    client.get("/api/v1/me", headers=h)  # the token's first use is noted (once per few minutes)
    first, _ = _statements(engine, client, STATUS, h)
    again, _ = _statements(engine, client, STATUS, h)
    assert again == first > 1
