"""Deficiency, bulletin and unit-history pages in Korean (issue 18), the words of stored codes
(`| label`) in both languages, and the "Sorted by …" note of the lists.

A user whose language is Korean reads these pages with Korean headings, labels, buttons and sort
note, and none of the English of their templates; the English pages stay as they were.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask_babel import force_locale

import models
from service.domain.actions import RATINGS
from service.web.filters import LABELS, label
from tests import factories
from tests.test_web_pages import csrf, sign_in

ROOT = Path(__file__).resolve().parents[1]
KO_PO = ROOT / "service" / "translations" / "ko" / "LC_MESSAGES" / "messages.po"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _main_text(page: str) -> str:
    """What a reader sees in `<main>`: its text without tags, spaces collapsed."""
    assert "<main" in page, page[:300]
    main = page.split("<main", 1)[1].split(">", 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


def _speaks(engine, who: str, language: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE app_user SET language = :l WHERE email = :e"),
                     {"l": language, "e": f"{who}@example.org"})


@pytest.fixture
def site(app, world, engine):
    """A deficiency report with a staff message, a safety bulletin released to Poland (not yet
    acknowledged), a revised one; clients for staff and the Polish liaison, both in Korean."""
    report = factories.add_deficiency(engine, world, title="Recoil buffer cracked")
    bulletin = factories.add_bulletin(engine, world, countries=["PL"], title="Breech block pin")
    clients = {}
    for who in ("staff", "pl"):
        _speaks(engine, who, "ko")
        clients[who] = app.test_client()
        assert sign_in(clients[who], who).status_code in (302, 303)
    token = csrf(clients["staff"], f"/deficiencies/{report}")
    r = clients["staff"].post(f"/deficiencies/{report}/messages",
                              data={"csrf_token": token, "body": "Zdjęcia, proszę"})
    assert r.status_code in (302, 303)
    assert "메시지를 보냈습니다." in clients["staff"].get(r.location).get_data(as_text=True)  # flash read
    return {"report": report, "bulletin": bulletin, "unit": world.ids["unit_PL"], "k9": world.ids["k9"],
            "clients": clients}


def _words(text: str) -> list[str]:
    return text.split("|")


def _pages(site) -> dict[str, tuple[str, str, list[str], list[str]]]:
    """Each page: (who, path, Korean it must show, English of its template it must not show)."""
    d, b, u = site["report"], site["bulletin"], site["unit"]
    return {
        "queue": ("staff", "/deficiencies",
                  _words('결함 보고|기한순 미결 보고|체계 · 장비|다음 기한|심각도|중대|접수|남음|'
                         '결함 보고 작성|장비 선택'),
                  _words('Deficiency reports|open report|Every report, newest first|Open reports by due time'
                         '|System · units|Next due|Severity|State|Major|Submitted| left|Report a deficiency|'
                         'For country|Choose a country|Choose a system|Choose the units|First the system')),
        "filing": ("staff", f"/deficiencies?file_country=PL&file_system={site['k9']}",
                   _words('결함 보고 작성|보고 제출|발생 내용|발생 시각|현지 시각|다른 체계 선택'),
                   _words('Units (serials)|Category|Choose a category|Choose (safety|What happened?|When'
                          '|Local time in|Photos or PDF|File the report|Choose another system| of Poland')),
        "all reports": ("staff", "/deficiencies?all=1",
                        _words('보고서 1건.|정렬 기준: 접수일(내림차순).'),
                        _words('Sorted by|date submitted|descending|Report|Country')),
        "sorted twice": ("staff", "/deficiencies?all=1&sort=severity,-number",
                         _words('정렬 기준: 심각도, 이어서 번호(내림차순).'), _words('Sorted by|, then ')),
        "liaison's list": ("pl", "/deficiencies",
                           _words('아래에서 결함을 보고하십시오|정렬 기준:'),
                           _words('Report a fault below|staff acknowledge it|Sorted by')),
        "report": ("staff", f"/deficiencies/{d}",
                   _words('보고 내용|발생 일시|접수 확인 기한|해결 기한|처리 시한|다음 조치|협의 내용|'
                          '첨부 파일|품질|장비 상태|변경하지 않음|내부 메모'),
                   _words('The report|Units|Description|Occurred|Submitted|Acknowledge by|Resolve by|Clock|'
                          "All reports|Next steps|Units' status|Leave as it is|Investigate|Acknowledged|"
                          'Withdraw the report|Conversation|Message|Internal note|Send|Attachments|'
                          'No attachment.|Photos or PDF|Attach|Quality|Major')),
        "liaison's report": ("pl", f"/deficiencies/{d}",
                             _words('보고 내용|보고 철회|보내기'),
                             _words('The report|Withdraw the report|Conversation|Send|Attach|left')),
        "unit": ("staff", f"/units/{u}/history",
                 _words('장비 K9|상태 변경 이력|결함 보고|투입된 후속 지원|인도|운용 가능'),
                 _words('Unit |Status history|Deficiency reports|Services it was used in|delivered|'
                        'Operational|None.')),
        "bulletins": ("staff", "/bulletins",
                      _words('기술 회보 1건(최신순).|기술 회보 발행|전체 유형|조회|배포 국가|접수 확인|안전'),
                      _words('Service bulletins|bulletin,|newest first|Publish a bulletin|Kind|Every kind|'
                             'Show|Bulletin|Revision|Released to|Acknowledged|Safety| of ')),
        "liaison's bulletins": ("pl", "/bulletins",
                                _words('우리나라에 배포된 기술 회보입니다|배포'),
                                _words('The notices released|acknowledge each revision|Released|'
                                       'Acknowledged')),
        "bulletin": ("staff", f"/bulletins/{b}",
                     _words('회보 내용|적용 대상|전 장비|조치 사항|이행 기한|배포 후 30일|개정 1|배포 국가|'
                            '미확인|PL 배포 철회|국가별 현황|이행률|장비별 이행 현황|미조치|'
                            '개정판별 접수 확인 이력|아직 없습니다.|도면 또는 PDF'),
                     _words('The bulletin|Concerns|every |What to do|Compliance due|days after release|'
                            'All bulletins|revision 1|Revise|Released to|Released|Due|acknowledged|not yet|'
                            'Withdraw PL|Release to every country|Or release to these countries|'
                            'Release to the countries ticked|Figures per country|Units|Done|Not applicable|'
                            'Pending|Overdue|Complied| % of |Compliance per unit|'
                            'Acknowledgements, every revision|None yet.|Attachments|No attachment.|'
                            'Drawings or PDF|Attach|Safety')),
        "liaison's bulletin": ("pl", f"/bulletins/{b}",
                               _words('접수 확인|개정 1 접수 확인|우리나라 현황|상태|완료일|해당 없음 사유|'
                                      '기록'),
                               _words('Acknowledgement|Acknowledge revision|Figures for your country|Status|'
                                      'Done on|Why not applicable|Record |Pending|Not applicable')),
        "new bulletin": ("staff", "/bulletins/new",
                         _words('기술 회보 발행|번호는 체계별로 부여됩니다|일련번호 범위|'
                                '이행 기한(배포 후 일수)|발행'),
                         _words('Publish a service bulletin|Numbered within its system|The bulletin|System|'
                                'Choose a system|Kind|Choose a kind|Title|What to do|Serial ranges|'
                                'One a line|Compliance due|Publish')),
        "requests": ("staff", "/requests",  # the state filter's options too
                     _words('미조치|수락|거절|철회'), _words('Pending|Accepted|Declined|Withdrawn')),
        "surveys": ("staff", "/surveys", _words('발송|응답 완료|만료'), _words('Sent|Answered|Expired')),
        "revise": ("staff", f"/bulletins/{b}/edit",
                   _words('개정|저장하면 개정 2(으)로 바뀌며|개정 내용|개정판 저장'),
                   _words('Revise |Saving makes revision|What this revision changes|Save revision')),
    }


def test_the_deficiency_bulletin_and_unit_pages_are_korean_for_a_korean_user(site):
    for name, (who, path, korean, english) in _pages(site).items():
        r = site["clients"][who].get(path)
        assert r.status_code == 200, (name, r.status_code)
        page = r.get_data(as_text=True)
        assert '<html lang="ko"' in page, name
        text = _main_text(page)
        assert [k for k in korean if k not in text] == [], (name, text)
        assert [e for e in english if e in text] == [], (name, text[:2000])


def test_the_same_pages_stay_english_for_an_english_user(site, engine):
    for who in ("staff", "pl"):
        _speaks(engine, who, "en")
    for name, (who, path, _korean, _english) in _pages(site).items():
        page = site["clients"][who].get(path).get_data(as_text=True)
        assert '<html lang="en"' in page, name
        text = _main_text(page)
        assert not HANGUL.search(text.replace("한국어", "")), (name, HANGUL.findall(text)[:20])
    staff, pl = site["clients"]["staff"], site["clients"]["pl"]
    text = _main_text(staff.get("/deficiencies?all=1&sort=severity,-number").get_data(as_text=True))
    assert "Sorted by severity, then number (descending)." in text and "Major" in text
    text = _main_text(staff.get(f"/bulletins/{site['bulletin']}").get_data(as_text=True))
    assert "30 days after release" in text and "Withdraw PL" in text and "0.0 % of 3" in text
    text = _main_text(pl.get(f"/deficiencies/{site['report']}").get_data(as_text=True))
    assert "Withdraw the report" in text and " left" in text and "Submitted" in text


def test_flash_messages_and_form_errors_of_these_pages_follow_the_language(site, engine):
    staff, pl = site["clients"]["staff"], site["clients"]["pl"]
    b = site["bulletin"]
    token = csrf(staff, f"/bulletins/{b}")
    before = engine.connect().execute(sa.text("SELECT count(*) FROM bulletin_release")).scalar()
    r = staff.post(f"/bulletins/{b}/release", data={"csrf_token": token})  # no country ticked
    text = _main_text(r.get_data(as_text=True))
    assert r.status_code == 422 and "국가를 하나 이상 선택하십시오." in text and "Tick at least" not in text
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM bulletin_release")).scalar() == before
    token = csrf(pl, f"/bulletins/{b}")
    r = pl.post(f"/bulletins/{b}/acknowledge", data={"csrf_token": token}, follow_redirects=True)
    text = _main_text(r.get_data(as_text=True))
    assert "접수를 확인했습니다." in text and "acknowledged" not in text
    report = site["report"]
    page = pl.get(f"/deficiencies/{report}").get_data(as_text=True)
    version = page.split('name="version" value="', 1)[1].split('"', 1)[0]
    r = pl.post(f"/deficiencies/{report}/transition", follow_redirects=True, data={
        "csrf_token": csrf(pl, f"/deficiencies/{report}"), "version": str(int(version) + 7),
        "status": "withdrawn"})
    text = _main_text(r.get_data(as_text=True))
    assert "이 결함 보고: 그사이 다른 사용자가 변경하여" in text and "changed by someone else" not in text
    r = pl.post("/deficiencies", data={"csrf_token": csrf(pl, "/deficiencies"), "title": ""})
    text = _main_text(r.get_data(as_text=True))
    assert r.status_code == 422
    assert "결함 보고를 접수하지 못했습니다. 아래 표시한 항목을 바로잡아 주십시오." in text
    assert "correct the fields marked below" not in text


def _enums() -> list[type[StrEnum]]:
    """Every enum of the models: their values are what pages show through `label`."""
    found = [v for v in vars(models).values()
             if isinstance(v, type) and issubclass(v, StrEnum) and v is not StrEnum]
    assert len(found) >= 20, found  # the models' enums are exported; none went missing
    return found


@pytest.mark.parametrize("enum", _enums(), ids=lambda e: e.__name__)
def test_every_value_of_every_enum_has_english_and_korean_words(app, enum):
    for value in enum:
        assert value.value in LABELS, f"{enum.__name__}.{value.name} has no wording in LABELS"
        with app.test_request_context("/"):
            with force_locale("en"):
                english = label(value.value)
            with force_locale("ko"):
                korean = label(value.value)
        assert english and "_" not in english, (value, english)
        assert HANGUL.search(korean) or (korean == english and english.isupper()), (value, korean)  # C4I


def test_ratings_and_other_shown_codes_have_korean_words_and_unknown_codes_read_as_english(app):
    with app.test_request_context("/"), force_locale("ko"):
        for code in (*RATINGS, "deficiency_handling", "survey_invitation", "deficiency_status"):
            assert HANGUL.search(label(code)), code
        assert label("closed") == "종결"  # the state, not the "Closed" date column (종결 일시)
        assert label("some_new_state") == "Some new state"  # no wording yet: readable English
        assert label(None) == "—"
    with app.test_request_context("/"), force_locale("en"):
        assert label("non_operational") == "Not operational" and label("in_progress") == "In progress"


def test_every_label_word_has_a_korean_translation_in_the_catalogue():
    """The `| label` words carry the context "label" (which the catalogue check of test_i18n
    does not see): each one used in the code has its Korean, under that context."""
    with KO_PO.open("rb") as f:
        catalog = read_po(f)
    used = {(msg[4], msg[2]) for msg in extract_from_dir(
        str(ROOT / "service"), [("**.py", "python")], keywords={"lazy_pgettext": ((1, "c"), 2),
                                                                 "pgettext": ((1, "c"), 2)})}
    assert len(used) >= len(LABELS) - 5, len(used)  # the extraction itself works
    missing = [(context, msgid) for context, msgid in sorted(used)
               if not (catalog.get(msgid, context=context) and catalog.get(msgid, context=context).string)]
    assert missing == []


def test_a_units_history_words_a_reports_move_in_the_pages_language(app, world, engine, client):
    """A move that gives no reason of its own writes one on the unit's history: the page words it
    in the reader's language, with the report's number; the API answers it as written."""
    from service.core.auth import principal_for_user
    from service.core.db import session_scope
    from service.domain.deficiencies import lifecycle

    report = factories.add_deficiency(engine, world, title="Sight misaligned")
    with session_scope(engine) as s:
        moved = s.get(models.DeficiencyReport, report)
        lifecycle.transition(session=s, report=moved, status="acknowledged", unit_status="under_repair",
                             actor=principal_for_user(s.get(models.User, world.ids["user_staff"])))
        number = moved.number
    unit = world.ids["unit_PL"]
    pages = {}
    for language in ("ko", "en"):
        _speaks(engine, "staff", language)
        reader = app.test_client()
        assert sign_in(reader, "staff").status_code in (302, 303)
        pages[language] = _main_text(reader.get(f"/units/{unit}/history").get_data(as_text=True))
    assert f"운용 가능 → 수리 중 (결함 보고 {number}: 접수 확인)" in pages["ko"], pages["ko"]
    assert "deficiency" not in pages["ko"]
    english = f"Operational → Under repair (deficiency {number} acknowledged)"
    assert english in pages["en"], pages["en"]
    changes = client.get(f"/api/v1/units/{unit}/history", headers=world.headers("staff")).get_json()
    assert changes["status_changes"][-1]["reason"] == f"deficiency {number} acknowledged"
    typed = f"deficiency {number} parts on order"  # a reason someone typed: shown as typed
    with session_scope(engine) as s:
        lifecycle.transition(session=s, report=s.get(models.DeficiencyReport, report), status="investigating",
                             unit_status="non_operational", reason=typed,
                             actor=principal_for_user(s.get(models.User, world.ids["user_staff"])))
    page = _main_text(reader.get(f"/units/{unit}/history").get_data(as_text=True))
    assert f"({typed})" in page, page


def test_an_action_the_service_opened_reads_in_the_pages_language(app, world, engine, client):
    """A poor answer opens an action whose title and reasons the service writes: the pages word
    them in the reader's language; the API answers them as written."""
    survey, token = factories.add_survey(app, world, title="Gunnery week")
    answer = {"overall": 2, "instructors": 4, "timeliness": 4, "documentation": 4, "equipment": 4,
              "recommend": 3}
    assert client.post(f"/api/v1/public/surveys/{token}", json=answer).status_code in (200, 201)
    [action] = client.get("/api/v1/actions", headers=world.headers("staff")).get_json()
    assert action["title"] == "Poor feedback on Gunnery week"
    assert action["reasons"] == ["overall rated 2 of 5", "recommend 3 of 10"]
    pages = {}
    for language in ("ko", "en"):
        _speaks(engine, "staff", language)
        reader = app.test_client()
        assert sign_in(reader, "staff").status_code in (302, 303)
        pages[language] = [_main_text(reader.get(path).get_data(as_text=True))
                           for path in ("/actions", f"/actions/{action['id']}")]
    for page in pages["ko"]:
        assert "저조한 평가: Gunnery week" in page and "전반적 만족도 2/5점; 추천 의향 3/10점" in page, page
        assert "Poor feedback" not in page and "rated" not in page
    assert "폴란드 (PL)" in pages["ko"][0] and "Poland" not in pages["ko"][0]  # the country filter too
    for page in pages["en"]:
        assert "Poor feedback on Gunnery week" in page and "Overall rated 2 of 5; recommend 3 of 10" in page
    # its moves of state, written to its progress by the service, read so too; a comment as typed
    staff = world.headers("staff")
    for move in ({"status": "in_progress"}, {"status": "closed", "resolution": "Extra range day given"}):
        tag = client.get(f"/api/v1/actions/{action['id']}", headers=staff).headers["ETag"]
        assert client.patch(f"/api/v1/actions/{action['id']}", json=move,
                            headers={**staff, "If-Match": tag}).status_code == 200
    assert client.post(f"/api/v1/actions/{action['id']}/comments", json={"body": "State: open → closed"},
                       headers=staff).status_code == 201
    reader = app.test_client()
    _speaks(engine, "staff", "ko")
    assert sign_in(reader, "staff").status_code in (302, 303)
    page = _main_text(reader.get(f"/actions/{action['id']}").get_data(as_text=True))
    assert "상태: 미결 → 진행 중" in page and "상태: 진행 중 → 종결. 조치 결과: Extra range day given" in page
    assert page.count("State:") == 1  # the comment someone typed, as typed


