"""No open redirect: every `next` a page follows stays on this site (the sign-in form and the
language switch share `safe_next`), whatever a link smuggles in (a tab or a backslash that a
browser drops or turns into a second slash)."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.test_web_pages import csrf

OFF_SITE = ["https://evil.example/", "//evil.example/x", "/\t/evil.example/x", "/\n/evil.example/x",
            "/\\evil.example/x", "\\\\evil.example/x", " //evil.example/x", "javascript:alert(1)"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_language_switch_never_sends_off_the_site(client, target):
    r = client.get("/language/en", query_string={"next": target})
    assert r.status_code == 303 and r.headers["Location"] == "/login"


def test_the_language_switch_returns_to_a_page_of_the_site(client):
    r = client.get("/language/ko", query_string={"next": "/deficiencies?page=2"})
    assert r.status_code == 303 and r.headers["Location"] == "/deficiencies?page=2"


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_never_sends_off_the_site(client, world, target):
    r = client.post("/login", data={"email": "pl@example.org", "password": PASSWORD, "next": target,
                                    "csrf_token": csrf(client)})
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_signing_in_returns_to_the_page_asked_for(client, world):
    r = client.post("/login", data={"email": "pl@example.org", "password": PASSWORD,
                                    "next": "/deficiencies?page=2", "csrf_token": csrf(client)})
    assert r.status_code == 302 and r.headers["Location"] == "/deficiencies?page=2"
