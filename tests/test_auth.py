"""Identity: tokens, passwords, users, the audit trail."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from models import ApiToken, AuditEntry
from service.db import session_scope
from tests.conftest import rows
from tests.factories import PASSWORD


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
