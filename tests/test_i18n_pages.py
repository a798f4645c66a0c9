"""The services, schedule forms, planning and country overview pages in Korean (issue 18, SPEC §12).

Each page is rendered for a Korean reader (staff through `Accept-Language`, a liaison through
their own language setting) and its main content must be Korean: its headings are there, and
no English word is left once the data shown (names, titles, serials, codes) is set aside. The
same pages for an English reader stay English. Text that other parts of the pages produce
(the `label` filter's words, the list's sort note, the status badges, the charts' own axis
words) has its own tests and is set aside here.
"""

from __future__ import annotations

import datetime as dt
import enum
import html
import re
from typing import Any

import pytest
import sqlalchemy as sa

import models
from service.core.db import session_scope
from service.domain import satisfaction
from service.domain.planning import unavailability
from tests import factories
from tests.test_web_pages import sign_in

KO = {"Accept-Language": "ko-KR,ko;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")
MONDAY = dt.datetime(2030, 3, 4, 7, 0, tzinfo=dt.UTC)
# Words of the data these pages show, and the skill codes of the hint: not the page's own text.
_DATA = """
instructor technician interpreter engineer pl Thunder Black Panther Poland Norway Park Ji hoon
Kang Min seo Gunnery week Orzysz annual leave Europe Warsaw Oslo Asia Seoul Crews certified test
Fire direction course Maintenance education Cancelled trial drill Crew conversion Follow up the
answers from Drawsko Pomorskie Rena leir Torun training area Live fire at example org kr sustain
kang park
"""
DATA_WORDS = set(_DATA.split())


_OWN_LANGUAGE = re.compile(r'<(\w+)[^>]*\slang="[^"]*"[^>]*>.*?</\1>', re.S)


def _main(page: str) -> str:
    """The page's main content, without the words marked as written in their own language
    (`lang="…"`, e.g. the language names "English" and "한국어" of a language choice)."""
    assert "<main" in page, page[:300]
    return _OWN_LANGUAGE.sub("", page.split("<main", 1)[1].split(">", 1)[1].split("</main>", 1)[0])


def _others_words() -> set[str]:
    """What the `label` filter still gives in English for any stored code (its own lane and
    tests): those words may show here until it has them."""
    from flask_babel import force_locale

    from service.web.filters import label

    words: set[str] = set()
    with force_locale("ko"):
        for value in vars(models).values():
            if isinstance(value, type) and issubclass(value, enum.Enum):
                for member in value:
                    words |= set(re.findall(r"[A-Za-z]+", label(str(member.value))))
        for name in satisfaction.DIMENSIONS:
            words |= set(re.findall(r"[A-Za-z]+", label(name)))
    return words


def english_left(main: str, allowed: set[str]) -> list[str]:
    """The English words of `main` (its text and its title/aria-label/placeholder attributes),
    without the data, the codes (all capitals, or with digits) and other parts' text."""
    text = re.sub(r"<svg.*?</svg>", " ", main, flags=re.S)  # the charts: the chart module's own test
    text = re.sub(r'<span class="(list-order|badge[^"]*)">.*?</span>', " ", text, flags=re.S)
    attributes = " ".join(re.findall(r'(?:title|aria-label|placeholder)="([^"]*)"', text))
    text = re.sub(r"<[^>]+>", " ", text) + " " + attributes
    words = re.findall(r"[A-Za-z][A-Za-z']*", html.unescape(text))
    return sorted(
        {w for w in words if w not in allowed and w.lower() not in allowed and not w.isupper() and len(w) > 1}
    )


@pytest.fixture
def scene(app, world, engine) -> dict[str, Any]:
    """A booked service with staff and a unit, an absence, a completed service, the overview's
    data: what the pages list when they are full."""
    park = factories.add_staff(engine, "Park Ji-hoon", skills=["instructor:K9A1"])
    kang = factories.add_staff(engine, "Kang Min-seo", skills=["instructor:K9A1"])
    event = factories.add_event(
        engine,
        world,
        staff=[park],
        lead=park,
        units=[world.ids["units_PL"][0]],
        starts_at=MONDAY,
        hours=9,
        title="Gunnery week Orzysz",
    )
    with session_scope(engine) as s:
        unavailability.add_window(
            session=s,
            staff=s.get(models.StaffMember, kang),
            data={
                "starts_at": MONDAY + dt.timedelta(days=1),
                "ends_at": MONDAY + dt.timedelta(days=2),
                "reason": "annual leave",
            },
        )
    factories.add_overview_data(engine, world)
    with engine.begin() as conn:  # the Polish liaison reads Korean by their own choice
        conn.execute(
            sa.text("UPDATE app_user SET language = 'ko' WHERE id = :i"), {"i": world.ids["user_pl"]}
        )
    k9 = world.ids["k9"]
    board = f"/planning?country=PL&system={k9}&from=2030-03-04&to=2030-03-10"
    suggest = (
        f"{board}&suggest=1&kind=trial_run&duration=1&per=days&skill_1=instructor:K9A1"
        "&count_1={n}&units=1&earliest=2030-03-04&latest=2030-03-08"
    )
    new = (
        f"/services/new?country=PL&system_id={k9}&starts_at=2030-03-04T09:00"
        "&ends_at=2030-03-04T17:00&title=Gunnery"
    )
    return {"event": event, "park": park, "kang": kang, "board": board, "suggest": suggest, "new": new}


