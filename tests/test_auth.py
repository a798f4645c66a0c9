"""Identity: tokens, passwords, users, the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from models import ApiToken, AuditEntry, UserSession
from service.core.auth import hash_token
from service.core.db import session_scope
from tests.conftest import rows
from tests.factories import PASSWORD, feed_token_for
from tests.test_web_pages import csrf, sign_in


def test_token_for_password_and_me(client, world):
    r = client.post("/api/v1/auth/token", json={"email": "PL@example.org", "password": PASSWORD})
    assert r.status_code == 201
    body = r.get_json()
    assert len(body["token"]) >= 40 and body["expires_at"].endswith("+00:00")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"}).get_json()
    assert me["email"] == "pl@example.org" and me["role"] == "liaison" and me["country"] == "PL"


def test_wrong_password_is_401_and_audited(client, world, engine):
    r = client.post("/api/v1/auth/token", json={"email": "pl@example.org", "password": "nope"})
    assert r.status_code == 401 and r.get_json()["code"] == 401
    r2 = client.post("/api/v1/auth/token", json={"email": "nobody@example.org", "password": "nope"})
    assert r2.status_code == 401 and r2.get_json() == r.get_json()
    with engine.connect() as conn:
        denied = conn.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "denied", AuditEntry.entity == "auth"))
    assert denied == 2


def test_tokens_are_stored_hashed(world, engine):
    with engine.connect() as conn:
        hashes = list(conn.scalars(sa.select(ApiToken.token_hash)))
    assert hashes and not any(t in hashes for t in world.tokens.values())
    assert all(len(h) == 64 for h in hashes)


def test_revoked_and_expired_tokens_are_refused(client, world, engine):
    h = world.headers("admin")
    uid = world.ids["user_pl"]
    r = client.post(f"/api/v1/users/{uid}/tokens", json={"name": "laptop", "expires_in_days": 1},
                    headers=h)
    assert r.status_code == 201
    token, token_id = r.get_json()["token"], r.get_json()["id"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    assert client.delete(f"/api/v1/users/{uid}/tokens/{token_id}", headers=h).status_code == 200
    revoked = client.get("/api/v1/me", headers=auth)
    assert revoked.status_code == 401
    unknown = client.get("/api/v1/me", headers={"Authorization": "Bearer kst_nonsense"})
    assert unknown.get_json() == revoked.get_json()
    with session_scope(engine) as s:
        row = s.scalars(sa.select(ApiToken).where(ApiToken.user_id == world.ids["user_no"])).first()
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    assert client.get("/api/v1/me", headers=world.headers("no")).status_code == 401
    listed = client.get(f"/api/v1/users/{uid}/tokens", headers=h).get_json()
    assert all("token" not in t for t in listed) and listed[-1]["revoked_at"]


def test_admin_manages_users(client, world, engine):
    h = world.headers("admin")
    r = client.post("/api/v1/users", headers=h, json={
        "email": "eg@example.org", "name": "Cairo liaison", "role": "liaison",
        "password": "amber kestrel 47"})
    assert r.status_code == 422 and "country" in r.get_json()["errors"]
    r = client.post("/api/v1/users", headers=h, json={
        "email": "eg@example.org", "name": "Cairo liaison", "role": "liaison", "country": "NO",
        "password": "amber kestrel 47"})
    assert r.status_code == 201 and "password" not in r.get_json()
    uid = r.get_json()["id"]
    r = client.patch(f"/api/v1/users/{uid}", headers={**h, "If-Match": r.headers["ETag"]},
                     json={"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False
    login = client.post("/api/v1/auth/token",
                        json={"email": "eg@example.org", "password": "amber kestrel 47"})
    assert login.status_code == 401
    assert client.get("/api/v1/users", headers=world.headers("staff")).status_code == 403


def test_changes_are_audited_with_actor_and_fields(client, world, engine):
    h = world.headers("staff")
    url = f"/api/v1/units/{world.ids['unit_NO']}"
    tag = client.get(url, headers=h).headers["ETag"]
    client.patch(url, headers={**h, "If-Match": tag}, json={"status": "under_repair"})
    entries = client.get(f"/api/v1/audit?entity=unit&entity_id={world.ids['unit_NO']}",
                         headers=world.headers("admin")).get_json()
    update = next(e for e in entries if e["action"] == "update")
    assert update["actor"] == "staff@example.org"
    assert update["changes"] == {"status": ["operational", "under_repair"]}
    assert update["remote_addr"] == "127.0.0.1"
    created = client.get("/api/v1/audit?entity=app_user&action=create",
                         headers=world.headers("admin")).get_json()
    assert created and all(e["changes"]["password_hash"] == "***" for e in created)


def test_denied_access_is_audited(client, world, engine):
    before = rows(engine, "audit_entry")
    client.get(f"/api/v1/units/{world.ids['unit_NO']}", headers=world.headers("pl"))
    client.post("/api/v1/systems", json={}, headers=world.headers("pl"))
    client.get("/api/v1/units")
    with engine.connect() as conn:
        denied = conn.execute(sa.select(AuditEntry.actor, AuditEntry.entity, AuditEntry.changes)
                              .where(AuditEntry.action == "denied").order_by(AuditEntry.id)).all()
    assert rows(engine, "audit_entry") == before + 3
    assert [(a, e) for a, e, _ in denied] == [
        ("pl@example.org", "unit"), ("pl@example.org", "systems.Systems"), ("anonymous", "units.Units")]
    assert [c["status"] for _, _, c in denied] == [404, 403, 401]


# --- revocable sessions -------------------------------------------------------------------------

NEW_PASSWORD = "Tundra-Gazelle-Orbit-42"  # noqa: S105 - a test value


def _signed_in(app, who: str):
    client = app.test_client()
    r = sign_in(client, who)
    assert r.status_code == 302, r.get_data(as_text=True)
    assert _opens(client) == (True, 200)
    return client


def _copy_of_cookie(app, client):
    """Another browser holding a copy of `client`'s session cookie, taken now."""
    stolen = app.test_client()
    stolen.set_cookie("session", client.get_cookie("session").value)
    return stolen


