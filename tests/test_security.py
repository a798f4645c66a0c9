"""Hardening: headers, size and page caps, string limits, sign-in rate limits, tokens, logs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import zoneinfo
from typing import Any

import pytest
import sqlalchemy as sa
from marshmallow import Schema, fields, validate
from sqlmodel import SQLModel

from models import ApiToken, AuditEntry
from service import create_app
from service.core import ratelimit
from service.core.db import session_scope
from service.core.security import CSP, redact
from service.schemas.common import validate_country_code, validate_currency, validate_timezone
from tests.factories import PASSWORD
from tests.test_web_pages import csrf

# --- headers -------------------------------------------------------------------------------


def test_every_answer_carries_the_security_headers(client, world):
    answers = [
        client.get("/api/v1/units", headers=world.headers("pl")),  # 200 with data
        client.get("/api/v1/units"),  # 401
        client.get("/api/v1/units/999999", headers=world.headers("pl")),  # 404
        client.get("/no/such/page"),  # 404 outside the API
        client.post("/api/v1/auth/token", json={"email": "x"}),  # 422
        client.get("/health"),
    ]
    for r in answers:
        assert r.headers["Content-Security-Policy"] == CSP, r.request.path
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert r.headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in r.headers  # not in development


def test_the_api_docs_load_everything_from_this_server(client):
    """/api/v1/docs works on a network without the internet: every file from the installation."""
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    page = docs.get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert len(urls) == 3 and all(u.startswith("/api/v1/docs/assets/") for u in urls), urls
    assert "http://" not in page and "https://" not in page
    assert '"validatorUrl": null' in page  # no validator badge fetched from outside
    for url, mimetype in zip(urls, ("text/css", "text/javascript", "text/javascript"), strict=True):
        r = client.get(url)
        assert r.status_code == 200 and r.mimetype == mimetype and len(r.data) > 100_000, url
        assert "no-store" not in r.headers["Cache-Control"]
    assert b"SwaggerUIBundle" in client.get("/api/v1/docs/assets/swagger-ui-bundle.js").data
    assert client.get("/api/v1/docs/assets/../__init__.py").status_code == 404
    csp = docs.headers["Content-Security-Policy"]
    assert "http" not in csp and "'sha256-" in csp
    assert re.search(r"script-src 'self' 'sha256-[^']+'; ", csp)  # our files and the one inline start
    assert "'unsafe-inline'" not in csp  # styles from swagger-ui.css alone, scripts by file or hash
    assert "frame-ancestors 'none'" in csp
    spec = client.get("/api/v1/openapi.json")
    assert spec.headers["Content-Security-Policy"] == CSP and "no-store" not in spec.headers.get(
        "Cache-Control", "")


def test_production_adds_hsts_and_secure_cookies():
    app = create_app({"DATABASE_URL": "sqlite://", "ENV_NAME": "production", "SECRET_KEY": "x" * 40})
    r = app.test_client().get("/api/v1/openapi.json")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


# --- sizes ---------------------------------------------------------------------------------


def test_bodies_over_the_limit_answer_413_and_write_nothing(client, world, engine):
    before = _count(engine, "weapon_system")
    big = {"code": "BIG", "name": "x" * (1024 * 1024 + 10), "category": "land", "manufacturer": "m"}
    r = client.post("/api/v1/systems", json=big, headers=world.headers("staff"))
    assert r.status_code == 413
    assert r.get_json()["code"] == 413
    assert _count(engine, "weapon_system") == before


def test_page_size_is_capped(client, world):
    h = world.headers("staff")
    assert client.get("/api/v1/units?page_size=100", headers=h).status_code == 200
    r = client.get("/api/v1/units?page_size=101", headers=h)
    assert r.status_code == 422 and "page_size" in json.dumps(r.get_json()["errors"])
    assert client.get("/api/v1/units?page=0", headers=h).status_code == 422


def test_huge_numbers_are_refused_not_crashed_on(client, world):
    h = world.headers("staff")
    assert client.get(f"/api/v1/units/{2**63}", headers=h).status_code == 404
    assert client.get(f"/api/v1/units?page={10**30}", headers=h).status_code in (200, 422)
    r = client.post("/api/v1/units", headers=h, json={
        "serial": "X-1", "system_id": 10**30, "contract_id": 10**30})
    assert r.status_code in (404, 422)


def _count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608


# --- every loaded string fits its column ---------------------------------------------------

# Validators that are functions: the longest value each lets through.
KNOWN_LIMITS = {
    validate_country_code: 2,
    validate_currency: 3,
    validate_timezone: max(len(z) for z in zoneinfo.available_timezones()),
}
# Schemas whose name does not say which table they write.
SCHEMA_MODELS = {"System": "weapon_system", "TokenRequest": "api_token", "Credentials": "app_user"}
SUFFIXES = ("Create", "Update", "Request", "Input", "Form")


def _loading_schemas(app: Any) -> dict[str, Schema]:
    """Every schema the API loads request bodies with (nested ones included)."""
    found: dict[str, Schema] = {}

    def add(schema: Any) -> None:
        schema = schema() if isinstance(schema, type) else schema
        name = type(schema).__name__
        if name in found:
            return
        found[name] = schema
        for field in schema.fields.values():
            inner = field.inner if isinstance(field, fields.List) else field
            if isinstance(inner, fields.Nested):
                add(inner.nested)

    for view in app.view_functions.values():
        cls = getattr(view, "view_class", None)
        for method in ("post", "put", "patch", "delete"):
            target = getattr(cls, method, None) if cls else None
            for arg in getattr(target, "_apidoc", {}).get("arguments", {}).get("parameters", []):
                if arg.get("in") in ("json", "form", "files"):
                    add(arg["schema"])
    return found


def _table_for(schema_name: str) -> sa.Table | None:
    base = schema_name.removesuffix("Schema")
    for suffix in SUFFIXES:
        base = base.removesuffix(suffix)
    tables = SQLModel.metadata.tables
    if base in SCHEMA_MODELS:
        return tables[SCHEMA_MODELS[base]]
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in base).lstrip("_")
    candidates = [t for name, t in tables.items() if name == snake or name.endswith(f"_{snake}")]
    return candidates[0] if len(candidates) == 1 else None


def _limit(field: fields.Field) -> int | None:
    limits = []
    for v in field.validators:
        if isinstance(v, validate.Length) and v.max is not None:
            limits.append(v.max)
        elif isinstance(v, validate.OneOf):
            limits.append(max(len(str(c)) for c in v.choices))
        elif v in KNOWN_LIMITS:
            limits.append(KNOWN_LIMITS[v])
    return min(limits) if limits else None


def test_every_loaded_string_fits_its_column(app):
    schemas = _loading_schemas(app)
    assert {"UnitSchema", "ContractSchema", "UserSchema"} <= set(schemas)
    problems, checked = [], 0
    for name, schema in schemas.items():
        table = _table_for(name)
        for field_name, field in schema.fields.items():
            if field.dump_only or not isinstance(field, fields.String):
                continue
            limit = _limit(field)
            if limit is None:
                problems.append(f"{name}.{field_name}: no length limit")
                continue
            column = table.c.get(field.attribute or field_name) if table is not None else None
            length = getattr(column.type, "length", None) if column is not None else None
            if length is not None:
                checked += 1
                if limit > length:
                    problems.append(f"{name}.{field_name}: allows {limit}, column holds {length}")
    assert not problems, problems
    assert checked >= 12


# --- sign-in rate limit --------------------------------------------------------------------


@pytest.fixture
def tight_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3/300")


def _sign_in(client, email: str, password: str = "wrong", addr: str = "10.0.0.1") -> Any:  # noqa: S107
    return client.post("/api/v1/auth/token", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": addr})


def test_sign_in_is_limited_per_address_with_retry_after_and_audited(client, world, engine,
                                                                      tight_limit):
    answers = [_sign_in(client, f"u{i}@example.org").status_code for i in range(4)]
    assert answers == [401, 401, 401, 429]
    r = _sign_in(client, "pl@example.org", PASSWORD)  # even the right password waits
    assert r.status_code == 429 and r.get_json()["code"] == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 300
    assert _sign_in(client, "pl@example.org", PASSWORD, addr="10.0.0.2").status_code == 201
    with engine.connect() as conn:
        statuses = [c["status"] for c in conn.scalars(
            sa.select(AuditEntry.changes).where(AuditEntry.action == "denied"))]
    assert statuses.count(429) == 2 and statuses.count(401) == 3


def test_sign_in_is_limited_per_email_across_addresses(client, world, tight_limit):
    answers = [_sign_in(client, "pl@example.org", addr=f"10.0.1.{i}").status_code for i in range(4)]
    assert answers == [401, 401, 401, 429]
    # The e-mail is matched however it is spelled.
    assert _sign_in(client, " PL@example.org", PASSWORD, addr="10.0.2.1").status_code == 429


def test_successful_sign_ins_from_one_address_never_run_out_but_guesses_do(client, world, tight_limit):
    """An office behind one address signs in as often as it needs: only failed attempts count."""
    for _ in range(6):
        assert _sign_in(client, "pl@example.org", PASSWORD).status_code == 201
        assert _sign_in(client, "no@example.org", PASSWORD).status_code == 201
    answers = [_sign_in(client, f"guess{i}@example.org").status_code for i in range(4)]
    assert answers == [401, 401, 401, 429]


def test_counters_are_shared_by_every_process_and_expire(app, engine, world):
    other = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-secret"})
    from service.core.db import get_engine

    now = 960_000.0  # the start of a 60 s window
    keys = ["ip:10.9.9.9"]
    assert ratelimit.hit(engine, keys, limit=2, window=60, now=now) is None
    assert ratelimit.hit(get_engine(other), keys, limit=2, window=60, now=now + 1) is None
    assert ratelimit.hit(engine, keys, limit=2, window=60, now=now + 2) == 58
    assert ratelimit.hit(engine, keys, limit=2, window=60, now=now + 60) is None  # a new window
    with engine.connect() as conn:  # old windows are purged as new ones start
        assert conn.scalar(sa.text("SELECT count(*) FROM rate_limit")) == 1
    get_engine(other).dispose()


def test_rate_limit_setting_is_checked():
    assert ratelimit.parse_limit("10/300") == (10, 300)
    with pytest.raises(ValueError):
        ratelimit.parse_limit("10/0")
    with pytest.raises(ValueError):
        create_app({"DATABASE_URL": "sqlite://", "LOGIN_RATE_LIMIT": "ten"})


def test_the_rate_limit_covers_the_web_sign_in_endpoint_too():
    assert ratelimit.is_limited("web.login", "POST")
    assert ratelimit.is_limited("auth.TokenIssue", "POST")
    assert not ratelimit.is_limited("web.login", "GET")


# --- tokens --------------------------------------------------------------------------------


def test_unknown_revoked_and_expired_tokens_get_the_same_answer(client, world, engine):
    with session_scope(engine) as s:
        s.execute(sa.update(ApiToken).where(ApiToken.user_id == world.ids["user_no"])
                  .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        s.execute(sa.update(ApiToken).where(ApiToken.user_id == world.ids["user_pl"])
                  .values(revoked_at=dt.datetime.now(dt.UTC)))
    answers = [client.get("/api/v1/me", headers=h) for h in (
        world.headers("no"), world.headers("pl"), {"Authorization": "Bearer kst_" + "A" * 43},
        {"Authorization": "Bearer"}, {"Authorization": "Basic dXNlcjpwYXNz"})]
    assert {r.status_code for r in answers} == {401}
    assert len({r.get_data() for r in answers}) == 1
    assert len({tuple(sorted(r.headers.items())) for r in answers}) == 1


# --- logs ----------------------------------------------------------------------------------


def test_secrets_never_reach_the_logs(app, client, world, caplog):
    token = world.tokens["pl"]
    caplog.set_level(logging.DEBUG)
    with app.test_request_context("/api/v1/me", headers={"Authorization": f"Bearer {token}",
                                                          "Cookie": "session=abc.def.ghi"}):
        from flask import request

        app.logger.warning("request headers: %s", dict(request.headers))
        app.logger.info("raw: Authorization: Bearer %s", token)
    logging.getLogger("anything").info("body %s", {"email": "a@b.c", "password": "hunter2-secret"})
    logging.getLogger("anything").info("form email=a@b.c&password=hunter2-secret")
    try:
        raise RuntimeError(f"could not use {token}")
    except RuntimeError:
        logging.getLogger("anything").exception("failed")
    client.get("/api/v1/me", headers=world.headers("pl"))  # whatever the app logs itself
    text = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert token not in text and token[4:20] not in text
    assert "hunter2-secret" not in text and "abc.def.ghi" not in text
    assert "kst_***" in text and "failed" in text


def test_redact_keeps_the_rest_of_the_message():
    assert redact("GET /api/v1/units 200") == "GET /api/v1/units 200"
    assert redact("Authorization: Bearer kst_abcdefgh12345") == "Authorization: ***"
    assert redact('{"password": "x y"}') == '{"password": "***"}' or "x y" not in redact(
        '{"password": "x y"}')
    assert "$argon2id$v=19" not in redact("hash $argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA")


def test_the_sign_in_page_over_the_limit_says_how_long_to_wait(client, world, tight_limit):
    for _ in range(3):
        client.post("/login", data={"csrf_token": csrf(client, "/login"), "email": "pl@example.org",
                                    "password": "wrong"}, environ_base={"REMOTE_ADDR": "10.3.0.1"})
    r = client.post("/login", data={"csrf_token": csrf(client, "/login"), "email": "pl@example.org",
                                    "password": "wrong"}, environ_base={"REMOTE_ADDR": "10.3.0.1"})
    wait = r.headers["Retry-After"]
    assert r.status_code == 429 and 1 <= int(wait) <= 300
    assert f"wait {wait} seconds, then try again" in r.get_data(as_text=True)
    korean = client.post("/login", data={"csrf_token": csrf(client, "/login"), "email": "pl@example.org",
                                         "password": "wrong"}, environ_base={"REMOTE_ADDR": "10.3.0.1"},
                         headers={"Accept-Language": "ko"})
    assert korean.status_code == 429 and "시도 횟수 초과" in korean.get_data(as_text=True)
    assert "Too many attempts" not in korean.get_data(as_text=True)