def _pages(scene: dict[str, Any]) -> dict[str, tuple[str, str, list[str], list[str]]]:
    """Each page: (who, path, Korean it must show, English it must not show in Korean)."""
    e = scene["event"]
    return {
        "services": (
            "staff",
            "/services",
            ["후속 지원", "월간 일정표", "조회된 후속 지원", "(책임)"],
            [
                "Matching services",
                "Month calendar",
                "Schedule a service",
                "Any kind",
                "Ends after",
                "(lead)",
                "Times in each service",
            ],
        ),
        "service": (
            "staff",
            f"/services/{e}",
            ["일시 및 장소", "인원 및 장비", "진행 단계", "후속 지원 취소…"],
            [
                "When and where",
                "People and equipment",
                "Lifecycle",
                "Cancel the service",
                "Reason for cancelling",
                "Participants planned",
                "All services",
            ],
        ),
        "new step": (
            "staff",
            "/services/new",
            ["1/2단계", "국가 및 체계", "계속"],
            ["Step 1 of 2", "Choose a country", "Continue", "Each country's contracted systems"],
        ),
        "schedule form": (
            "staff",
            scene["new"],
            ["후속 지원 일정 수립", "가용 인원 보기", "사용 장비", "일련번호", "2030년 3월 4일 월요일"],
            [
                "Show who is free",
                "Units used",
                "Search staff",
                "Pick the first N",
                "Next booking",
                "Repeat (optional)",
                "who is free, booked",
                "Mon 04 Mar",
            ],
        ),
        "edit form": (
            "staff",
            f"/services/{e}/edit",
            ["후속 지원 수정", "변경 내용 저장", "책임 담당관"],
            [
                "Edit the service",
                "Save changes",
                "back to the service",
                "No lead",
                "Participants who took part",
            ],
        ),
        "board": (
            "staff",
            scene["board"],
            ["지원 계획", "일정 추천", "일자별 담당관", "3월", ": 부재(annual leave)"],
            [
                "Suggest a slot",
                "Who and what is free",
                "Board filters",
                "booked for",
                "Earliest day",
                "Working day from",
                ">Mo<",
                " Mar<",
            ],
        ),
        "suggestions": (
            "staff",
            scene["suggest"].format(n=2),
            ["2030년 3월 6일 수요일 08:00", "담당관 유휴"],
            ["idle staff-hours", "Wed 06 Mar"],
        ),
        "no fit": (
            "staff",
            scene["suggest"].format(n=3),
            ["맞는 일정이 없습니다", "instructor:K9A1 인원은 2명뿐입니다"],
            ["Nothing fits", "free in the window"],
        ),
        "staff list": (
            "staff",
            "/planning/staff",
            ["담당관 보유 기술 및 부재", "담당관 2명"],
            ["Staff skills and absences", "staff members", "Name or skill", "the planning board"],
        ),
        "staff member": (
            "staff",
            f"/planning/staff/{scene['kang']}",
            ["보유 기술 저장", "부재 추가"],
            ["Save the skills", "Add an absence", "Time zone of these times", "Remove"],
        ),
        "overview": (
            "staff",
            "/countries/PL",
            ["응답률", "장비 가동률, 최근 12개월", "예정된 후속 지원", "보증 만료 90일 이내"],
            [
                "Response rate",
                "Next services",
                "Completed services",
                "Open requests",
                "Surveys waiting",
                "Warranty ends",
                "Fleet availability",
                "below target",
                "surveys answered",
                "Availability %",  # the charts' legends and target line
                "CSAT %",
                "target 85%",
            ],
        ),
        "home": (
            "pl",
            "/",
            ["만족도,", "지금 응답하기", "결함 보고 및 장비 가동 준비태세"],
            ["answer now", "Satisfaction,", "Deficiency reports and fleet readiness", "Monthly reports",
             "Availability %", "CSAT %", "target 85%"],
        ),
        "liaison services": ("pl", "/services", ["조회된 후속 지원"], ["Matching services", "Any status"]),
        "liaison service": (
            "pl",
            f"/services/{e}",
            ["일시 및 장소", "목표 및 결과"],
            ["When and where", "Objectives and outcome"],
        ),
    }


def _clients(app) -> dict[str, Any]:
    clients = {}
    for who in ("staff", "pl"):
        clients[who] = app.test_client()
        assert sign_in(clients[who], who).status_code in (302, 303)
    return clients


def test_the_service_planning_and_overview_pages_are_korean(app, world, engine, scene):
    clients = _clients(app)
    allowed = DATA_WORDS | _others_words()
    for name, (who, path, korean, english) in _pages(scene).items():
        r = clients[who].get(path, headers=KO)
        assert r.status_code == 200, (name, r.status_code)
        page = r.get_data(as_text=True)
        assert '<html lang="ko"' in page, name
        main = _main(page)
        assert [k for k in korean if k not in main] == [], (name, main[:3000])
        assert [t for t in english if t in main] == [], name
        left = english_left(main, allowed)
        assert left == [], (name, left)