def _opens(client) -> tuple[bool, int]:
    """Does `/` open (not send to sign-in), and what does `GET /api/v1/me` answer?"""
    home = client.get("/")
    sent_away = home.status_code == 302 and home.location.startswith("/login")
    return not sent_away, client.get("/api/v1/me").status_code


def test_a_copy_of_the_cookie_taken_before_sign_out_opens_nothing_after_it(app, world):
    client = _signed_in(app, "pl")
    stolen = _copy_of_cookie(app, client)
    assert _opens(stolen) == (True, 200)
    r = client.post("/logout", data={"csrf_token": csrf(client, "/logout")})
    assert r.status_code == 302
    assert _opens(stolen) == (False, 401)


def test_signing_out_ends_that_session_only(app, world):
    laptop, phone = _signed_in(app, "staff"), _signed_in(app, "staff")
    laptop.post("/logout", data={"csrf_token": csrf(laptop, "/logout")})
    assert _opens(laptop) == (False, 401) and _opens(phone) == (True, 200)


def test_sessions_are_kept_hashed_and_end_when_their_lifetime_does(app, world, engine):
    client = _signed_in(app, "pl")
    sid = app.session_interface.get_signing_serializer(app).loads(client.get_cookie("session").value)["sid"]
    with engine.begin() as conn:
        stored = conn.execute(sa.select(UserSession.token_hash, UserSession.expires_at)).all()
        assert [h for h, _ in stored] == [hash_token(sid)]
        lifetime = stored[0][1] - dt.datetime.now(dt.UTC)
        assert dt.timedelta(hours=11, minutes=59) < lifetime <= dt.timedelta(hours=12)
        conn.execute(sa.update(UserSession).values(expires_at=dt.datetime.now(dt.UTC)))
    assert _opens(client) == (False, 401)
    _signed_in(app, "pl")  # signing in again clears the user's expired sessions away
    assert rows(engine, "user_session") == 1