def test_the_reports_and_the_messages_word_an_actions_title_in_their_language():
    """The monthly PDF's overdue actions and the action messages use the same words as the pages."""
    from types import SimpleNamespace

    from service.domain import mail, pdf

    title = "Overdue critical deficiency PL-2026-0007: Recoil buffer cracked"
    overdue = mail.render("action_overdue", language="ko", base="https://k-sustain.example",
                          action=SimpleNamespace(id=7, country_code="PL", title=title, status="open",
                                                 due_on=dt.date(2026, 11, 2),
                                                 reasons=["critical deficiency report past its due time"]))
    assert "기한 초과 치명 결함 PL-2026-0007: Recoil buffer cracked" in overdue["subject"], overdue
    assert "처리 기한이 지난 치명 결함 보고" in overdue["body"], overdue
    for words in (pdf.environment("ko").filters["in_words"], mail._environment("ko").filters["in_words"]):
        assert words(title) == "기한 초과 치명 결함 PL-2026-0007: Recoil buffer cracked"
        assert words("critical deficiency report past its due time") == "처리 기한이 지난 치명 결함 보고"
        assert words("Deficiency report PL-2026-0007: Recoil buffer cracked") == \
            "결함 보고 PL-2026-0007: Recoil buffer cracked"  # a survey on its handling
        assert words("Follow up with the battalion") == "Follow up with the battalion"  # typed: as it is
    assert pdf.environment("en").filters["in_words"](title) == title


