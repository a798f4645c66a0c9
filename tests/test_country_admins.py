"""Country administrators (SPEC §13): a country's own administrator manages its liaison accounts,
through the API and the pages, and every reach beyond (staff, admins, another country's users,
their own account, a role or country change) is refused and audited."""

from __future__ import annotations

import re
import time
from typing import Any

import itsdangerous.timed
import sqlalchemy as sa
from sqlmodel import col, select

from models import AuditEntry, Notification, User
from service.core.db import session_scope
from tests.conftest import rows
from tests.factories import PASSWORD
from tests.test_web_pages import csrf, sign_in

NEW_PASSWORD = "amber quiet lantern orbit"  # noqa: S105


def _denied(engine: sa.Engine, actor: str) -> list[dict[str, Any]]:
    with session_scope(engine) as s:
        return [{"entity": e.entity, "entity_id": e.entity_id, **(e.changes or {})} for e in s.exec(
            select(AuditEntry).where(AuditEntry.action == "denied", AuditEntry.actor == actor)
            .order_by(AuditEntry.id))]


def _etag(client: Any, world: Any, user_id: int, who: str = "ca_pl") -> str:
    r = client.get(f"/api/v1/users/{user_id}", headers=world.headers(who))
    assert r.status_code == 200, r.get_json()
    return str(r.headers["ETag"])


def _new_user(**over: Any) -> dict[str, Any]:
    return {"email": "anna.nowak@example.org", "name": "Anna Nowak", "role": "liaison",
            "password": NEW_PASSWORD, **over}


# --- the API ---------------------------------------------------------------------------------


def test_a_country_admin_lists_only_their_countrys_liaisons(client, world):
    r = client.get("/api/v1/users", headers=world.headers("ca_pl"))
    assert r.status_code == 200
    assert [u["email"] for u in r.get_json()] == ["pl@example.org"]
    # Naming another country or role in the filters finds nothing more.
    assert client.get("/api/v1/users?country=NO", headers=world.headers("ca_pl")).get_json() == []
    assert client.get("/api/v1/users?role=staff", headers=world.headers("ca_pl")).get_json() == []
    everyone = client.get("/api/v1/users?page_size=100", headers=world.headers("admin")).get_json()
    assert {u["role"] for u in everyone} == {"admin", "staff", "liaison", "country_admin"}


