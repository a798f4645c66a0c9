"""Issue 14's robustness items: hostile bodies, recurrence rules, logs, a full disk, 503s."""

from __future__ import annotations

import io
import logging

import pytest
import sqlalchemy as sa

from models import AuditEntry

DEEP = "[" * 2000 + "]" * 2000  # 4 KB, nested past the parser's recursion limit


# --- bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/public/surveys/x",
                                  "/api/v1/systems"])
def test_deep_json_answers_400(client, world, path, caplog):
    r = client.post(path, data=DEEP, content_type="application/json", headers=world.headers("staff"))
    assert r.status_code == 400, r.get_data(as_text=True)
    body = r.get_json()
    assert body["code"] == 400 and body["errors"] == {"json": ["nested too deeply"]}
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text


def test_deep_json_sign_in_counts_against_the_limit(client, world, engine, monkeypatch, app):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3/300")
    answers = [client.post("/api/v1/auth/token", data=DEEP, content_type="application/json",
                           environ_base={"REMOTE_ADDR": "10.7.0.1"}).status_code for _ in range(4)]
    assert answers == [400, 400, 400, 429]
    with engine.connect() as conn:
        denied = [c["status"] for c in conn.scalars(
            sa.select(AuditEntry.changes).where(AuditEntry.action == "denied"))]
    assert 429 in denied


def _chunked(client, path, body: bytes, headers):
    """As gunicorn hands on a chunked body: no Content-Length, the stream ends where the body does."""
    return client.post(path, input_stream=io.BytesIO(body), content_type="application/json",
                       headers={"Transfer-Encoding": "chunked", **headers},
                       environ_base={"wsgi.input_terminated": True})


def test_a_chunked_body_over_the_limit_answers_413_and_writes_nothing(client, world, engine):
    before = _count(engine, "weapon_system")
    big = b'{"code": "BIG", "category": "land", "manufacturer": "m", "name": "' + b"x" * (
        1024 * 1024 + 10) + b'"}'
    r = _chunked(client, "/api/v1/systems", big, world.headers("staff"))
    assert r.status_code == 413, r.get_data(as_text=True)
    assert r.get_json()["code"] == 413
    assert _count(engine, "weapon_system") == before


def test_a_chunked_body_under_the_limit_is_read_whole(client, world):
    body = b'{"code": "SMALL", "name": "Small", "category": "land", "manufacturer": "m"}'
    r = _chunked(client, "/api/v1/systems", body, world.headers("staff"))
    assert r.status_code == 201, r.get_data(as_text=True)


def _count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608


_ = logging