def test_a_service_someone_named_keeps_its_name_on_a_korean_page(app, world, engine):
    """Only what the service writes is worded: a service's title is as typed, even one that reads
    like a text the service writes."""
    factories.add_survey(app, world, title="Poor feedback on gunnery")
    _speaks(engine, "staff", "ko")
    reader = app.test_client()
    assert sign_in(reader, "staff").status_code in (302, 303)
    page = _main_text(reader.get("/surveys").get_data(as_text=True))
    assert "Poor feedback on gunnery" in page and "저조한 평가" not in page, page


def test_the_words_the_service_writes_into_titles_are_the_pages_labels(app):
    """A title or reason the service wrote ("State: open → in progress", "deficiency PL-2026-0002
    acknowledged") is read back in a page's language through the labels' own words (`WORDED`
    in `service/domain/actions.py`): each of them is the English of that code's page label and
    has its Korean, so renaming a label cannot leave a written title in English."""
    from service.core.i18n import catalogue
    from service.domain.actions import WORDED

    korean = catalogue("ko")
    with app.test_request_context("/"), force_locale("en"):
        for group, words in WORDED.items():
            for code, english in words.items():
                assert str(LABELS[code.replace(" ", "_")]) == english, (group, code)
                assert HANGUL.search(korean.pgettext("label", english)), (group, english)
    with app.test_request_context("/"), force_locale("ko"):
        assert str(LABELS["awaiting_buyer"]) == korean.pgettext("label", WORDED["state"]["awaiting_buyer"])