def test_a_country_admin_creates_a_liaison_of_their_country(client, world):
    r = client.post("/api/v1/users", headers=world.headers("ca_pl"), json=_new_user())
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["role"], r.get_json()["country"]) == ("liaison", "PL")  # the country defaulted
    token = client.post("/api/v1/auth/token", json={"email": "anna.nowak@example.org",
                                                      "password": NEW_PASSWORD}).get_json()["token"]
    me = client.get("/api/v1/countries", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [c["code"] for c in me] == ["PL"]


def test_creating_anything_but_an_own_liaison_is_refused_audited_and_writes_nothing(client, world, engine):
    before = rows(engine, "app_user")
    for body, field in ((_new_user(role="staff"), "role"), (_new_user(role="admin"), "role"),
                        (_new_user(role="country_admin", country="PL"), "role"),
                        (_new_user(country="NO"), "country")):
        r = client.post("/api/v1/users", headers=world.headers("ca_pl"), json=body)
        assert r.status_code == 403, (body, r.get_json())
        assert field in r.get_json()["errors"]
    assert rows(engine, "app_user") == before
    denied = _denied(engine, "ca_pl@example.org")
    assert [(d["entity"], d["status"], d["method"]) for d in denied] == [("app_user", 403, "POST")] * 4


def test_other_accounts_answer_like_missing_ones_and_are_audited(client, world, engine):
    h = world.headers("ca_pl")
    missing = client.get("/api/v1/users/999999", headers=h)
    assert missing.status_code == 404
    for who in ("no", "ca_no", "staff", "admin"):
        user_id = world.ids[f"user_{who}"]
        for method, path, body in (("GET", f"/api/v1/users/{user_id}", None),
                                   ("PATCH", f"/api/v1/users/{user_id}", {"active": False}),
                                   ("GET", f"/api/v1/users/{user_id}/tokens", None),
                                   ("POST", f"/api/v1/users/{user_id}/tokens", {"name": "x"}),
                                   ("POST", f"/api/v1/users/{user_id}/password-reset", None),
                                   ("DELETE", f"/api/v1/users/{user_id}/tokens/1", None)):
            r = client.open(path, method=method, json=body, headers={**h, "If-Match": "*"})
            assert r.status_code == 404, (who, method, path, r.get_json())
            assert r.get_json()["message"].replace(str(user_id), "#") == \
                missing.get_json()["message"].replace("999999", "#")
    with session_scope(engine) as s:  # no reset link went out, no token was issued
        assert s.exec(select(Notification).where(Notification.kind == "password_reset")).all() == []
    assert rows(engine, "api_token") == 6  # the world's own
    denied = _denied(engine, "ca_pl@example.org")
    assert len(denied) == 1 + 4 * 6 and {d["status"] for d in denied} == {404}
    assert {d["entity_id"] for d in denied} == {"999999", *(str(world.ids[f"user_{w}"])
                                                          for w in ("no", "ca_no", "staff", "admin"))}
    with session_scope(engine) as s:  # nobody was deactivated
        assert all(u.active for u in s.exec(select(User)))


def test_a_country_admin_cannot_change_their_own_account(client, world, engine):
    own = world.ids["user_ca_pl"]
    for body in ({"role": "admin"}, {"country": "NO"}, {"active": False}, {"name": "Me"}):
        r = client.patch(f"/api/v1/users/{own}", json=body,
                         headers=world.headers("ca_pl", **{"If-Match": "*"}))
        assert r.status_code == 403, r.get_json()
    assert client.get(f"/api/v1/users/{own}", headers=world.headers("ca_pl")).status_code == 403
    assert [d["status"] for d in _denied(engine, "ca_pl@example.org")] == [403] * 5
    r = client.get(f"/api/v1/users/{own}", headers=world.headers("admin")).get_json()
    assert (r["role"], r["country"], r["name"], r["active"]) == ("country_admin", "PL", "ca_pl", True)


def test_a_liaison_is_never_promoted_nor_moved_by_a_country_admin(client, world, engine):
    pl = world.ids["user_pl"]
    for body, field in (({"role": "country_admin"}, "role"), ({"role": "staff"}, "role"),
                        ({"country": "NO"}, "country"), ({"password": NEW_PASSWORD}, "password")):
        r = client.patch(f"/api/v1/users/{pl}", json=body,
                         headers=world.headers("ca_pl", **{"If-Match": _etag(client, world, pl)}))
        assert r.status_code == 403 and field in r.get_json()["errors"], r.get_json()
    assert [d["status"] for d in _denied(engine, "ca_pl@example.org")] == [403] * 4
    after = client.get(f"/api/v1/users/{pl}", headers=world.headers("ca_pl")).get_json()
    assert (after["role"], after["country"], after["version"]) == ("liaison", "PL", 1)
    # The values it already has are no change: a full record sent back is fine.
    r = client.patch(f"/api/v1/users/{pl}", json={"role": "liaison", "country": "PL", "name": "Piotr"},
                     headers=world.headers("ca_pl", **{"If-Match": _etag(client, world, pl)}))
    assert r.status_code == 200 and r.get_json()["name"] == "Piotr"


def test_deactivating_and_reactivating_a_liaison(client, world):
    pl = world.ids["user_pl"]
    assert client.get("/api/v1/me", headers=world.headers("pl")).status_code == 200
    r = client.patch(f"/api/v1/users/{pl}", json={"active": False}, headers=world.headers("ca_pl"))
    assert r.status_code == 428  # If-Match, as for every write to a record
    r = client.patch(f"/api/v1/users/{pl}", json={"active": False},
                     headers=world.headers("ca_pl", **{"If-Match": '"0"'}))
    assert r.status_code == 412
    r = client.patch(f"/api/v1/users/{pl}", json={"active": False},
                     headers=world.headers("ca_pl", **{"If-Match": _etag(client, world, pl)}))
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert client.get("/api/v1/me", headers=world.headers("pl")).status_code == 401  # token revoked too
    r = client.patch(f"/api/v1/users/{pl}", json={"active": True},
                     headers=world.headers("ca_pl", **{"If-Match": _etag(client, world, pl)}))
    assert r.status_code == 200 and r.get_json()["active"] is True
    assert client.post("/api/v1/auth/token", json={"email": "pl@example.org",
                                                    "password": PASSWORD}).status_code == 201


def test_tokens_issued_and_revoked_by_a_country_admin(client, world):
    pl = world.ids["user_pl"]
    r = client.post(f"/api/v1/users/{pl}/tokens", json={"name": "field laptop", "expires_in_days": 7},
                    headers=world.headers("ca_pl"))
    assert r.status_code == 201
    issued = r.get_json()
    bearer = {"Authorization": f"Bearer {issued['token']}"}
    assert client.get("/api/v1/me", headers=bearer).get_json()["email"] == "pl@example.org"
    listed = client.get(f"/api/v1/users/{pl}/tokens", headers=world.headers("ca_pl")).get_json()
    assert "field laptop" in [t["name"] for t in listed]
    r = client.delete(f"/api/v1/users/{pl}/tokens/{issued['id']}", headers=world.headers("ca_pl"))
    assert r.status_code == 200 and r.get_json()["revoked_at"]
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    # Another user's token through a liaison's path is not found.
    other = client.post(f"/api/v1/users/{world.ids['user_no']}/tokens", json={},
                        headers=world.headers("admin")).get_json()
    r = client.delete(f"/api/v1/users/{pl}/tokens/{other['id']}", headers=world.headers("ca_pl"))
    assert r.status_code == 404


def _reset_link(engine: sa.Engine, email: str) -> str:
    with session_scope(engine) as s:
        mails = s.exec(select(Notification).where(Notification.kind == "password_reset",
                                                  Notification.recipient == email)
                       .order_by(Notification.id)).all()
        return re.search(r"http://[^/]+(/reset/\S+)", mails[-1].body).group(1)  # type: ignore[union-attr]  # no link fails the test


def test_a_reset_link_from_a_country_admin_works_once_for_24_hours(app, client, world, engine, monkeypatch):
    pl = world.ids["user_pl"]
    r = client.post(f"/api/v1/users/{pl}/password-reset", headers=world.headers("ca_pl"))
    assert r.status_code == 202 and r.get_json()["sent_to"] == "pl@example.org"
    link = _reset_link(engine, "pl@example.org")
    user = app.test_client()
    now = time.time()
    with monkeypatch.context() as m:  # a day and a second later the link is dead
        m.setattr(itsdangerous.timed, "time", type("Later", (), {"time": staticmethod(lambda: now + 86401)}))
        r = user.get(link)
        assert r.status_code == 404 and "has expired" in r.get_data(as_text=True)
    form = {"csrf_token": csrf(user, link), "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert user.post(link, data=form).status_code == 302
    assert client.post("/api/v1/auth/token", json={"email": "pl@example.org",
                                                    "password": NEW_PASSWORD}).status_code == 201
    assert client.post("/api/v1/auth/token", json={"email": "pl@example.org",
                                                    "password": PASSWORD}).status_code == 401
    again = app.test_client()
    r = again.get(link)
    assert r.status_code == 404 and "already used" in r.get_data(as_text=True)
    r = again.post(link, data={**form, "csrf_token": csrf(again, "/login")})
    assert r.status_code == 404


def test_a_country_admin_reads_only_their_users_audit_entries(client, world, engine):
    h = world.headers
    client.get(f"/api/v1/units/{world.ids['unit_NO']}", headers=h("pl"))  # PL liaison: refused
    client.get(f"/api/v1/units/{world.ids['unit_PL']}", headers=h("no"))  # NO liaison: refused
    client.post("/api/v1/users", headers=h("ca_pl"), json=_new_user())  # PL admin: a change
    client.post("/api/v1/users", headers=h("ca_no"), json=_new_user(email="ola@example.org"))
    seen = client.get("/api/v1/audit?page_size=100", headers=h("ca_pl")).get_json()
    assert {e["actor"] for e in seen} == {"pl@example.org", "ca_pl@example.org"}
    assert {(e["actor"], e["action"], e["entity"]) for e in seen} >= {
        ("pl@example.org", "denied", "unit"), ("ca_pl@example.org", "create", "app_user")}
    assert not any("ola@example.org" in str(e) for e in seen)
    mine = client.get("/api/v1/audit?actor=no@example.org", headers=h("ca_pl")).get_json()
    assert mine == []  # naming another country's user finds nothing
    assert len(client.get("/api/v1/audit?page_size=100", headers=h("admin")).get_json()) > len(seen)
    assert client.get("/api/v1/audit", headers=h("pl")).status_code == 403


# --- the pages -------------------------------------------------------------------------------


def test_the_users_page_of_a_country_admin(client, world, engine):
    assert sign_in(client, "ca_pl").status_code == 302
    page = client.get("/users").get_data(as_text=True)
    assert "pl@example.org" in page and "Create a liaison account" in page
    for other in ("no@example.org", "staff@example.org", "admin@example.org", "ca_no@example.org"):
        assert other not in page
    options = re.findall(r'<option value="([^"]*)"', page)
    assert options == ["liaison", "PL"]  # the only role and country offered
    assert "Sorted by role, then e-mail." in page
    home = client.get("/").get_data(as_text=True)
    assert 'href="/users"' in home and 'href="/audit"' in home
    form = {"csrf_token": csrf(client, "/users"), "email": "anna.nowak@example.org", "name": "Anna Nowak",
            "role": "liaison", "country": "PL", "password": NEW_PASSWORD}
    assert client.post("/users", data=form).status_code == 302
    assert "anna.nowak@example.org" in client.get("/users").get_data(as_text=True)
    r = client.post("/users", data={**form, "email": "ola@example.org", "country": "NO"})
    assert r.status_code == 403
    assert re.search(r'id="country-error">only your own country, PL', r.get_data(as_text=True))
    r = client.post("/users", data={**form, "email": "boss@example.org", "role": "staff", "country": ""})
    assert r.status_code == 403 and 'id="role-error"' in r.get_data(as_text=True)
    assert [d["status"] for d in _denied(engine, "ca_pl@example.org")] == [403, 403]
    with session_scope(engine) as s:
        gone = ["ola@example.org", "boss@example.org"]
        assert s.exec(select(User).where(col(User.email).in_(gone))).all() == []


def test_a_country_admins_pages_for_another_countrys_user_are_not_found(client, world, engine):
    sign_in(client, "ca_pl")
    token = csrf(client, "/users")
    for who in ("no", "staff", "admin"):
        user_id = world.ids[f"user_{who}"]
        assert client.get(f"/users/{user_id}/edit").status_code == 404
        for path in (f"/users/{user_id}/active", f"/users/{user_id}/reset", f"/users/{user_id}/tokens",
                     f"/users/{user_id}/edit"):
            assert client.post(path, data={"csrf_token": token, "active": "false", "version": "1",
                                           "name": "x"}).status_code == 404, path
    assert client.get(f"/users/{world.ids['user_ca_pl']}/edit").status_code == 403
    assert len(_denied(engine, "ca_pl@example.org")) == 3 * 5 + 1
    with session_scope(engine) as s:
        assert all(u.active and u.name != "x" for u in s.exec(select(User)))
        assert s.exec(select(Notification).where(Notification.kind == "password_reset")).all() == []


def test_a_country_admin_edits_resets_and_issues_tokens_on_the_pages(client, world, engine):
    sign_in(client, "ca_pl")
    pl = world.ids["user_pl"]
    page = client.get(f"/users/{pl}/edit").get_data(as_text=True)
    assert 'name="role"' not in page and 'name="country"' not in page  # a name only
    form = {"csrf_token": csrf(client, f"/users/{pl}/edit"), "version": "1", "name": "Piotr Kowalski"}
    assert client.post(f"/users/{pl}/edit", data=form).status_code == 302
    assert "Piotr Kowalski" in client.get("/users").get_data(as_text=True)
    assert client.post(f"/users/{pl}/reset", data={"csrf_token": form["csrf_token"]}).status_code == 302
    assert _reset_link(engine, "pl@example.org").startswith("/reset/")
    r = client.post(f"/users/{pl}/tokens", data={"csrf_token": form["csrf_token"], "token_name": "laptop",
                                                  "days": "5"})
    assert r.status_code == 201
    token = re.search(r'<code class="token-value">([^<]+)</code>', r.get_data(as_text=True)).group(1)  # type: ignore[union-attr]  # no token fails the test
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    r = client.post(f"/users/{pl}/tokens", data={"csrf_token": form["csrf_token"], "days": "0"})
    assert r.status_code == 422 and 'id="days-error"' in r.get_data(as_text=True)
    page = client.get(f"/users/{pl}/edit").get_data(as_text=True)
    assert token not in page  # shown once
    token_id = re.findall(rf"/users/{pl}/tokens/(\d+)/revoke", page)[-1]
    assert client.post(f"/users/{pl}/tokens/{token_id}/revoke",
                       data={"csrf_token": form["csrf_token"]}).status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    r = client.post(f"/users/{pl}/active", data={"csrf_token": form["csrf_token"], "version": "2",
                                                  "active": "false"})
    assert r.status_code == 302
    assert "Deactivated" in client.get("/users").get_data(as_text=True)


def test_the_audit_page_of_a_country_admin(client, world):
    client.get(f"/api/v1/units/{world.ids['unit_PL']}", headers=world.headers("no"))  # Norway's refusal
    client.get(f"/api/v1/units/{world.ids['unit_NO']}", headers=world.headers("pl"))
    sign_in(client, "ca_pl")
    page = client.get("/audit").get_data(as_text=True)
    assert "pl@example.org" in page and "no@example.org" not in page


def test_an_account_moved_to_another_country_leaves_the_first_ones_trail_and_messages(client, world, engine):
    """An account moved from Norway to Poland: its Norwegian notifications and audit entries stay
    Norway's (the admin sees them; Poland's administrator and the account itself no longer do),
    and an Idempotency-Key it used for Norway does not replay Norway's answer in Poland."""
    from service.domain import outbox

    no_id, h = world.ids["user_no"], world.headers
    rotate = "/api/v1/me/calendar-feed/rotate"
    norway_feed = client.post(rotate, json={}, headers=h("no", **{"Idempotency-Key": "k"})).get_json()
    with session_scope(engine) as s:  # a message for the Norwegian liaison, naming no country
        outbox.notify(session=s, messages=[{"key": "moved-test", "kind": "test", "user_id": no_id,
                                            "recipient": "no@example.org", "subject": "Rena leir, NO only",
                                            "body": "for Norway"}])
    assert [n["subject"] for n in client.get("/api/v1/notifications", headers=h("no")).get_json()] == [
        "Rena leir, NO only"]
    r = client.patch(f"/api/v1/users/{no_id}", json={"country": "PL"},
                     headers=h("admin", **{"If-Match": "*"}))
    assert r.status_code == 200 and r.get_json()["country"] == "PL"
    token = client.post("/api/v1/auth/token",
                        json={"email": "no@example.org", "password": PASSWORD}).get_json()
    moved = {"Authorization": f"Bearer {token['token']}"}
    assert client.get("/api/v1/notifications", headers=moved).get_json() == []
    sign_in(client, "no")
    assert "Rena leir, NO only" not in client.get("/notifications").get_data(as_text=True)
    trail = client.get(f"/api/v1/audit?user_id={no_id}&page_size=100", headers=h("ca_pl")).get_json()
    assert {(e["action"], e["entity"]) for e in trail} == {("create", "api_token")}  # the Polish sign-in
    everything = client.get(f"/api/v1/audit?user_id={no_id}&page_size=100", headers=h("admin")).get_json()
    assert any((e.get("changes") or {}).get("calendar_feed") == "rotated" for e in everything)
    again = client.post(rotate, json={}, headers={**moved, "Idempotency-Key": "k"})
    assert again.status_code == 200 and "Idempotent-Replayed" not in again.headers
    assert again.get_json() != norway_feed
