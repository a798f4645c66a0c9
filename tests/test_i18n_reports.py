"""The monthly PDFs in Korean and English (SPEC §12, issue 18): a country's report in its report
language, the HQ report in HQ_REPORT_LANGUAGE, the same figures in both, Korean glyphs embedded."""

from __future__ import annotations

import datetime as dt
import re
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from models import AuditEntry, Country, Report, ReportFile
from schedules import monthly_reports
from service.core.config import ConfigError, Settings
from service.domain import pdf, report_data
from tests import factories
from tests.conftest import rows
from tests.test_web_pages import csrf, sign_in

PERIOD = "2026-10"
NOV_1 = dt.datetime(2026, 11, 1, 2, tzinfo=ZoneInfo("Asia/Seoul"))  # the run for October
HANGUL = re.compile("[\uac00-\ud7a3]")
COUNTRY_EN = ["1. Summary", "2. Fleet", "3. Services", "4. Satisfaction", "5. Corrective actions",
              "6. Fleet readiness", "CSAT is the share of overall ratings", "Recent comments",
              "Reported apart", "How deficiency reports were handled",
              "People trained and the support package"]
COUNTRY_KO = ["1. 요약", "2. 보유 장비", "3. 후속 지원", "4. 만족도", "5. 시정조치", "6. 장비 운용 준비태세",
              "CSAT는 종합 평가", "최근 의견", "별도 집계", "결함 보고 처리에 대한 평가",
              "교육 수료 인원 및 지원 패키지"]
HQ_EN = ["1. Countries needing attention", "2. Every country", "3. Satisfaction trend",
         "4. Fleet readiness", "People trained and support packages, per country"]
HQ_KO = ["1. 관심이 필요한 국가", "2. 국가별 현황", "3. 만족도 추이", "4. 장비 운용 준비태세",
         "국가별 교육 수료 인원 및 지원 패키지"]


@pytest.fixture
def month(engine, world):
    return factories.add_report_month(engine, world, PERIOD)


def _text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(data)).pages)


