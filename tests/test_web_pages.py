"""The web pages, through Flask's test client: sign-in, scope, CSRF, dashboards, users, errors."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa

from models import AuditEntry, User
from service.core.config import Settings
from service.core.db import session_scope
from service.web.filters import local
from tests.factories import OVERVIEW_PLACES, PASSWORD, add_overview_data

NORWAY = ("Norway", "NO-C-1", "K9-NO-", "Europe/Oslo", "no@example.org", OVERVIEW_PLACES["NO"],
          "Fire direction course NO")


def csrf(client: Any, path: str = "/login") -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def sign_in(client: Any, who: str, password: str = PASSWORD) -> Any:
    return client.post("/login", data={"email": f"{who}@example.org", "password": password,
                                       "csrf_token": csrf(client)})


PUBLIC_PAGES = {"web.login", "web.static", "web.favicon", "web.survey_by_link", "web.survey_thanks",
                "web.switch_language",  # the language switch of the pages before sign-in
                "web.password_reset",  # the page behind an e-mailed reset link
                "web.certificate_verify"}  # a certificate's public verification (number and code)


def page_url(rule: str, world: Any) -> str:
    """`rule` with Norway's values in its parameters (any other parameter: 1)."""
    values = {"code": "NO", "user_id": str(world.ids["user_no"]), "filename": "app.css"}
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "1"), rule)


def web_get_routes(app: Any) -> list[str]:
    return [rule.rule for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("web.") and "GET" in rule.methods]


