"""API tokens: every one expires (default and maximum in the settings); their last use, on /me."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlmodel import col

from models import ApiToken, utcnow
from service.core import token_use
from service.core.config import ConfigError, Settings
from service.core.db import session_scope
from tests.test_web_pages import csrf, sign_in


def _token_row(engine, token_id):
    with session_scope(engine) as s:
        return s.get(ApiToken, token_id)


def test_admin_issued_tokens_expire_by_default_and_never_past_the_maximum(app, client, world, engine):
    """Issue 14.8: a token issued without `expires_in_days` never expired."""
    h, url = world.headers("admin"), f"/api/v1/users/{world.ids['user_pl']}/tokens"
    r = client.post(url, headers=h, json={"name": "ci"})
    assert r.status_code == 201
    expires = dt.datetime.fromisoformat(r.get_json()["expires_at"])
    expected = utcnow() + dt.timedelta(hours=app.config["TOKEN_TTL_HOURS"])
    assert abs(expires - expected) < dt.timedelta(minutes=1)
    max_days = app.config["TOKEN_MAX_TTL_HOURS"] // 24
    assert client.post(url, headers=h, json={"expires_in_days": max_days}).status_code == 201
    before = len(client.get(url, headers=h).get_json())
    r = client.post(url, headers=h, json={"expires_in_days": max_days + 1})
    assert r.status_code == 422 and "expires_in_days" in r.get_json()["errors"]
    assert len(client.get(url, headers=h).get_json()) == before  # nothing written


def test_cli_tokens_expire_and_respect_the_maximum(app, world, engine):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["users", "token", "pl@example.org"])
    assert r.exit_code == 0, r.output
    with session_scope(engine) as s:
        newest = s.scalars(sa.select(ApiToken).order_by(col(ApiToken.id).desc())).first()
        assert newest is not None and newest.expires_at is not None
    too_long = app.config["TOKEN_MAX_TTL_HOURS"] // 24 + 1
    r = runner.invoke(args=["users", "token", "pl@example.org", "--days", str(too_long)])
    assert r.exit_code != 0 and "--days" in r.output and "at most" in r.output


def test_an_expired_token_no_longer_works(client, world, engine):
    with session_scope(engine) as s:
        for t in s.scalars(sa.select(ApiToken)):
            t.expires_at = utcnow() - dt.timedelta(seconds=1)
    assert client.get("/api/v1/me", headers=world.headers("pl")).status_code == 401


def test_settings_refuse_a_default_past_the_maximum():
    with pytest.raises(ConfigError, match="TOKEN_TTL_HOURS"):
        Settings.from_env({"TOKEN_TTL_HOURS": "9000", "TOKEN_MAX_TTL_HOURS": "100"})
    assert Settings.from_env({}).token_max_ttl_hours >= Settings.from_env({}).token_ttl_hours


def test_last_use_is_written_at_most_once_per_interval(app, client, world, engine):
    h = world.headers("pl")
    writes: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if "api_token_use" in statement:
            writes.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            assert client.get("/api/v1/me", headers=h).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(writes) == 1  # the first read notes the use; the next four write nothing
    mine = client.get("/api/v1/me/tokens", headers=h).get_json()
    used = [t for t in mine if t["last_used_at"]]
    assert len(used) == 1
    assert abs(dt.datetime.fromisoformat(used[0]["last_used_at"]) - utcnow()) < dt.timedelta(minutes=1)
    # another worker (or this one, later) writes again only when the stored time is old enough
    app.extensions[token_use.NOTED].clear()
    client.get("/api/v1/me", headers=h)
    again = client.get("/api/v1/me/tokens", headers=h).get_json()
    assert [t["last_used_at"] for t in again if t["last_used_at"]] == [used[0]["last_used_at"]]


def test_me_page_shows_last_use_and_revokes_a_token(client, world, engine):
    assert client.get("/api/v1/me", headers=world.headers("pl")).status_code == 200  # a use
    assert sign_in(client, "pl").status_code == 302
    page = client.get("/me").get_data(as_text=True)
    assert "API tokens" in page and "Last used" in page and "never" not in page
    [token] = client.get("/api/v1/me/tokens", headers=world.headers("pl")).get_json()
    r = client.post(f"/me/tokens/{token['id']}/revoke", data={"csrf_token": csrf(client, "/me")})
    assert r.status_code == 302
    assert client.get("/api/v1/me", headers=world.headers("pl")).status_code == 401
    assert "revoked" in client.get("/me").get_data(as_text=True)


def test_nobody_revokes_another_users_token(client, world, engine):
    h_no = world.headers("no")
    [theirs] = client.get("/api/v1/me/tokens", headers=world.headers("pl")).get_json()
    assert client.delete(f"/api/v1/me/tokens/{theirs['id']}", headers=h_no).status_code == 404
    assert sign_in(client, "no").status_code == 302
    r = client.post(f"/me/tokens/{theirs['id']}/revoke", data={"csrf_token": csrf(client, "/me")})
    assert r.status_code == 404
    assert client.get("/api/v1/me", headers=world.headers("pl")).status_code == 200
    assert _token_row(engine, theirs["id"]).revoked_at is None
