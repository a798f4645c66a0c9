"""Weak passwords are refused (NIST SP 800-63B 3.1.1.2), by one rule, wherever a password is set."""

from __future__ import annotations

import re

import pytest

from service.domain import identity
from service.domain.errors import Invalid
from tests.conftest import rows
from tests.test_web_pages import csrf, sign_in

# Issue 14.9's three, then a keyboard walk, a sequence, a common word with digits.
COMMON = ["aaaaaaaaaa", "1234567890", "password12", "qwertyuiop", "abcdefghij", "iloveyou12"]
OWN = ["anna.kowalska1", "Kowalska2026!", "ANNAKOWALSKA", "kowalska.anna", "example.pl!!"]
EMAIL, NAME = "anna.kowalska@example.pl", "Anna Kowalska"


@pytest.mark.parametrize("password", COMMON + OWN)
def test_weak_passwords_are_refused_with_a_reason(password):
    with pytest.raises(Invalid) as refused:
        identity.check_password(password, email=EMAIL, name=NAME)
    [reason] = refused.value.errors["password"]
    assert len(reason) > 20  # says why


@pytest.mark.parametrize("password", ["amber kestrel 47", "correct horse battery", "Tr0ub4dor&3x",
                                      "k-sustain-demo",
                                      "the quiet orchard behind the radar station smells of pine resin"])
def test_strong_passwords_pass(password):
    identity.check_password(password, email=EMAIL, name=NAME)


def test_a_password_from_the_name_or_email_names_that_reason():
    with pytest.raises(Invalid) as refused:
        identity.check_password("Kowalska2026!", email=EMAIL, name=NAME)
    assert refused.value.errors["password"] == ["must not be made from your e-mail or name"]


def test_the_api_refuses_a_weak_password_and_writes_nothing(client, world, engine):
    h, before = world.headers("admin"), rows(engine, "app_user")
    for password in ("password12", "anna.kowalska1"):
        r = client.post("/api/v1/users", headers=h, json={
            "email": EMAIL, "name": NAME, "role": "staff", "password": password})
        assert r.status_code == 422 and "password" in r.get_json()["errors"], r.get_json()
    assert rows(engine, "app_user") == before
    r = client.patch(f"/api/v1/users/{world.ids['user_pl']}", headers={**h, "If-Match": "*"},
                     json={"password": "1234567890"})
    assert r.status_code in (412, 422)
    user = client.get(f"/api/v1/users/{world.ids['user_pl']}", headers=h)
    r = client.patch(f"/api/v1/users/{world.ids['user_pl']}", json={"password": "1234567890"},
                     headers={**h, "If-Match": user.headers["ETag"]})
    assert r.status_code == 422 and "password" in r.get_json()["errors"]
    r = client.patch(f"/api/v1/users/{world.ids['user_pl']}",
                     json={"name": "Pl Liaison", "password": "pl liaison"},
                     headers={**h, "If-Match": user.headers["ETag"]})
    assert r.status_code == 422  # the new name counts too
    assert client.get(f"/api/v1/users/{world.ids['user_pl']}", headers=h).get_json()["name"] == "pl"


def test_the_users_page_refuses_a_weak_password(client, world, engine):
    sign_in(client, "admin")
    form = {"csrf_token": csrf(client, "/users"), "email": EMAIL, "name": NAME, "role": "staff",
            "country": "", "password": "password12"}
    r = client.post("/users", data=form)
    assert r.status_code == 422
    assert re.search(r'id="password-error">[^<]*common', r.get_data(as_text=True))
    with client.application.app_context():
        assert rows(engine, "app_user") == 6  # the world's own


def test_the_cli_refuses_a_weak_password(app, engine):
    r = app.test_cli_runner().invoke(args=["users", "create", EMAIL, "--role", "staff",
                                           "--name", NAME, "--password", "aaaaaaaaaa"])
    assert r.exit_code != 0 and "password" in r.output and "Repeats" in r.output
    assert rows(engine, "app_user") == 0