def _fonts(data: bytes) -> set[str]:
    names = set()
    for page in PdfReader(BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def _set_language(client, world, code: str, language: str) -> Any:
    h = world.headers("staff")
    tag = client.get(f"/api/v1/countries/{code}", headers=h).headers["ETag"]
    return client.patch(f"/api/v1/countries/{code}", json={"report_language": language},
                        headers={**h, "If-Match": tag})


def _generate(client, world, **body: str) -> bytes:
    h = world.headers("staff")
    r = client.post("/api/v1/reports", json={"period": PERIOD, **body}, headers=h)
    assert r.status_code == 201, r.get_json()
    return client.get(r.get_json()["pdf_url"], headers=h).data


def _absent(text: str, phrases: list[str]) -> list[str]:
    return [p for p in phrases + ["Services completed", "Corrective actions", "Availability"]
            if p.lower() in text.lower()]  # the cards' labels are upper case in the PDF


def test_a_country_report_is_written_in_the_countrys_report_language(client, world, month):
    first = _generate(client, world, country="PL")
    english = _text(first)
    assert PdfReader(BytesIO(first)).trailer["/Root"]["/Lang"] == "en"
    assert [h for h in COUNTRY_EN if h not in english] == [] and not HANGUL.search(english)
    assert "October 2026 (2026-10)" in english and "page 1 of" in english

    r = _set_language(client, world, "PL", "ko")
    assert r.status_code == 200 and r.get_json()["report_language"] == "ko"
    data = _generate(client, world, country="PL")
    korean = _text(data)
    assert [h for h in COUNTRY_KO if h not in korean] == []
    assert _absent(korean, COUNTRY_EN) == []  # no English section heading left
    assert "2026년 10월 (2026-10)" in korean and "1 / " in korean  # month and "page 1 of N"
    assert "폴란드 — 월간 후속 지원 보고서" in korean and "Poland" not in korean  # the name in Korean too
    # the PDF's own metadata says which language it is in
    meta = PdfReader(BytesIO(data))
    assert meta.metadata.title == "폴란드 월간 후속 지원 보고서" and meta.trailer["/Root"]["/Lang"] == "ko"
    # the Korean text is real glyphs from the font shipped with the templates
    assert any("NanumGothic" in f for f in _fonts(data)), _fonts(data)
    # Norway keeps English: the language is the country's, not the caller's
    assert not HANGUL.search(_text(_generate(client, world, country="NO")))


def test_the_hq_report_follows_hq_report_language(app, client, world, month, monkeypatch):
    english = _text(_generate(client, world))  # the tests' app says "en"
    assert [h for h in HQ_EN if h not in english] == [] and not HANGUL.search(english)
    assert "1 overdue corrective action; CSAT 66.7% below 80%" in english

    monkeypatch.setitem(app.config, "HQ_REPORT_LANGUAGE", "ko")
    korean = _text(_generate(client, world))
    assert [h for h in HQ_KO if h not in korean] == [] and _absent(korean, HQ_EN) == []
    assert "전체 국가 — 월간 후속 지원 보고서" in korean and "2026년 10월" in korean
    assert "기한 경과 시정조치 1건; CSAT 66.7%(기준 80% 미만)" in korean  # why PL needs attention
    assert "+16.7%p" in korean  # a change in percentage points


def test_the_scheduled_job_writes_each_report_in_its_language(app, engine, world, month,
                                                             monkeypatch):
    """The monthly job renders outside any request or application context."""
    with Session(engine) as s:
        s.get(Country, "PL").report_language = "ko"  # type: ignore[union-attr]
        s.commit()
    monkeypatch.setitem(app.config, "HQ_REPORT_LANGUAGE", "ko")
    outcomes = monthly_reports.run_for(app, now=NOV_1)
    assert {o.action for o in outcomes} == {"generated"}
    with Session(engine) as s:
        stored = {(r.scope_key, r.period): f.pdf for r, f in s.exec(
            select(Report, ReportFile).where(Report.id == ReportFile.report_id))}
    assert "1. 요약" in _text(stored[("PL", PERIOD)])
    assert "1. Summary" in _text(stored[("NO", PERIOD)])
    assert "1. 관심이 필요한 국가" in _text(stored[("HQ", PERIOD)])


def _figures(value: Any) -> Any:
    """Every number, flag and list length in report data; the words (strings) left out."""
    if isinstance(value, dict):
        return {k: _figures(v) for k, v in value.items() if not isinstance(v, str)}
    if isinstance(value, list):
        return [_figures(v) for v in value]
    return None if isinstance(value, str) else value


def test_the_figures_do_not_depend_on_the_language(engine, world, month):
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with Session(engine) as s:
        made = {lang: (report_data.country_monthly(session=s, country_code="PL", period=PERIOD, now=now,
                                                   revision=1, marking="X", language=lang),
                       report_data.hq_monthly(session=s, period=PERIOD, now=now, revision=1, marking="X",
                                              timezone="Asia/Seoul", language=lang))
                for lang in ("en", "ko")}
    for i in (0, 1):
        en, ko = made["en"][i], made["ko"][i]
        assert _figures(en) == _figures(ko)
        assert en["period_label"] == "October 2026" and ko["period_label"] == "2026년 10월"
        assert en["language"] == "en" and ko["language"] == "ko"
    pl = made["ko"][1]["attention"][0]
    assert pl["code"] == "PL" and pl["reasons"][0] == "기한 경과 시정조치 1건"
    assert made["ko"][0]["summary"]["by_kind"][0]["label"] == "연합 훈련"
    assert made["en"][0]["summary"]["by_kind"][0]["label"] == "Joint training"


@pytest.mark.parametrize("language, period, text", [
    ("ko", "2026-10", "2026년 10월"), ("ko", "2026-05", "2026년 5월"), ("en", "2026-10", "October 2026")])
def test_months_in_the_reports(language, period, text):
    assert pdf.words(language).month(period) == text


def test_numbers_and_days_are_formatted_for_the_language():
    en, ko = pdf.words("en"), pdf.words("ko")
    assert en.number(1234) == ko.number(1234) == "1,234" and en.number(66.66) == "66.7"
    assert en.delta(-25.0, " pts") == "−25.0 pts" and en.number(None) == "–"
    assert en.day(dt.date(2026, 10, 5)) == "05 Oct 2026" and ko.day(dt.date(2026, 10, 5)) == "2026. 10. 5."
    assert pdf.words("xx").language == "en"  # a language the reports are not written in: English


def test_hq_report_language_is_a_checked_setting():
    assert Settings.from_env({}).hq_report_language == "ko"
    assert Settings.from_env({"HQ_REPORT_LANGUAGE": "en"}).flask_config()["HQ_REPORT_LANGUAGE"] == "en"
    with pytest.raises(ConfigError, match="HQ_REPORT_LANGUAGE 'fr'"):
        Settings.from_env({"HQ_REPORT_LANGUAGE": "fr"})


def test_the_api_sets_a_countrys_report_language_checked_and_audited(client, world, engine):
    country = client.get("/api/v1/countries/PL", headers=world.headers("pl")).get_json()
    assert country["report_language"] == "en"
    before = rows(engine, "audit_entry")
    bad = _set_language(client, world, "PL", "fr")
    assert bad.status_code == 422 and "report_language" in bad.get_json()["errors"]["json"]
    assert rows(engine, "audit_entry") == before  # nothing written
    tag = client.get("/api/v1/countries/PL", headers=world.headers("staff")).headers["ETag"]
    liaison = client.patch("/api/v1/countries/PL", json={"report_language": "ko"},
                           headers={**world.headers("pl"), "If-Match": tag})
    assert liaison.status_code == 403
    assert _set_language(client, world, "PL", "ko").status_code == 200
    with Session(engine) as s:
        assert s.get(Country, "PL").report_language == "ko"  # type: ignore[union-attr]
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity == "country")
                       .order_by(AuditEntry.id.desc())).first()  # type: ignore[union-attr]
    assert entry is not None and entry.entity_id == "PL" and "report_language" in str(entry.changes)
    created = client.post("/api/v1/countries", json={"code": "SE", "timezone": "Europe/Stockholm"},
                          headers=world.headers("staff"))
    assert created.status_code == 201 and created.get_json()["report_language"] == "en"