def test_sign_out_everywhere_from_the_web_ends_every_session_of_the_user_only(app, world):
    laptop, phone, other = _signed_in(app, "pl"), _signed_in(app, "pl"), _signed_in(app, "no")
    r = laptop.post("/logout", data={"csrf_token": csrf(laptop, "/logout"), "everywhere": "1"})
    assert r.status_code == 302
    assert _opens(laptop) == _opens(phone) == (False, 401)
    assert _opens(other) == (True, 200)
    assert laptop.get("/api/v1/me", headers=world.headers("pl")).status_code == 200  # tokens kept


def test_sign_out_everywhere_through_the_api_can_revoke_tokens_and_the_feed(app, client, world, engine):
    web = _signed_in(app, "pl")
    feed = f"/api/v1/calendar/{feed_token_for(engine, world.ids['user_pl'])}.ics"
    assert client.get(feed).status_code == 200
    r = client.post("/api/v1/me/sign-out-everywhere", headers=world.headers("pl"), json={})
    assert r.status_code == 200 and r.get_json() == {"sessions": True, "tokens": False,
                                                     "calendar_feed": False}
    assert _opens(web) == (False, 401)
    assert client.get("/api/v1/me", headers=world.headers("pl")).status_code == 200
    assert client.get(feed).status_code == 200
    r = client.post("/api/v1/me/sign-out-everywhere", headers=world.headers("pl"),
                    json={"tokens": True, "calendar_feed": True})
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers=world.headers("pl")).status_code == 401
    assert client.get(feed).status_code == 404
    assert client.get("/api/v1/me", headers=world.headers("no")).status_code == 200
    bad = client.post("/api/v1/me/sign-out-everywhere", headers=world.headers("no"), json={"tokens": "x"})
    assert bad.status_code == 422 and "tokens" in bad.get_json()["errors"]["json"]


@pytest.mark.parametrize("change", [{"password": NEW_PASSWORD}, {"role": "staff"},
                                    {"country": "NO"}, {"active": False}],
                         ids=["password", "role", "country", "deactivation"])
def test_an_admins_change_of_credentials_ends_sessions_tokens_and_feed(app, client, world, engine,
                                                                       change):
    web = _signed_in(app, "pl")
    feed = f"/api/v1/calendar/{feed_token_for(engine, world.ids['user_pl'])}.ics"
    assert client.get(feed).status_code == 200
    admin = world.headers("admin")
    url = f"/api/v1/users/{world.ids['user_pl']}"
    tag = client.get(url, headers=admin).headers["ETag"]
    r = client.patch(url, json=change, headers={**admin, "If-Match": tag})
    assert r.status_code == 200, r.get_json()
    assert _opens(web) == (False, 401)
    assert client.get("/api/v1/me", headers=world.headers("pl")).status_code == 401
    assert client.get(feed).status_code == 404
    assert _opens(_signed_in(app, "no")) == (True, 200)  # nobody else's


def test_a_change_of_name_signs_nobody_out(app, client, world):
    web = _signed_in(app, "pl")
    admin = world.headers("admin")
    url = f"/api/v1/users/{world.ids['user_pl']}"
    r = client.patch(url, json={"name": "Renamed"},
                     headers={**admin, "If-Match": client.get(url, headers=admin).headers["ETag"]})
    assert r.status_code == 200
    assert _opens(web) == (True, 200)
    assert client.get("/api/v1/me", headers=world.headers("pl")).get_json()["name"] == "Renamed"


def test_a_session_signed_out_on_one_host_is_ended_on_every_host(app, world):
    """Two hosts behind a load balancer share only the database (and SECRET_KEY)."""
    from service import create_app
    from service.core.db import get_engine

    other = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "TESTING": True,
                        "SECRET_KEY": app.config["SECRET_KEY"]})
    try:
        here = _signed_in(app, "pl")
        there = other.test_client()
        there.set_cookie("session", here.get_cookie("session").value)
        assert _opens(there) == (True, 200)
        there.post("/logout", data={"csrf_token": csrf(there, "/logout")})
        assert _opens(here) == (False, 401)
    finally:
        get_engine(other).dispose()
