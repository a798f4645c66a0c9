"""Issue 18's last English on Korean pages: the services' refusals (on the forms and in the API),
marshmallow's own texts on the web forms, and the countries' names (SPEC §12). The English pages
and the API's field names and codes stay as they were."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import force_locale, gettext

from models import User
from tests import factories
from tests.test_web_pages import csrf, sign_in
from tests.test_web_services import new_form

KO = {"Accept-Language": "ko-KR,ko;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def korean(app, msgid: str, **values: str) -> str:
    """`msgid` as the Korean catalogue has it (a Korean text, not the English one)."""
    with app.test_request_context(), force_locale("ko"):
        text = gettext(msgid, **values)
    assert re.search(r"[\uac00-\ud7a3]", text), msgid
    return text


# --- the services' refusals --------------------------------------------------------------------


def test_a_double_booking_is_explained_in_korean_on_a_korean_schedule_form(client, world, engine):
    busy = factories.add_staff(engine, "Kim Min-jun")
    other = factories.add_event(engine, world, staff=[busy], title="Earlier booking")
    sign_in(client, "staff")
    url = f"/services/new?country=PL&system_id={world.ids['k9']}"
    form = new_form(client, world, staff=[str(busy)], lead=str(busy))
    r = client.post(url, data=form, headers=KO)
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert f'id="staff-error">Kim Min-jun은(는) 후속 지원 {other}에 이미 배정되어 있습니다' in page
    assert "is booked for service" not in page
    r = client.post(url, data=form, headers=EN)
    assert f'id="staff-error">Kim Min-jun is booked for service {other}' in r.get_data(as_text=True)


def test_lifecycle_refusals_read_korean_on_a_korean_service_page(client, world, engine):
    event_id = factories.add_event(engine, world)
    sign_in(client, "staff")
    token = csrf(client, "/services")
    url = f"/services/{event_id}/transition"
    r = client.post(url, data={"csrf_token": token, "status": "cancelled", "version": "1"}, headers=KO)
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="reason-error">취소하려면 입력해야 합니다' in page
    assert "required to cancel" not in page
    r = client.post(url, data={"csrf_token": token, "status": "completed", "version": "1"}, headers=KO)
    page = r.get_data(as_text=True)
    assert r.status_code == 409 and "planned 상태에서 가능한 변경: confirmed, postponed, cancelled" in page
    assert "allowed from" not in page
    r = client.post(url, data={"csrf_token": token, "status": "completed", "version": "1"}, headers=EN)
    assert "allowed from planned: confirmed, postponed, cancelled" in r.get_data(as_text=True)


def test_the_api_gives_the_services_refusals_in_korean_with_english_field_names(client, world, engine):
    event_id = factories.add_event(engine, world)  # 2030-03-04 08:00–16:00 UTC
    change = {"ends_at": "2030-03-04T07:00:00+00:00"}
    answers = {lang: client.patch(f"/api/v1/events/{event_id}", json=change,
                                  headers=world.headers("staff", **{"If-Match": "1"}, **headers))
               for lang, headers in (("ko", KO), ("en", EN))}
    ko, en = answers["ko"].get_json(), answers["en"].get_json()
    assert answers["ko"].status_code == answers["en"].status_code == 422
    assert en["message"] == "The service must end after it starts"
    assert en["errors"] == {"ends_at": ["ends_at must be after starts_at"]}
    assert ko["message"] == korean(client.application, "The service must end after it starts")
    assert ko["errors"] == {"ends_at": ["종료 시각은 시작 시각 이후여야 합니다"]}  # the field's name stays
    started = client.post(f"/api/v1/events/{event_id}/transition", json={"status": "confirmed"},
                          headers=world.headers("staff", **{"If-Match": "1"}))
    assert started.status_code == 200
    r = client.post(f"/api/v1/events/{event_id}/transition", json={"status": "in_progress"},
                    headers=world.headers("staff", **{"If-Match": "2"}, **KO))
    body = r.get_json()
    assert r.status_code == 409 and body["starts_at"] == "2030-03-04T08:00:00+00:00"
    assert body["message"].startswith("후속 지원 시작 시각은 2030-03-04T09:00:00+01:00입니다")
    assert '"early": true' in body["message"] and "send" not in body["message"]
    assert body["errors"]["status"] == [
        '"early"와 사유 없이는 시작 시각(starts_at) 2030-03-04T09:00:00+01:00 전에 시작할 수 없습니다']


# --- marshmallow's texts on the web forms ---------------------------------------------------------


def test_a_korean_schedule_form_says_a_required_field_is_missing_in_korean(client, world, engine):
    sign_in(client, "staff")
    url = f"/services/new?country=PL&system_id={world.ids['k9']}"
    form = new_form(client, world, title="", capacity="many")
    required = korean(client.application, "Required.")
    not_a_number = korean(client.application, "Not a valid integer.")
    r = client.post(url, data=form, headers=KO)
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert f'id="title-error">{required}' in page and f'id="capacity-error">{not_a_number}' in page
    assert "Required." not in page and "Not a valid integer." not in page
    r = client.post(url, data=form, headers=EN)
    page = r.get_data(as_text=True)
    assert 'id="title-error">Required.' in page  # a form says it plainly (the API: marshmallow's words)
    assert 'id="capacity-error">Not a valid integer.' in page


def test_the_users_form_shows_its_errors_in_korean_on_a_korean_page(client, world, engine):
    sign_in(client, "admin")
    form = {"csrf_token": csrf(client, "/users"), "email": "bad", "name": "Ada Nowak",
            "role": "staff", "country": "", "password": "long enough pw"}
    email = korean(client.application, "Not a valid email address.")
    r = client.post("/users", data=form, headers=KO)
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and f'id="email-error">{email}' in page
    assert "Not a valid email address." not in page
    taken = {**form, "email": "pl@example.org", "role": "liaison", "country": "PL"}
    r = client.post("/users", data=taken, headers=KO)
    assert r.status_code == 409 and re.search(
        'id="email-error">' + re.escape(korean(client.application, "a user with this e-mail exists")),
        r.get_data(as_text=True))
    r = client.post("/users", data=form, headers=EN)
    assert 'id="email-error">Not a valid email address.' in r.get_data(as_text=True)


# --- the countries' names ---------------------------------------------------------------------------


def test_korean_pages_name_the_countries_in_korean_and_the_api_keeps_the_stored_name(client, world):
    sign_in(client, "staff")
    overview = client.get("/countries/PL", headers=KO).get_data(as_text=True)
    assert "<h1>폴란드</h1>" in overview and "<title>폴란드" in overview
    listing = client.get("/countries", headers=KO).get_data(as_text=True)
    assert ">폴란드</a>" in listing and ">노르웨이</a>" in listing
    assert ">Poland</a>" not in listing and ">Norway</a>" not in listing
    page = client.get(f"/services/new?country=PL&system_id={world.ids['k9']}", headers=KO)
    assert "폴란드 ·" in page.get_data(as_text=True)
    english = client.get("/countries/PL", headers=EN).get_data(as_text=True)
    assert "<h1>Poland</h1>" in english and ">Norway</a>" in client.get("/countries", headers=EN).get_data(
        as_text=True)
    api = client.get("/api/v1/countries/PL", headers=world.headers("staff", **KO)).get_json()
    assert api["name"] == "Poland"


def test_the_countries_table_is_in_the_order_of_the_names_it_shows(client, world):
    """Sorted by name, a Korean page lists 노르웨이, 오스트레일리아, 폴란드 (가나다), an English one
    Australia, Norway, Poland; the reverse sort reverses each."""
    client.post("/api/v1/countries", json={"code": "AU", "timezone": "Australia/Sydney"},
                headers=world.headers("admin"))
    sign_in(client, "staff")

    def order(sort: str, headers: dict[str, str]) -> list[str]:
        page = client.get(f"/countries?sort={sort}", headers=headers).get_data(as_text=True)
        return re.findall(r'<th scope="row"><a href="/countries/([A-Z]{2})">', page)

    assert order("name", KO) == ["NO", "AU", "PL"] and order("-name", KO) == ["PL", "AU", "NO"]
    assert order("name", EN) == ["AU", "NO", "PL"] and order("-name", EN) == ["PL", "NO", "AU"]


def test_a_korean_liaisons_header_names_their_country_in_korean(client, world, engine):
    """Poland's liaison reads English (Poland reports in English) until they choose Korean."""
    sign_in(client, "pl")
    english = client.get("/me").get_data(as_text=True)
    assert "· Poland</span>" in english and "폴란드" not in english
    with engine.begin() as conn:
        conn.execute(sa.update(User).where(User.id == world.ids["user_pl"]).values(language="ko"))
    me = client.get("/me").get_data(as_text=True)
    assert "· 폴란드</span>" in me and "Poland" not in me
