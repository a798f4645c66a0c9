"""The command line: users, tokens, demo data."""

from __future__ import annotations

import re

from service.domain import periods
from tests.conftest import rows


def test_users_create_and_token(app, client, world):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["users", "create", "new@example.org", "--role", "liaison",
                            "--country", "pl", "--password", "long enough pw"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["users", "token", "new@example.org", "--name", "ci"])
    assert r.exit_code == 0
    token = r.output.strip()
    assert "\n" not in token and token.startswith("kst_")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["country"] == "PL"
    r = runner.invoke(args=["users", "create", "x@example.org", "--role", "liaison",
                            "--password", "long enough pw"])
    assert r.exit_code != 0 and "country" in r.output


def test_users_create_prompts_for_the_password(app):
    r = app.test_cli_runner().invoke(args=["users", "create", "p@example.org", "--role", "staff"],
                                     input="a secret pass\na secret pass\n")
    assert r.exit_code == 0, r.output


def test_seed_demo_small_is_believable_and_runs_once(app, engine, client):
    runner = app.test_cli_runner()
    r = r_first = runner.invoke(args=["seed-demo", "--size", "small", "--reports", "1"])
    assert r.exit_code == 0, r.output
    assert "liaison.pl@k-sustain.example" in r.output
    assert "country_admin admin.no@k-sustain.example  (NO)" in r.output
    assert rows(engine, "country") == 8 and rows(engine, "unit") > 100
    r = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "already present" in r.output and rows(engine, "country") == 8
    token = client.post("/api/v1/auth/token", json={
        "email": "liaison.pl@k-sustain.example", "password": "k-sustain-demo"}).get_json()["token"]
    fleet = client.get("/api/v1/countries/PL/fleet",
                       headers={"Authorization": f"Bearer {token}"}).get_json()
    assert {"K9A1", "K2", "FA-50", "K239"} <= {f["system_code"] for f in fleet}
    # Issue 20.15: the last months' reports are there on first start (make run: three), made as
    # the monthly job makes them, with progress shown.
    last = periods.shift(periods.current(), -1)
    assert f"report {last} PL: generated" in r_first.output
    assert f"report {last} HQ: generated" in r_first.output
    assert "reports of the last 1 month(s): 9 made" in r_first.output
    reports = client.get("/api/v1/reports", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [(x["period"], x["country"], x["status"]) for x in reports] == [(last, "PL", "ready")]
    # One country administrator per demo country, who manages that country's liaisons only.
    admin_pl = client.post("/api/v1/auth/token", json={
        "email": "admin.pl@k-sustain.example", "password": "k-sustain-demo"}).get_json()["token"]
    users = client.get("/api/v1/users", headers={"Authorization": f"Bearer {admin_pl}"}).get_json()
    assert [u["email"] for u in users] == ["liaison.pl@k-sustain.example"]
    assert rows(engine, "app_user") == 2 + 2 * 8
    # A closed demo action shows how it got there, to its country's liaison.
    bearer = {"Authorization": f"Bearer {token}"}
    closed = client.get("/api/v1/actions?status=closed", headers=bearer).get_json()[0]
    progress = client.get(f"/api/v1/actions/{closed['id']}/comments", headers=bearer).get_json()
    assert progress[-1]["body"] == f"State: in progress → closed. Resolution: {closed['resolution']}"
    # Its first morning: the daily jobs ran once, so the liaison finds what they told Poland
    # (overdue reports, expiring certificates, reminders…), and nothing of another country.
    told = int(re.search(r"the daily jobs ran once: (\d+) notifications waiting", r_first.output)[1])
    assert told == rows(engine, "notification") > 0
    inbox = client.get("/api/v1/notifications?page_size=100", headers=bearer).get_json()
    assert inbox and {n["kind"] for n in inbox} >= {"certificate_expiring"}
    with engine.connect() as conn:  # what the jobs wrote to Poland's liaison concerns Poland alone
        concerns = conn.exec_driver_sql(
            "SELECT DISTINCT n.country_code FROM notification n JOIN app_user u ON u.id = n.user_id "
            "WHERE u.email = 'liaison.pl@k-sustain.example'").scalars().all()
    assert concerns == ["PL"]


def test_users_create_goes_through_the_apis_schema(app, client, world, engine):
    """Issue 14.11: `users create bad-email` was accepted; the API's schema refuses it."""
    before = rows(engine, "app_user")
    api = client.post("/api/v1/users", headers=world.headers("admin"), json={
        "email": "bad-email", "name": "Bad", "role": "staff", "password": "long enough pw"}).get_json()
    [api_reason] = api["errors"]["json"]["email"]
    runner = app.test_cli_runner()
    r = runner.invoke(args=["users", "create", "bad-email", "--role", "staff",
                            "--password", "long enough pw"])
    assert r.exit_code != 0 and f"email: {api_reason}" in r.output
    r = runner.invoke(args=["users", "create", "ok@example.org", "--role", "liaison", "--country", "XX",
                            "--password", "long enough pw"])
    assert r.exit_code != 0 and "country" in r.output
    r = runner.invoke(args=["users", "create", "ok@example.org", "--role", "staff", "--name", "x" * 121,
                            "--password", "long enough pw"])
    assert r.exit_code != 0 and "name" in r.output
    assert rows(engine, "app_user") == before


def test_seed_demo_on_an_unmigrated_database_says_to_migrate_first(tmp_path):
    from service import create_app

    fresh = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}", "SECRET_KEY": "test-secret"})
    r = fresh.test_cli_runner().invoke(args=["seed-demo"])
    assert r.exit_code == 1 and "db upgrade" in r.output and "Traceback" not in r.output
    r = fresh.test_cli_runner().invoke(args=["db", "upgrade"])
    assert r.exit_code == 0, r.output
    from service.core.migrate import is_current

    assert is_current(fresh)
