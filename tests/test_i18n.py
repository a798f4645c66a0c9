"""Languages (SPEC §12, issue 18): which language a page is in, the user's choice, the catalogue.

The Korean pages need the compiled catalogue, which `make install` (and so `make test`) makes.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests import factories
from tests.conftest import rows
from tests.factories import GOOD_ANSWERS, add_survey
from tests.test_web_pages import csrf, sign_in

ROOT = Path(__file__).resolve().parents[1]
KO_PO = ROOT / "service" / "translations" / "ko" / "LC_MESSAGES" / "messages.po"
KO = {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.4"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def _language_of(page: str) -> str:
    assert '<html lang="' in page
    return page.split('<html lang="', 1)[1].split('"', 1)[0]


def test_every_message_in_the_code_and_the_templates_has_a_korean_translation():
    """A string marked for translation with no Korean text fails here, by name (run `make
    messages`, then translate what is new in the .po)."""
    with KO_PO.open("rb") as f:
        catalog = read_po(f)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                  if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    method_map = [("service/**.py", "python"), ("schedules/**.py", "python"),
                  ("service/web/templates/**.html", "jinja2"), ("pdf_templates/**.html", "jinja2"),
                  ("service/web/templates/mail/**.txt", "jinja2")]
    used = {msg[2] if isinstance(msg[2], str) else msg[2][0]
            for msg in extract_from_dir(str(ROOT), method_map, keywords={
                "_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None})}
    assert used, "nothing extracted: the extraction itself is broken"
    assert sorted(used - translated) == []


def test_anonymous_pages_follow_accept_language_and_the_switch(client):
    ko = client.get("/login", headers=KO).get_data(as_text=True)
    assert _language_of(ko) == "ko" and "로그인" in ko and "Sign in" not in ko.split("<main", 1)[1]
    en = client.get("/login", headers=EN).get_data(as_text=True)
    assert _language_of(en) == "en" and "Sign in" in en
    assert _language_of(client.get("/login").get_data(as_text=True)) == "en"  # no header: English
    french = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert _language_of(french) == "en"  # a language it does not have: English
    r = client.get("/language/ko", query_string={"next": "/login"}, headers=EN)
    assert r.status_code == 303 and r.headers["Location"] == "/login"
    assert _language_of(client.get("/login", headers=EN).get_data(as_text=True)) == "ko"  # the switch wins
    r = client.get("/language/en", query_string={"next": "https://evil.example/"})
    assert r.headers["Location"] == "/login"  # never sent off the site
    assert _language_of(client.get("/login", headers=KO).get_data(as_text=True)) == "en"


def test_user_setting_beats_country_beats_accept_language(app, client, world, engine):
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE country SET report_language = 'ko' WHERE code = 'PL'"))
    assert sign_in(client, "pl").status_code in (302, 303)
    page = client.get("/me", headers=EN).get_data(as_text=True)
    assert _language_of(page) == "ko" and "내 계정" in page  # the country's language, not the browser's
    r = client.post("/me/language", data={"language": "en", "csrf_token": csrf(client)}, headers=EN)
    assert r.status_code == 303
    page = client.get("/me", headers=KO).get_data(as_text=True)
    assert _language_of(page) == "en" and "Your language is saved." in page  # their own choice
    client.post("/logout", data={"csrf_token": csrf(client)})
    sign_in(client, "staff")  # no setting, no country: the browser's
    assert _language_of(client.get("/me", headers=KO).get_data(as_text=True)) == "ko"
    assert _language_of(client.get("/me", headers=EN).get_data(as_text=True)) == "en"


def test_the_headers_switch_saves_my_language_and_comes_back_to_the_page(client, world):
    assert sign_in(client, "pl").status_code in (302, 303)
    page = client.get("/deficiencies?page=1", headers=EN).get_data(as_text=True)
    switch = re.search(r'<form method="post" action="/me/language".*?</form>', page, re.S).group(0)
    assert 'name="language" value="ko"' in switch and 'name="next" value="/deficiencies?page=1"' in switch
    assert 'lang="ko">한국어</button>' in switch and ">English</button>" not in switch  # only the other one
    r = client.post("/me/language", data={"language": "ko", "next": "/deficiencies?page=1",
                                          "csrf_token": csrf(client)}, headers=EN)
    assert r.status_code == 303 and r.headers["Location"] == "/deficiencies?page=1"
    page = client.get(r.headers["Location"], headers=EN).get_data(as_text=True)
    assert _language_of(page) == "ko" and "결함 보고" in page and ">English</button>" in page
    assert client.get("/api/v1/me", headers=world.headers("pl")).get_json()["language"] == "ko"
    r = client.post("/me/language", data={"language": "en", "next": "//evil.example/",
                                          "csrf_token": csrf(client)})
    assert r.headers["Location"] == "/me"  # never off the site


def test_patch_me_sets_the_language_and_refuses_an_unknown_one(client, world, engine):
    h = world.headers("no")
    before = rows(engine, "audit_entry")
    r = client.patch("/api/v1/me", json={"language": "xx"}, headers=h)
    assert r.status_code == 422 and "language" in r.get_json()["errors"]["json"]
    assert rows(engine, "audit_entry") == before  # nothing written
    r = client.patch("/api/v1/me", json={"language": "ko"}, headers=h)
    assert r.status_code == 200 and r.get_json()["language"] == "ko"
    assert client.get("/api/v1/me", headers=h).get_json()["language"] == "ko"
    r = client.patch("/api/v1/me", json={"language": None}, headers=h)
    assert r.status_code == 200 and r.get_json()["language"] is None
    # Field names and codes stay English whatever the language (SPEC §12).
    assert set(client.get("/api/v1/me", headers={**h, **KO}).get_json()) >= {"email", "role", "language"}


@pytest.mark.parametrize("period, text", [("2026-10", "2026년 10월"), ("2026-05", "2026년 5월")])
def test_months_are_written_the_korean_way(app, period, text):
    from flask_babel import force_locale

    from service.web.filters import period_label

    with app.test_request_context("/"), force_locale("ko"):
        assert period_label(period) == text
    with app.test_request_context("/"), force_locale("en"):
        assert period_label(period) == {"2026-10": "October 2026", "2026-05": "May 2026"}[period]


# --- surveys in the respondent's language (SPEC §12, issue 18 item 5) ------------------------

PUBLIC = "/api/v1/public/surveys/"
POLISH = {"overall": "Jak ogólnie oceniasz tę usługę?", "recommend": "Czy polecisz tę usługę (0-10)?",
          "comment": "Coś jeszcze?"}


def _offer_polish(client, world):
    """A new template revision worded in English, Korean and Polish."""
    questions = [
        {"id": "overall", "text": "Overall?", "texts": {"ko": "전반적으로?", "pl": POLISH["overall"]}},
        {"id": "recommend", "text": "Recommend?", "texts": {"ko": "추천?", "pl": POLISH["recommend"]}},
        {"id": "comment", "text": "Anything else?", "required": False,
         "texts": {"ko": "더 하실 말씀?", "pl": POLISH["comment"]}}]
    r = client.post("/api/v1/survey-templates", json={"questions": questions}, headers=world.headers("staff"))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_the_standard_survey_speaks_english_and_korean(app, client, world):
    _, token = add_survey(app, world)
    view = client.get(PUBLIC + token, headers=KO).get_json()
    assert view["languages"] == ["en", "ko"] and view["language"] == "ko"
    assert view["questions"][0]["text"] == "이번 지원에 전반적으로 얼마나 만족하셨습니까?"
    view = client.get(PUBLIC + token, query_string={"lang": "en"}, headers=KO).get_json()
    assert view["language"] == "en" and view["questions"][0]["text"].startswith("Overall")
    view = client.get(PUBLIC + token, query_string={"lang": "pl"}, headers=EN).get_json()
    assert view["language"] == "en"  # not offered: the browser's, else English
    r = client.get(PUBLIC + token, query_string={"lang": "polish"})
    assert r.status_code == 422 and "lang" in r.get_json()["errors"]["query"]


def test_an_answer_in_polish_is_recorded_so_and_counted_with_the_others(app, client, world, engine):
    _offer_polish(client, world)
    _, token = add_survey(app, world)
    page = client.get(f"/surveys/{token}", query_string={"lang": "pl"}, headers=EN).get_data(as_text=True)
    assert POLISH["overall"] in page and "Wyślij odpowiedzi" in page  # the questions and the page
    assert 'name="language" value="pl"' in page and 'lang="ko"' in page  # the switch offers the others
    r = client.post(f"/surveys/{token}", data={"overall": "4", "recommend": "9", "language": "pl",
                                                "csrf_token": csrf(client, f"/surveys/{token}")})
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:500]
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT language FROM survey_response")) == "pl"
    _, other = add_survey(app, world)
    r = client.post(PUBLIC + other, json={"overall": 2, "recommend": 10, "language": "en"})
    assert r.status_code == 201
    figures = client.get("/api/v1/satisfaction", query_string={"country": "PL"},
                         headers=world.headers("staff")).get_json()
    assert figures["responses"] == 2 and figures["csat"] == 50.0  # one of two, whatever the language


def test_an_answer_in_a_language_the_survey_does_not_offer_is_refused(app, client, world, engine):
    _, token = add_survey(app, world)  # English and Korean
    r = client.post(PUBLIC + token, json={**GOOD_ANSWERS, "language": "pl"})
    assert r.status_code == 422 and "language" in r.get_json()["errors"]
    assert rows(engine, "survey_response") == 0


# --- the staff pages in Korean (issue 18 item 6) ---------------------------------------------

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _main(page: str) -> str:
    assert "<main" in page, page[:300]
    return page.split("<main", 1)[1].split("</main>", 1)[0]


def _staff_pages(app, world, engine) -> dict[str, tuple[str, str, list[str]]]:
    """Each page: (who signs in, path, English texts the Korean page must not show)."""
    event = factories.add_completed_event(engine, world)
    response = factories.add_response_row(engine, event_id=event, period="2026-05", overall=2,
                                          comment="Late start")
    action = factories.add_action_row(engine, response_id=response, due_on=dt.date(2026, 6, 30))
    request = factories.add_request(engine, world)
    survey, _ = add_survey(app, world)
    factories.add_report_row(engine, country="PL", period="2026-05")
    trainee = factories.add_trainee(engine, world, name="Ada Lis")
    factories.add_certificate(engine, world, valid_until=dt.date.today() + dt.timedelta(days=30))
    factories.add_package_line(engine, world, quantity=2, description="Recoil kits")
    user = world.ids["user_pl"]
    assert trainee
    return {
        "users": ("admin", "/users", ["Deactivating a user", "Create a user", "Accounts", "Password",
                                       "Create user", "Choose a role", "Deactivate"]),
        "user": ("admin", f"/users/{user}/edit", ["API tokens", "Send a password reset link", "Issue a token",
                                              "Name, role and country", "Token name"]),
        "audit": ("admin", "/audit", ["Audit log", "newest first", "Filter", "Entity", "When (UTC)"]),
        "actions": ("staff", "/actions", ["Corrective actions", "A poor survey answer", "Any state",
                                          "Overdue only", "due 2026"]),
        "action": ("staff", f"/actions/{action}", ["Why and who", "Opened because",
                                                   "The answer that opened it", "Would recommend",
                                                   "Add a comment", "Work on it",
                                                   "Internal notes", " of 5"]),
        "requests": ("staff", "/requests", ["Service requests", "Wished dates", "Ask for a service",
                                            "File the request", "Kind of service"]),
        "request": ("staff", f"/requests/{request}", ["What was asked", "Wished dates", "Accept and schedule",
                                                      "Decline the request", "Participants planned"]),
        "surveys": ("staff", "/surveys", ["one per completed service", "Any state", "open until"]),
        "survey": ("staff", f"/surveys/{survey}", ["Survey:", "Answer link", "of the standard survey",
                                                   "Waiting for the country"]),
        "reports": ("staff", "/reports", ["Monthly reports", "Generate a report now", "Revision",
                                          "Download", "the HQ report"]),
        "calendar": ("staff", "/services/calendar", ["Each service on the days it runs", ">Mon<", ">List<"]),
        "countries": ("staff", "/countries", ["All countries at a glance", "Next service", "Overdue actions",
                                              "Fleet"]),
        "trainees": ("staff", "/trainees", ["on the roster", "Add a trainee", "Organisation", "Anonymise",
                                            "Add to the roster"]),
        "certificates": ("staff", "/certificates", ["Qualified people per system", "soonest expiry first",
                                                    "Ask for a refresher", "Valid until", "Holder"]),
        "package": ("staff", f"/contracts/{world.ids['contract_PL']}/package",
                    ["Support package of", "Record a delivery", "Add a line", "Plan the remaining services",
                     "Propose services", " delivered"]),
    }


def test_the_staff_pages_are_korean_in_their_main_content(app, world, engine):
    clients = {}
    for name, (who, path, english) in _staff_pages(app, world, engine).items():
        if who not in clients:
            clients[who] = app.test_client()
            assert sign_in(clients[who], who).status_code in (302, 303)
        r = clients[who].get(path, headers=KO)
        assert r.status_code == 200, (name, r.status_code)
        page = r.get_data(as_text=True)
        assert _language_of(page) == "ko", name
        main = _main(page)
        assert HANGUL.search(main), name
        left = [text for text in english if text in main]
        assert left == [], (name, left)
        english_page = _main(clients[who].get(path, headers=EN).get_data(as_text=True))
        assert not HANGUL.search(english_page.replace("한국어", "")), name  # English stays English


def test_flash_messages_follow_the_language(app, client, world, engine):
    assert sign_in(client, "staff").status_code in (302, 303)  # staff: no country, the browser's language
    r = client.post("/requests", headers=KO, follow_redirects=True, data={
        "csrf_token": csrf(client, "/requests"), "country": "PL", "kind": "tech_education",
        "system_id": world.ids["k9"], "wished_from": "2030-05-01", "wished_to": "2030-05-31",
        "description": "Refresher"})
    page = r.get_data(as_text=True)
    assert "접수했습니다" in page and "staff will accept or decline it" not in page


def test_the_nominees_panel_and_the_public_verification_are_korean(app, world, engine):
    event = factories.add_event(engine, world, capacity=3)
    factories.add_trainee(engine, world, name="Ada Lis")
    staff = app.test_client()
    assert sign_in(staff, "staff").status_code in (302, 303)
    main = _main(staff.get(f"/services/{event}", headers=KO).get_data(as_text=True))
    assert "추천 교육생" in main and "정원 3명 중 0명 추천" in main
    english = ("Nominees", "nominated of", "Nominate a trainee", "Choose a trainee")
    assert [t for t in english if t in main] == []
    cert = factories.add_certificate(engine, world, valid_until=dt.date.today() + dt.timedelta(days=30))
    anon = app.test_client()
    main = _main(anon.get(f"/verify/{cert['number']}?code={cert['code']}", headers=KO).get_data(as_text=True))
    assert "유효한 정품 수료증입니다." in main
    assert [t for t in ("Certificate verification", "genuine", "Holder", "Valid until") if t in main] == []
    main = _main(anon.get(f"/verify/{cert['number']}", headers=KO).get_data(as_text=True))
    assert "확인 코드" in main and "Check code" not in main and "Verify" not in main


def test_an_admin_sets_a_users_language_on_the_edit_page(client, world, engine):
    """Issue 20.12: admins edit a user's language too (empty: follow the country or browser)."""
    uid = world.ids["user_pl"]
    sign_in(client, "admin")
    page = client.get(f"/users/{uid}/edit").get_data(as_text=True)
    assert 'name="language"' in page and ">한국어<" in page
    version = page.split('name="version" value="', 1)[1].split('"', 1)[0]
    form = {"csrf_token": csrf(client, f"/users/{uid}/edit"), "version": version, "name": "pl",
            "role": "liaison", "country": "PL", "language": "ko"}
    assert client.post(f"/users/{uid}/edit", data=form).status_code in (302, 303)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT language FROM app_user WHERE id = :i"), {"i": uid}) == "ko"
    page = client.get(f"/users/{uid}/edit").get_data(as_text=True)
    version = page.split('name="version" value="', 1)[1].split('"', 1)[0]
    r = client.post(f"/users/{uid}/edit", data={**form, "version": version, "language": "xx"})
    assert r.status_code == 422 and "Must be one of: en, ko" in r.get_data(as_text=True)
    with engine.connect() as conn:  # nothing written by the refused form
        assert conn.scalar(sa.text("SELECT language FROM app_user WHERE id = :i"), {"i": uid}) == "ko"


def test_error_pages_speak_the_readers_language(client, world):
    sign_in(client, "staff")
    english = client.get("/services/999999")
    assert english.status_code == 404 and "Page not found" in english.get_data(as_text=True)
    korean = client.get("/services/999999", headers=KO).get_data(as_text=True)
    assert "페이지를 찾을 수 없습니다" in korean and "Page not found" not in korean
    assert "여기에는 아무것도 없거나" in korean