# --- sign-in ------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in_and_back(app, client, world):
    """Every route of the pages but sign-in and the stylesheet, whatever its method."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("web.") or rule.endpoint in PUBLIC_PAGES:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = client.open(page_url(rule.rule, world), method=method)
            assert r.status_code == 302 and r.location.startswith("/login"), (method, rule.rule)
            checked += 1
    assert checked >= 7
    assert client.get("/countries?sort=nps").location == "/login?next=/countries?sort%3Dnps"
    r = sign_in(client, "pl")
    assert r.status_code == 302 and r.location == "/"


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(client, world):
    token = csrf(client)
    for target, landing in [("/countries?sort=nps", "/countries?sort=nps"), ("//evil.example/x", "/"),
                            ("https://evil.example/", "/"), ("/\\evil.example", "/"), ("javascript:x", "/")]:
        r = client.post("/login", data={"email": "staff@example.org", "password": PASSWORD,
                                        "csrf_token": token, "next": target})
        assert r.status_code == 302 and r.location == landing, target
        token = csrf(client)


def test_wrong_password_and_unknown_email_get_the_same_message_and_are_audited(client, world, engine):
    wrong = sign_in(client, "pl", password="not the password")
    unknown = sign_in(client, "nobody", password="not the password")
    for r in (wrong, unknown):
        assert r.status_code == 401
        assert "Wrong e-mail or password." in r.get_data(as_text=True)
        assert "session" not in r.headers.get("Set-Cookie", "") or "user_id" not in r.headers["Set-Cookie"]
    assert 'value="nobody@example.org"' in unknown.get_data(as_text=True)  # what was typed stays
    with engine.connect() as conn:
        denied = conn.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "denied", AuditEntry.entity == "auth"))
    assert denied == 2
    assert client.get("/").status_code == 302  # still signed out


def test_malformed_email_is_explained_next_to_the_field(client, world):
    r = client.post("/login", data={"email": "not-an-address", "password": "", "csrf_token": csrf(client)})
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re.search(r'id="email-error">[^<]*valid email', page)
    assert re.search(r'id="password-error">', page)


def test_session_cookie_is_httponly_lax_and_secure_in_production(client, world):
    r = sign_in(client, "pl")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    production = Settings(env="production", secret_key="s" * 40).flask_config()
    assert production["SESSION_COOKIE_SECURE"] is True
    assert Settings().flask_config()["SESSION_COOKIE_SECURE"] is False
    assert Settings(session_cookie_secure=True).flask_config()["SESSION_COOKIE_SECURE"] is True
    assert production["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(hours=12)


def test_sign_out_ends_the_session(client, world):
    sign_in(client, "pl")
    assert client.get("/").status_code == 200
    assert "Sign out?" in client.get("/logout").get_data(as_text=True)
    r = client.post("/logout", data={"csrf_token": csrf(client, "/logout")})
    assert r.status_code == 302 and r.location == "/login"
    assert "You are signed out." in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_changing_a_users_password_signs_them_out(client, world, engine):
    sign_in(client, "pl")
    assert client.get("/").status_code == 200
    with session_scope(engine) as s:
        user = s.get(User, world.ids["user_pl"])
        from service.domain import identity

        identity.update_user(session=s, user=user, changes={"password": "a new password!"})
    assert client.get("/").location == "/login?next=/"


# --- CSRF -------------------------------------------------------------------------------------------


def test_forms_without_the_csrf_token_are_refused(client, world, engine):
    sign_in(client, "admin")
    before = client.get("/users").get_data(as_text=True).count("<tr")
    r = client.post("/users", data={"email": "x@example.org", "name": "X", "role": "staff",
                                    "password": "long enough pw"})
    assert r.status_code == 403 and "form has expired" in r.get_data(as_text=True)
    r = client.post("/users", data={"email": "x@example.org", "name": "X", "role": "staff",
                                    "password": "long enough pw", "csrf_token": "forged"})
    assert r.status_code == 403
    assert client.post("/logout").status_code == 403
    assert client.get("/users").get_data(as_text=True).count("<tr") == before


def test_an_expired_sign_in_form_asks_to_sign_in_again(client, world):
    r = client.post("/login", data={"email": "pl@example.org", "password": PASSWORD, "next": "/countries"})
    assert r.status_code == 302 and r.location == "/login?next=/countries"
    assert "sign-in form had expired" in client.get(r.location).get_data(as_text=True)


# --- scope and dashboards -----------------------------------------------------------------------


def test_a_liaisons_pages_show_only_their_country(client, world, engine):
    add_overview_data(engine, world)
    sign_in(client, "pl")
    home = client.get("/")
    page = home.get_data(as_text=True)
    assert home.status_code == 200
    assert "<h1>Poland</h1>" in page and "Fire direction course PL" in page
    assert "Europe/Warsaw" in page and "K9A1" in page and "100.0 %" in page
    # the answers behind CSAT and NPS, marked as too few
    assert page.count('<span class="answers few">1 answer (fewer than 5)</span>') == 2
    assert re.search(r"\d+ of \d+ surveys answered", page)
    assert "<svg" in page and "/api/v1/reports/" in page
    assert "internal only" not in page  # corrective actions' internal notes stay internal
    assert "Cancelled trial PL" not in page
    assert not any(marker in page for marker in NORWAY)
    for path in ("/countries/NO", "/countries/no", "/countries/ZZ"):
        r = client.get(path)
        assert r.status_code == 404 and "Page not found" in r.get_data(as_text=True)
        assert not any(marker in r.get_data(as_text=True) for marker in NORWAY)
    assert client.get("/countries/PL").status_code == 200
    assert client.get("/countries").status_code == 403
    assert client.get("/users").status_code == 403


def test_the_web_session_is_scoped_like_the_api(client, world, engine):
    """The session cookie from /login reaches the API with the same country scope as a token."""
    add_overview_data(engine, world)
    sign_in(client, "pl")
    assert [c["code"] for c in client.get("/api/v1/countries").get_json()] == ["PL"]
    assert client.get("/api/v1/countries/NO/status").status_code == 404
    status = client.get("/api/v1/countries/PL/status").get_json()
    assert status["open_actions"]["total"] == 1
    assert client.get("/api/v1/countries/NO").get_json()["code"] == 404  # API errors stay JSON


def test_staff_see_every_country_side_by_side_and_sort_it(client, world, engine):
    add_overview_data(engine, world)
    sign_in(client, "staff")
    assert client.get("/").location == "/countries"

    def order(sort: str) -> list[str]:
        page = client.get(f"/countries?sort={sort}").get_data(as_text=True)
        return re.findall(r'<a href="/countries/([A-Z]{2})">', page)

    assert order("name") == ["NO", "PL"]
    assert order("-csat") == ["PL", "NO"] and order("nps") == ["NO", "PL"]
    assert order("-name") == ["PL", "NO"] and order("bogus") == ["NO", "PL"]
    page = client.get("/countries?sort=csat").get_data(as_text=True)
    assert 'aria-sort="ascending"' in page and 'href="/countries?sort=-csat"' in page
    assert "+100.0" in page and "-100.0" in page  # NPS of Poland and Norway
    assert page.count("1 answer (fewer than 5)") == 4  # beside CSAT and NPS of each country
    norway = client.get("/countries/NO").get_data(as_text=True)
    assert "<h1>Norway</h1>" in norway and "Fire direction course NO" in norway


def test_a_figure_from_five_answers_or_more_is_not_marked(app):
    with app.test_request_context():
        answers = app.jinja_env.get_template("macros.html").module.answers
        assert str(answers(4)) == '<span class="answers few">4 answers (fewer than 5)</span>'
        assert str(answers(5)) == '<span class="answers">5 answers</span>'
        assert str(answers(0)) == '<span class="answers">0 answers</span>'


def test_a_failing_page_answers_an_html_500_and_the_api_keeps_json(client, world, monkeypatch):
    from service.domain import dashboard

    def broken(**_: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(dashboard, "country_overview", broken)
    sign_in(client, "pl")
    page = client.get("/")
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "Something went wrong on our side" in page.get_data(as_text=True)
    assert "boom" not in page.get_data(as_text=True)
    api = client.get("/api/v1/countries/PL/status")
    assert api.status_code == 500 and api.get_json()["code"] == 500


def test_times_are_shown_in_the_countrys_zone():
    moment = dt.datetime(2026, 1, 15, 23, 30, tzinfo=dt.UTC)
    assert local(moment, "Europe/Warsaw") == "2026-01-16 00:30 CET"
    assert local(moment, "Asia/Seoul", "%H:%M") == "08:30"
    assert local(moment, "Not/AZone") == "2026-01-15 23:30 UTC"
    assert local(moment, "Asia/Dubai") == "2026-01-16 03:30 UTC+04"  # tzdata has no letters for it
    assert local(moment, "Asia/Manila") == "2026-01-16 07:30 PST"  # Philippine Standard Time
    assert local(None, "Europe/Oslo") == "—"


# --- users ------------------------------------------------------------------------------------------


def test_admin_creates_a_user_with_errors_next_to_the_fields(client, world, engine):
    sign_in(client, "admin")
    token = csrf(client, "/users")
    form = {"csrf_token": token, "email": "new.liaison@example.org", "name": "Ada Nowak",
            "role": "liaison", "country": "", "password": "long enough pw"}
    r = client.post("/users", data=form)
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re.search(r'id="country-error">required for a liaison', page)
    assert 'value="new.liaison@example.org"' in page and 'value="Ada Nowak"' in page
    assert '<option value="liaison" selected>' in page and "long enough pw" not in page
    r = client.post("/users", data={**form, "email": "bad", "password": "short"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="email-error"' in page and 'id="password-error"' in page
    r = client.post("/users", data={**form, "country": "PL"})
    assert r.status_code == 302
    listing = client.get("/users").get_data(as_text=True)
    assert "User new.liaison@example.org created." in listing and "Ada Nowak" in listing
    r = client.post("/users", data={**form, "country": "PL"})
    assert r.status_code == 409 and re.search(r'id="email-error">a user with this e-mail exists',
                                              r.get_data(as_text=True))
    fresh = client.application.test_client()
    assert sign_in(fresh, "new.liaison", password="long enough pw").status_code == 302


def test_admin_deactivates_a_user_who_is_signed_out_at_once(client, app, world, engine):
    liaison = app.test_client()
    sign_in(liaison, "pl")
    assert liaison.get("/").status_code == 200
    sign_in(client, "admin")
    uid = world.ids["user_pl"]
    token = csrf(client, "/users")
    stale = client.post(f"/users/{uid}/active", data={"csrf_token": token, "version": "0", "active": "false"})
    assert "changed by someone else" in client.get(stale.location).get_data(as_text=True)
    r = client.post(f"/users/{uid}/active", data={"csrf_token": token, "version": "1", "active": "false"})
    assert r.status_code == 302
    assert "pl@example.org is now deactivated." in client.get("/users").get_data(as_text=True)
    assert liaison.get("/").status_code == 302
    assert sign_in(app.test_client(), "pl").status_code == 401
    assert client.post("/users/999999/active", data={"csrf_token": token}).status_code == 404
    r = client.post(f"/users/{uid}/active", data={"csrf_token": token, "version": "2", "active": "true"})
    assert "pl@example.org is now active." in client.get(r.location).get_data(as_text=True)


# --- no 500, whatever the input ---------------------------------------------------------------


ODD_VALUES = ["", "\x00", "'", "\"><script>x</script>", "--", "9" * 40, "ü", "//evil.example", "-1"]
QUERY_NAMES = ("sort", "page", "next", "country", "kind", "status", "system", "from", "to", "month",
               "overdue", "period", "series", "request", "unsent")  # every filter the pages read


@pytest.mark.parametrize("who", [None, "pl", "staff", "admin"])
def test_no_page_answers_500_to_odd_input(app, client, world, engine, who):
    add_overview_data(engine, world)
    if who:
        sign_in(client, who)
    path_values = {"code": ["PL", "NO", "zz", "x" * 300, "%00"],
                   "filename": ["app.css", "../../config.py", "nope.js", "%00"],
                   "token": ["tok-waiting-PL", "tok-answered-NO", "x" * 300, "%00"]}
    # Each route's record that exists (the first path value) is asked with every odd query
    # value; its other paths (missing, malformed, oversized) with one odd value each, in turn
    # across the routes: a path and the query are read apart, so each value still meets every
    # page, and the missing and malformed paths meet every value somewhere.
    requests = []
    for n, rule in enumerate(web_get_routes(app)):
        params = re.findall(r"<(?:\w+:)?(\w+)>", rule)
        variants = [rule]
        for name in params:
            variants = [re.sub(rf"<(?:\w+:)?{name}>", value, v)
                        for v in variants for value in path_values.get(name, ["1", "0", "x"])]
        requests += [(variants[0], value) for value in ODD_VALUES]
        requests += [(url, ODD_VALUES[(n + i) % len(ODD_VALUES)]) for i, url in enumerate(variants[1:])]
    for url, value in requests:
        r = client.get(url, query_string=dict.fromkeys(QUERY_NAMES, value))
        assert r.status_code < 500, (who, url, value, r.status_code)
        assert "<script>x</script>" not in r.get_data(as_text=True), (url, value)
    assert client.get("/static/web/../../config.py").status_code == 404


NEW_PAGES = ["/services", "/services/calendar", "/services/1", "/requests", "/requests/1", "/surveys",
             "/surveys/1", "/actions", "/actions/1", "/reports", "/notifications", "/me"]


@pytest.mark.parametrize("who, paths", [(None, ["/login", "/surveys/tok-waiting-PL", "/surveys/gone"]),
                                        ("pl", ["/", "/countries/NO", *NEW_PAGES]),
                                        ("admin", ["/countries", "/countries/PL", "/users"]),
                                        ("staff", [*NEW_PAGES, "/services/new", "/services/1/edit",
                                                   "/services/new?country=PL&system_id=1",
                                                   "/planning?country=PL&system=1&suggest=1",
                                                   "/planning/staff"])])
def test_pages_need_no_inline_script_or_style(client, world, engine, who, paths):
    """The CSP allows scripts and styles only from our own files."""
    add_overview_data(engine, world)
    if who:
        sign_in(client, who)
    for path in paths:
        page = client.get(path).get_data(as_text=True)
        assert "<html lang=\"en\">" in page and '<main id="main"' in page, path
        assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", page, re.I), path
        assert '<link rel="icon" type="image/svg+xml" href="/favicon.ico">' in page, path
        inputs = re.findall(r'<(?:input|select)\b[^>]*\bid="([^"]+)"', page)
        assert all(f'<label for="{i}">' in page for i in inputs), path


def test_the_icon_and_stylesheet_are_served_with_a_long_cache(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert icon.data.startswith(b"<svg") and len(icon.data) < 1024
    assert icon.headers["Cache-Control"] == "public, max-age=2592000"  # 30 days, no no-store
    css = client.get("/static/web/app.css")
    assert css.status_code == 200 and "no-store" not in css.headers["Cache-Control"]


@pytest.mark.parametrize("page", ["²", "٣", "9" * 12, "-1", "x"])
def test_a_page_number_that_is_no_plain_number_shows_the_first_page(client, world, page):
    """`int` refuses digits like "²" that `str.isdigit` accepts: no such address may fail."""
    sign_in(client, "admin")
    for path in ("/services", "/actions", "/users", "/requests", "/reports"):
        r = client.get(path, query_string={"page": page})
        assert r.status_code == 200, (path, page, r.status_code)


def test_admin_edits_a_users_name_role_and_country(client, app, world, engine):
    liaison = app.test_client()
    sign_in(liaison, "pl")
    sign_in(client, "admin")
    user_id = world.ids["user_pl"]
    assert f'href="/users/{user_id}/edit"' in client.get("/users").get_data(as_text=True)
    token = csrf(client, f"/users/{user_id}/edit")
    form = {"csrf_token": token, "version": "1", "name": "Piotr Nowak", "role": "liaison", "country": ""}
    r = client.post(f"/users/{user_id}/edit", data=form)
    assert r.status_code == 422 and re.search(r'id="country-error">required for a liaison',
                                              r.get_data(as_text=True))
    r = client.post(f"/users/{user_id}/edit", data={**form, "role": "liaison", "country": "NO"})
    assert r.status_code == 302
    page = client.get("/users").get_data(as_text=True)
    assert "Piotr Nowak" in page
    assert liaison.get("/").status_code == 302  # a new country signed them out
    r = client.post(f"/users/{user_id}/edit", data={**form, "role": "liaison", "country": "PL"})
    assert r.status_code == 302 and "changed by someone else" in client.get(r.location).get_data(as_text=True)


def test_admin_reads_the_audit_log_filtered_and_paged(client, app, world, engine):
    sign_in(client, "admin")
    user_id = world.ids["user_pl"]
    token = csrf(client, f"/users/{user_id}/edit")
    client.post(f"/users/{user_id}/edit", data={"csrf_token": token, "version": "1", "name": "Piotr Nowak",
                                                 "role": "liaison", "country": "PL"})
    page = client.get("/audit").get_data(as_text=True)
    assert 'href="/audit"' in page and "newest first" in page and "Piotr Nowak" in page
    page = client.get("/audit?entity=app_user&actor=admin@example.org").get_data(as_text=True)
    assert "Piotr Nowak" in page and "1 entry" in page
    change = page.split("<tbody>")[1]  # the action in words, each change as old → new
    assert "<td>Changed</td>" in change
    assert re.search(r"<li><code>name</code>: &#34;pl&#34; → &#34;Piotr Nowak&#34;</li>", change)
    page = client.get("/audit?entity=service_event").get_data(as_text=True)
    assert "Piotr Nowak" not in page
    page = client.get("/audit?since=2000-01-01&until=2000-01-31").get_data(as_text=True)
    assert "0 entries" in page and "No entry matches" in page
    page = client.get("/audit?since=2030-01-02&until=2030-01-01").get_data(as_text=True)
    assert 'id="until-error"' in page or "Cannot be before since." in page
    liaison = app.test_client()
    sign_in(liaison, "pl")
    assert liaison.get("/audit").status_code == 403


def test_the_audit_api_filters_by_actor_and_days(client, world):
    r = client.get("/api/v1/audit?actor=nobody@example.org", headers=world.headers("admin"))
    assert r.status_code == 200 and r.get_json() == []
    r = client.get("/api/v1/audit?since=2030-02-01&until=2030-01-01", headers=world.headers("admin"))
    assert r.status_code == 422 and "until" in r.get_json()["errors"]["query"]


def test_a_password_reset_link_works_once_for_24_hours(client, app, world, engine, monkeypatch):
    import time

    import itsdangerous.timed
    from sqlmodel import select

    from models import Notification

    sign_in(client, "admin")
    user_id = world.ids["user_pl"]
    token = csrf(client, f"/users/{user_id}/edit")
    r = client.post(f"/users/{user_id}/reset", data={"csrf_token": token})
    assert r.status_code == 302
    with session_scope(engine) as s:
        mail = s.exec(select(Notification).where(Notification.kind == "password_reset")).one()
        assert mail.recipient == "pl@example.org"
        link = re.search(r"http://[^/]+(/reset/\S+)", mail.body).group(1)  # type: ignore[union-attr]  # no link fails the test
    user = app.test_client()
    now = time.time()
    with monkeypatch.context() as m:
        m.setattr(itsdangerous.timed, "time", type("Later", (), {"time": staticmethod(lambda: now + 86401)}))
        assert "has expired" in user.get(link).get_data(as_text=True)
    page = user.get(link).get_data(as_text=True)
    assert "Choose a new password" in page and "pl@example.org" in page
    form = {"csrf_token": csrf(user, link), "password": "password123", "confirm": "password123"}
    r = user.post(link, data=form)
    assert r.status_code == 422 and 'id="password-error"' in r.get_data(as_text=True)
    r = user.post(link, data={**form, "password": "amber quiet lantern orbit", "confirm": "x"})
    assert r.status_code == 422 and 'id="confirm-error"' in r.get_data(as_text=True)
    good = {**form, "password": "amber quiet lantern orbit", "confirm": "amber quiet lantern orbit"}
    assert user.post(link, data=good).status_code == 302
    assert user.post(link, data=good).status_code == 404  # once only
    assert sign_in(app.test_client(), "pl", password="amber quiet lantern orbit").status_code == 302
