"""Cross-site request forgery: a cookie never authorises an API write; a foreign origin changes nothing."""

from __future__ import annotations

import pytest

from tests.conftest import rows
from tests.test_web_pages import csrf, sign_in

FOREIGN = {"Origin": "https://evil.example"}


@pytest.fixture
def admin_browser(client, world):
    """A client holding the admin's session cookie (signed in through the page)."""
    assert sign_in(client, "admin").status_code == 302
    return client


def test_the_cookie_does_not_authorise_api_writes(admin_browser, world, engine):
    """Issue 14.4: `POST /users/3/tokens` with an admin's cookie and a form body answered 201."""
    before = rows(engine, "api_token")
    for headers in ({}, FOREIGN):  # same-site or not, a cookie-authorised API write is refused
        r = admin_browser.post(f"/api/v1/users/{world.ids['user_pl']}/tokens", data={"name": "x"},
                               headers=headers, content_type="application/x-www-form-urlencoded")
        assert r.status_code == 403, r.get_json()
    r = admin_browser.post("/api/v1/me/calendar-feed/rotate")
    assert r.status_code == 403 and "bearer token" in r.get_json()["message"]
    assert rows(engine, "api_token") == before
    # reads with the cookie still work (the pages link to PDFs), and so does the bearer token
    assert admin_browser.get("/api/v1/me").status_code == 200
    r = admin_browser.post("/api/v1/me/calendar-feed/rotate", headers=world.headers("admin"))
    assert r.status_code == 200


@pytest.mark.parametrize("headers", [FOREIGN, {"Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "same-site"},
                                     {"Origin": "http://localhost.evil.example"},
                                     {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"}])
def test_a_page_write_from_another_site_is_refused_even_with_the_token(admin_browser, headers):
    token = csrf(admin_browser, "/me")
    r = admin_browser.post("/me/calendar-feed", data={"csrf_token": token}, headers=headers)
    assert r.status_code == 403
    # the same form from this site works, as Chromium sends it (`Origin: null` under the
    # pages' `Referrer-Policy: no-referrer`), and with this host or PUBLIC_BASE_URL as origin
    for ours in ({"Origin": "null", "Sec-Fetch-Site": "same-origin"}, {"Origin": "http://localhost"},
                 {"Origin": admin_browser.application.config["PUBLIC_BASE_URL"]}):
        r = admin_browser.post("/me/calendar-feed", data={"csrf_token": token}, headers=ours)
        assert r.status_code == 302, ours


def test_sign_in_from_another_site_is_refused(client, world):
    """Login CSRF: a foreign page must not sign the visitor in to the attacker's account."""
    r = client.post("/login", data={"email": "admin@example.org", "password": "x",
                                    "csrf_token": csrf(client)}, headers=FOREIGN)
    assert r.status_code == 403
    assert client.get("/api/v1/me").status_code == 401


def test_bearer_writes_are_not_origin_checked(client, world):
    """A bearer token is never sent by a browser on its own: its origin does not matter."""
    r = client.post("/api/v1/me/calendar-feed/rotate", headers=world.headers("pl", **FOREIGN))
    assert r.status_code == 200