def test_staff_set_the_report_language_on_the_country_page(client, world, engine):
    sign_in(client, "staff")
    page = client.get("/countries/PL").get_data(as_text=True)
    assert 'name="report_language"' in page and '<option value="en" lang="en" selected>' in page
    before = rows(engine, "audit_entry")
    r = client.post("/countries/PL/report-language", data={"report_language": "xx",
                                                           "csrf_token": csrf(client, "/countries/PL")})
    assert r.status_code == 303
    assert "Report language not saved" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert rows(engine, "audit_entry") == before
    r = client.post("/countries/PL/report-language", data={"report_language": "ko",
                                                           "csrf_token": csrf(client, "/countries/PL")})
    assert r.status_code == 303
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "written in 한국어" in page and '<option value="ko" lang="ko" selected>' in page
    assert rows(engine, "audit_entry") == before + 1
    with Session(engine) as s:
        assert s.get(Country, "PL").report_language == "ko"  # type: ignore[union-attr]


def test_a_liaison_has_no_report_language_form(client, world):
    sign_in(client, "pl")
    assert 'name="report_language"' not in client.get("/").get_data(as_text=True)
    r = client.post("/countries/PL/report-language", data={"report_language": "ko",
                                                           "csrf_token": csrf(client, "/")})
    assert r.status_code == 403


def test_a_korean_report_words_the_overdue_actions_the_service_opened(client, world, engine, month):
    """An overdue corrective action's title that the service wrote reads in the report's language."""
    import sqlalchemy as sa

    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE corrective_action SET title = :t WHERE id = :i"),
                     {"t": "Poor feedback on Gunnery week", "i": month["action"]})
    assert _set_language(client, world, "PL", "ko").status_code == 200
    korean = _text(_generate(client, world, country="PL"))
    assert "저조한 평가: Gunnery week" in korean and "Poor feedback" not in korean, korean