def test_the_same_pages_stay_english_for_an_english_reader(app, world, engine, scene):
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE app_user SET language = 'en' WHERE id = :i"), {"i": world.ids["user_pl"]}
        )
    clients = _clients(app)
    expected = {
        "services": "Matching services",
        "service": "When and where",
        "new step": "Step 1 of 2",
        "schedule form": "Show who is free",
        "edit form": "Edit the service",
        "board": "Suggest a slot",
        "suggestions": "idle staff-hours",
        "no fit": "only 2 instructor:K9A1 free in the window",
        "staff list": "Staff skills and absences",
        "staff member": "Add an absence",
        "overview": "Warranty ends ≤ 90 days",
        "home": "answer now",
        "liaison services": "Any status",
        "liaison service": "Objectives and outcome",
    }
    for name, (who, path, _korean, _english) in _pages(scene).items():
        page = clients[who].get(path, headers=EN).get_data(as_text=True)
        assert '<html lang="en"' in page, name
        main = _main(page)
        assert expected[name] in main, name
        assert not HANGUL.search(main), (name, HANGUL.findall(main)[:10])
    board = _main(clients["staff"].get(scene["board"], headers=EN).get_data(as_text=True))
    assert '>Mo</span> 4<span class="board-month"> Mar</span>' in board  # short English names as before
    tuesday = _main(clients["staff"].get(scene["suggest"].format(n=2), headers=EN).get_data(as_text=True))
    assert "Wed 06 Mar 2030 08:00" in tuesday


def test_flash_messages_and_form_errors_of_these_pages_follow_the_language(app, world, engine, scene):
    from tests.test_web_pages import csrf

    staff = _clients(app)["staff"]
    page = staff.get("/services/new?country=ZZ", headers=KO).get_data(as_text=True)
    assert "구매국을 선택하십시오." in page and "Choose a buyer country." not in page
    from service.domain import registry

    with session_scope(engine) as s:  # a system no country has bought
        sam = registry.create_system(
            session=s,
            data={"code": "KM-SAM", "name": "Cheongung", "category": "air", "manufacturer": "LIG Nex1"},
        ).id
    page = staff.get(f"/services/new?country=PL&system_id={sam}", headers=KO).get_data(as_text=True)
    assert "Poland은(는) KM-SAM 계약이 없습니다." in page and "has no contract" not in page
    page = staff.get("/planning?country=PL", headers=KO).get_data(as_text=True)
    assert "국가와 그 국가의 체계 하나를 선택하십시오." in page
    member = f"/planning/staff/{scene['kang']}"
    r = staff.post(
        f"{member}/unavailability",
        headers=KO,
        follow_redirects=True,
        data={
            "csrf_token": csrf(staff, member),
            "starts_at": "2030-04-01T08:00",
            "ends_at": "2030-04-03T17:00",
            "reason": "course",
            "timezone": "Asia/Seoul",
        },
    )
    assert r.status_code == 200 and "부재를 기록했습니다." in r.get_data(as_text=True)
    event = f"/services/{scene['event']}"
    version = staff.get(event).get_data(as_text=True).split('name="version" value="', 1)[1].split('"', 1)[0]
    r = staff.post(
        f"{event}/transition",
        headers=KO,
        follow_redirects=True,
        data={"csrf_token": csrf(staff, event), "version": version, "status": "confirmed"},
    )
    page = r.get_data(as_text=True)
    assert "후속 지원이" in page and "The service is now" not in page
    r = staff.post(
        f"{event}/transition",
        headers=KO,
        follow_redirects=True,
        data={"csrf_token": csrf(staff, event), "version": "0", "status": "postponed"},
    )
    page = r.get_data(as_text=True)  # a stale form is refused, naming the service in Korean
    assert "이 후속 지원" in page and "This service" not in page


def test_the_suggestion_api_words_its_misses_in_the_callers_language(client, world, engine, scene):
    body = {
        "kind": "trial_run",
        "country": "PL",
        "system": world.ids["k9"],
        "duration_days": 1,
        "earliest_start": "2030-03-04T00:00:00+01:00",
        "latest_end": "2030-03-09T00:00:00+01:00",
        "requirements": [{"skill": "instructor:K9A1", "count": 3}],
        "units": {"count": 0},
    }
    h = world.headers("staff")
    ko = client.post("/api/v1/events/suggest", json=body, headers={**h, **KO}).get_json()
    en = client.post("/api/v1/events/suggest", json=body, headers={**h, **EN}).get_json()
    assert ko["unmet"][0]["message"].startswith("기간 중 가용한 instructor:K9A1 인원은 2명뿐입니다")
    assert en["unmet"][0]["message"].startswith("only 2 instructor:K9A1 free in the window")
    assert {k: v for k, v in ko["unmet"][0].items() if k != "message"} == {
        k: v for k, v in en["unmet"][0].items() if k != "message"
    }  # the same figures and codes
