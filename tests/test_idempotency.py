"""`Idempotency-Key` on the API's POSTs (IETF httpapi draft): a retry never creates twice."""

from __future__ import annotations

import datetime as dt
import threading

import sqlalchemy as sa

from models import IdempotencyKey, utcnow
from schedules import JOBS
from schedules import idempotency as cleanup_job
from service.domain import identity
from tests.conftest import rows

USER = {"email": "retry@example.org", "name": "Retry", "role": "staff", "password": "long enough pw"}
_table = IdempotencyKey.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__


def _post(client, world, body=None, key="k-1", who="admin", path="/api/v1/users"):
    return client.post(path, json=USER if body is None else body,
                       headers=world.headers(who, **{"Idempotency-Key": key}))


def test_a_retry_gets_the_first_answer_and_creates_nothing(client, world, engine):
    """Issue 14.14: a client that timed out and retried made a second record."""
    before = rows(engine, "app_user")
    first = _post(client, world)
    again = _post(client, world, key='"k-1"')  # the draft's Structured Field string, quoted
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["ETag"] == first.headers["ETag"] and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert rows(engine, "app_user") == before + 1
    # without the key, a second POST is a second request (here: the e-mail is taken)
    assert client.post("/api/v1/users", json=USER, headers=world.headers("admin")).status_code == 409


def test_the_same_key_with_another_request_is_422(client, world, engine):
    assert _post(client, world).status_code == 201
    r = _post(client, world, body={**USER, "name": "Someone else"})
    assert r.status_code == 422 and "Idempotency-Key" in r.get_json()["errors"]
    r = _post(client, world, path="/api/v1/me/calendar-feed/rotate", body={})
    assert r.status_code == 422
    assert rows(engine, "app_user") == 7


def test_a_duplicate_while_the_first_still_runs_is_409(client, world, engine):
    with engine.begin() as conn:  # as the first request leaves it while its view runs
        conn.execute(sa.insert(_table).values(
            caller=f"user:{world.ids['user_admin']}", key="k-1", fingerprint="in flight",
            created_at=utcnow(), expires_at=utcnow() + dt.timedelta(hours=24)))
    r = _post(client, world, body={**USER, "name": "Other"})
    assert r.status_code == 422  # another request: refused whatever the first's state
    with engine.begin() as conn:
        conn.execute(sa.delete(_table))
    assert _post(client, world).status_code == 201
    with engine.begin() as conn:
        conn.execute(sa.update(_table).values(status=None, body=None))
    r = _post(client, world)
    assert r.status_code == 409 and "still being processed" in r.get_json()["message"]


def test_a_key_whose_request_never_finished_says_its_outcome_is_unknown(client, world, engine):
    """A worker killed mid-request leaves the reservation unanswered: after `ABANDONED_AFTER`
    the client is told to check, not to retry a key that can never answer."""
    assert _post(client, world).status_code == 201
    with engine.begin() as conn:  # as a killed worker leaves it: reserved long ago, never answered
        conn.execute(sa.update(_table).values(status=None, body=None,
                                              created_at=utcnow() - dt.timedelta(minutes=6)))
    r = _post(client, world)
    assert r.status_code == 409 and "outcome is unknown" in r.get_json()["message"]
    assert "Idempotency-Key" in r.get_json()["errors"]
    assert rows(engine, "app_user") == 7  # nothing ran again


def test_keys_belong_to_their_caller(client, world):
    """Poland's key must never replay Norway's answer (here: Norway's secret feed address)."""
    pl = _post(client, world, who="pl", path="/api/v1/me/calendar-feed/rotate", body={}, key="same")
    no = _post(client, world, who="no", path="/api/v1/me/calendar-feed/rotate", body={}, key="same")
    assert pl.status_code == no.status_code == 200
    assert pl.get_json() != no.get_json() and "Idempotent-Replayed" not in no.headers
    again = _post(client, world, who="pl", path="/api/v1/me/calendar-feed/rotate", body={}, key="same")
    assert again.get_json() == pl.get_json() and again.headers["Idempotent-Replayed"] == "true"


def test_a_server_failure_releases_the_key(client, world, engine, monkeypatch):
    real = identity.create_user

    def broken(**_kwargs):
        raise RuntimeError("worker fell over")

    monkeypatch.setattr(identity, "create_user", broken)
    assert _post(client, world).status_code == 500
    assert rows(engine, "idempotency_key") == 0
    monkeypatch.setattr(identity, "create_user", real)
    assert _post(client, world).status_code == 201


def test_refusals_are_replayed_too_and_bad_keys_are_400(client, world, engine):
    bad = {**USER, "email": "not-an-address"}
    first = _post(client, world, body=bad)
    assert first.status_code == 422
    assert _post(client, world, body=bad).get_json() == first.get_json()
    for key in ("", "x" * 256, "naïve", "tab\tkey"):
        r = _post(client, world, key=key)
        assert r.status_code == 400 and "Idempotency-Key" in r.get_json()["errors"], key
    assert rows(engine, "app_user") == 6


def test_anonymous_and_page_posts_take_no_key(client, world, engine):
    r = client.post("/api/v1/auth/token", json={"email": "pl@example.org", "password": "long enough pw"},
                    headers={"Idempotency-Key": "k"})
    assert r.status_code == 401 and rows(engine, "idempotency_key") == 0


def test_keys_expire_after_24_hours_and_the_daily_job_deletes_them(app, client, world, engine):
    assert _post(client, world).status_code == 201
    with engine.begin() as conn:
        [expires] = conn.execute(sa.select(_table.c.expires_at)).scalars()
        assert abs(expires - utcnow() - dt.timedelta(hours=24)) < dt.timedelta(minutes=1)
        conn.execute(sa.update(_table).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    r = _post(client, world, body={**USER, "name": "Another"})  # an expired key is a new key
    assert r.status_code == 409 and "e-mail" in str(r.get_json())  # ran the view: the e-mail is taken
    with engine.begin() as conn:
        conn.execute(sa.update(_table).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    assert cleanup_job.run(app) == 1
    assert rows(engine, "idempotency_key") == 0
    assert any(job.func == "schedules.idempotency:run" for job in JOBS)


def test_a_concurrent_duplicate_is_409_and_then_gets_the_answer(app, client, world, engine, monkeypatch):
    """A retry sent while the first request still runs (another worker) is told to wait, not run."""
    real, running, release = identity.create_user, threading.Event(), threading.Event()

    def slow(**kwargs):
        running.set()
        assert release.wait(30)
        return real(**kwargs)

    monkeypatch.setattr(identity, "create_user", slow)
    answers: list = []
    first = threading.Thread(target=lambda: answers.append(_post(app.test_client(), world)))
    first.start()
    try:
        assert running.wait(30)
        duplicate = _post(client, world)
        assert duplicate.status_code == 409 and "still being processed" in duplicate.get_json()["message"]
    finally:
        release.set()
        first.join(30)
    assert answers[0].status_code == 201
    assert _post(client, world).get_json() == answers[0].get_json()
    assert rows(engine, "app_user") == 7


def test_refusals_follow_the_accept_language(client, world):
    """SPEC §12: the key's refusals in Korean for a Korean client, field name kept."""
    ko = {"Accept-Language": "ko"}
    r = client.post("/api/v1/users", json=USER,
                    headers=world.headers("admin", **{"Idempotency-Key": "é"}, **ko))
    assert r.status_code == 400 and "인쇄 가능한 ASCII" in r.get_json()["message"]
    assert r.get_json()["errors"] == {"Idempotency-Key": ["인쇄 가능한 ASCII 문자 1~255자"]}
    assert _post(client, world).status_code == 201
    r = client.post("/api/v1/users", json={**USER, "name": "Other"},
                    headers=world.headers("admin", **{"Idempotency-Key": "k-1"}, **ko))
    assert r.status_code == 422 and "다른 요청에 이미 사용" in r.get_json()["message"]
