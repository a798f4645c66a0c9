"""Monthly PDF reports: the figures against the API, storage, revisions, failures, locking, access."""

from __future__ import annotations

import hashlib
import re
import threading
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from models import Report, ReportFile
from service.domain import pdf, reports, satisfaction
from tests import factories
from tests.conftest import rows

PERIOD = "2026-10"


@pytest.fixture
def month(engine, world):
    return factories.add_report_month(engine, world, PERIOD)


def _text(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(data)).pages]


def _api_satisfaction(app, client, world, engine, country: str, period: str) -> dict:
    """GET /api/v1/satisfaction when that endpoint is present; else the function it answers with."""
    if any(rule.rule == "/api/v1/satisfaction" for rule in app.url_map.iter_rules()):
        r = client.get("/api/v1/satisfaction", headers=world.headers("staff"),
                       query_string={"country": country, "from": period, "to": period})
        assert r.status_code == 200
        return r.get_json()
    with Session(engine) as s:
        return satisfaction.figures(session=s, country=country, period_from=period, period_to=period)


def _pct(value: float | None) -> str:
    return f"{pdf._number(value)}%"


def test_country_report_has_every_section_and_the_figures_the_api_answers(app, client, world,
                                                                          engine, month):
    r = client.post("/api/v1/reports", json={"period": PERIOD, "country": "pl"},
                    headers=world.headers("staff"))
    assert r.status_code == 201, r.get_json()
    meta = r.get_json()
    assert (meta["kind"], meta["country"], meta["revision"], meta["status"]) == (
        "country_monthly", "PL", 1, "ready")
    download = client.get(meta["pdf_url"], headers=world.headers("pl"))
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert 'filename="k-sustain-PL-2026-10-r1.pdf"' in download.headers["Content-Disposition"]
    body = download.data
    assert download.headers["ETag"] == f'"{meta["sha256"]}"' == f'"{hashlib.sha256(body).hexdigest()}"'
    assert meta["size"] == len(body)

    pages = _text(body)
    assert meta["pages"] == len(pages) >= 2
    for n, page in enumerate(pages, start=1):  # marking in header and footer of every page
        assert page.count("UNCLASSIFIED") >= 2, n
        assert f"page {n} of {len(pages)}" in page
    text = " ".join(pages)
    for section in ("1. Summary", "2. Fleet", "3. Services", "4. Satisfaction", "5. Corrective actions"):
        assert section in text
    assert "Poland (PL)" in text and "PERIOD 2026-10" in text and "REVISION 1" in text
    assert " CET" in text or " CEST" in text  # generated at, in the country's timezone

    # Summary (hand-computed in factories.add_report_month)
    for figure in ("SERVICES COMPLETED 3", "UPCOMING 2", "CANCELLED 1", "TRAINEES 25"):
        assert figure in text
    # Satisfaction: equal to the API for the same country and month, with the change
    api = _api_satisfaction(app, client, world, engine, "PL", PERIOD)
    assert (api["csat"], api["nps"], api["response_rate"]) == (66.7, 33.3, 75.0)
    assert f"CSAT {_pct(api['csat'])} +16.7 pts vs previous month 3 answers (fewer than 5)" in text
    assert f"NPS {pdf._number(api['nps'])} +33.3 vs previous month 3 answers (fewer than 5)" in text
    assert (f"RESPONSE RATE {_pct(api['response_rate'])} −25.0 pts vs previous month "
            f"3 of 4 surveys") in text
    assert re.search(r"Instructors [\d.]+ \(n = 3\) [\d.]+ \(n = 5\)", text)  # the answers each mean is of
    for name, value in api["dimensions"].items():
        assert f"{name.capitalize()} {pdf._number(value, 2)}" in text
    # Fleet: equal to GET /countries/PL/fleet
    fleet = client.get("/api/v1/countries/PL/fleet", headers=world.headers("pl")).get_json()
    assert fleet
    for line in fleet:
        assert (f"{line['system_code']} {line['system_name']} {line['contracted']} {line['delivered']} "
                f"{line['operational']} {line['under_repair']} {line['non_operational']} "
                f"{line['in_warranty']} "
                f"{line['warranty_ending_90d']}") in text
    # Services, comments (escaped, not markup), actions; nothing of Norway
    assert "K9A1 gunnery joint training" in text and "K9A1 fire-control course (+40 d)" in text
    assert '“Excellent instructors. <img src="file:///etc/hostname"> & more”' in text
    assert "OPENED 1" in text and "CLOSED 0" in text and "OVERDUE 1" in text
    assert "Spare parts logistics review" in text
    assert "NO secret exercise" not in text and "Norway" not in text
    assert sum(len(p.images) for p in PdfReader(BytesIO(body)).pages) == 0


def test_hq_report_puts_countries_needing_attention_first(client, world, engine, month):
    r = client.post("/api/v1/reports", json={"period": PERIOD}, headers=world.headers("staff"))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["kind"] == "hq_monthly" and r.get_json()["country"] is None
    pdf_url = r.get_json()["pdf_url"]
    download = client.get(pdf_url, headers=world.headers("staff"))
    assert 'filename="k-sustain-HQ-2026-10-r1.pdf"' in download.headers["Content-Disposition"]
    text = " ".join(_text(download.data))
    assert "1 overdue corrective action; CSAT 66.7% below 80%" in text
    every = text[text.index("2. Every country"):]
    assert every.index("PL Poland") < every.index("NO Norway")  # attention first
    # each figure with its change against September and the answers behind it, marked as few
    assert ("PL Poland 1 1 1 25 66.7% +16.7 pts 33.3 +33.3 75.0% −25.0 pts "
            "3 answers (fewer than 5) of 4 sent 1") in every
    assert "NO Norway 1 0 0 30 – – – 0 answers of 0 sent 0" in every
    assert "its change against September 2026" in every
    assert "3. Satisfaction trend" in text


def test_regenerating_replaces_the_bytes_and_bumps_the_revision(client, world, engine, fast_render):
    h = world.headers("staff")
    first = client.post("/api/v1/reports", json={"period": PERIOD, "country": "PL"}, headers=h).get_json()
    again = client.post("/api/v1/reports", json={"period": PERIOD, "country": "PL"}, headers=h).get_json()
    assert again["id"] == first["id"] and again["revision"] == 2 and again["sha256"] != first["sha256"]
    assert again["generated_by"] == "staff@example.org"
    pdf_response = client.get(again["pdf_url"], headers=h)
    assert pdf_response.data.endswith(b"r2")
    assert 'k-sustain-PL-2026-10-r2.pdf' in pdf_response.headers["Content-Disposition"]
    assert client.get(again["pdf_url"], headers={**h, "If-None-Match": pdf_response.headers["ETag"]}
                      ).status_code == 304
    listed = client.get("/api/v1/reports", headers=h, query_string={"period": PERIOD}).get_json()
    assert [(r["country"], r["revision"]) for r in listed] == [("PL", 2)]
    assert rows(engine, "report_file") == 3  # PL + the world's NO and HQ rows


@pytest.mark.parametrize("body, status", [
    ({"period": "2026-13", "country": "PL"}, 422), ({"period": "2099-01", "country": "PL"}, 422),
    ({"period": PERIOD, "country": "ZZ"}, 422), ({"period": PERIOD, "country": "KR"}, 422),
    ({"country": "PL"}, 422), ({"period": PERIOD, "extra": 1}, 422),
])
def test_bad_requests_write_nothing(client, world, engine, body, status):
    r = client.post("/api/v1/reports", json=body, headers=world.headers("staff"))
    assert r.status_code == status and set(r.get_json()) >= {"code", "status"}
    assert rows(engine, "report") == 2


def test_a_liaison_lists_and_downloads_only_their_countrys_reports(client, world, engine):
    pl = factories.add_report_row(engine, country="PL", period="2020-01")
    h = world.headers("pl")
    listed = client.get("/api/v1/reports", headers=h).get_json()
    assert [r["id"] for r in listed] == [pl]
    assert client.get("/api/v1/reports", headers=h, query_string={"country": "NO"}).get_json() == []
    assert client.get("/api/v1/reports", headers=h, query_string={"kind": "hq_monthly"}).get_json() == []
    assert client.get(f"/api/v1/reports/{pl}/pdf", headers=h).status_code == 200
    for other in (world.ids["report_NO"], world.ids["report_HQ"]):
        assert client.get(f"/api/v1/reports/{other}", headers=h).status_code == 404
        assert client.get(f"/api/v1/reports/{other}/pdf", headers=h).status_code == 404
    for body in ({"period": "2020-01", "country": "PL"}, {"period": "2020-01"}):
        assert client.post("/api/v1/reports", json=body, headers=h).status_code == 403
    assert rows(engine, "report") == 3
    staff = client.get("/api/v1/reports", headers=world.headers("staff")).get_json()
    assert {r["country"] for r in staff} == {"PL", "NO", None}


def _fail(monkeypatch):
    def broken(template, data):
        raise RuntimeError("font cache unavailable")

    monkeypatch.setattr(reports, "render_document", broken)


def test_a_render_failure_is_recorded_and_retried(app, client, world, engine, monkeypatch):
    _fail(monkeypatch)
    r = client.post("/api/v1/reports", json={"period": PERIOD, "country": "PL"},
                    headers=world.headers("staff"))
    assert r.status_code == 503 and "font cache unavailable" in str(r.get_json()["errors"])
    with Session(engine) as s:
        report = s.exec(select(Report).where(Report.period == PERIOD)).one()
        assert (report.status, report.attempts, report.sha256) == ("failed", 1, None)
        assert "RuntimeError: font cache unavailable" in report.error
        assert s.get(ReportFile, report.id) is None  # no half-written report
    assert client.get(f"/api/v1/reports/{report.id}/pdf", headers=world.headers("staff")).status_code == 404
    monkeypatch.undo()
    outcome = reports.generate(engine=engine, kind="country_monthly", period=PERIOD, country_code="PL",
                               actor=(None, reports.SCHEDULER), scheduled=True)
    assert outcome.action == "generated"
    assert (outcome.report.status, outcome.report.revision, outcome.report.attempts,
            outcome.report.error) == ("ready", 1, 2, None)


def test_a_failed_regeneration_keeps_the_previous_pdf(client, world, engine, fast_render, monkeypatch):
    h = world.headers("staff")
    good = client.post("/api/v1/reports", json={"period": PERIOD, "country": "PL"}, headers=h).get_json()
    _fail(monkeypatch)
    assert client.post("/api/v1/reports", json={"period": PERIOD, "country": "PL"},
                       headers=h).status_code == 503
    after = client.get(f"/api/v1/reports/{good['id']}", headers=h).get_json()
    assert (after["status"], after["revision"], after["sha256"]) == ("ready", 1, good["sha256"])
    assert "font cache" in after["error"] and after["attempts"] == 2
    assert client.get(good["pdf_url"], headers=h).data.endswith(b"r1")


@pytest.mark.parametrize("scheduled", [True, False])
def test_two_concurrent_generations_make_one_report(engine, world, fast_render, scheduled):
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def generate():
        barrier.wait()
        try:
            outcomes.append(reports.generate(
                engine=engine, kind="country_monthly", period=PERIOD, country_code="PL",
                actor=(None, reports.SCHEDULER if scheduled else "cli"), scheduled=scheduled))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=generate) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with Session(engine) as s:
        (report,) = s.exec(select(Report).where(Report.period == PERIOD)).all()
    if scheduled:  # the second one skips: the first holds the lock or has finished
        assert sorted(o.action for o in outcomes) in (["generated", "skipped"], ["busy", "generated"])
        assert report.revision == 1
        # On SQLite both may render, before taking the write lock (never under it); one is written.
        assert len(fast_render) == 1 if engine.dialect.name == "postgresql" else 1 <= len(fast_render) <= 2
    else:  # manual generations queue on the lock: two revisions of one report
        assert [o.action for o in outcomes] == ["generated", "generated"]
        assert report.revision == 2


def test_reports_generate_command(app, world, engine, fast_render):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["reports", "generate", "--period", PERIOD])
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert [line.split()[0] for line in lines[:3]] == ["NO", "PL", "HQ"]
    assert "revision 1" in lines[0] and lines[-1].startswith("3 report(s) generated, 0 failed")
    r = runner.invoke(args=["reports", "generate", "--period", PERIOD, "--country", "pl"])
    assert r.exit_code == 0 and "PL  2026-10  revision 2" in r.output
    r = runner.invoke(args=["reports", "generate", "--period", "2026-1"])
    assert r.exit_code != 0 and "YYYY-MM" in r.output


def test_a_report_renders_without_holding_sqlites_write_lock(engine, world, monkeypatch):
    """Another writer gets in while a report asked for by hand renders (SQLite locks the database)."""
    import sqlite3

    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's advisory lock covers only the report's own key")
    writes = []

    def render(template: str, data: dict) -> pdf.RenderedPdf:
        other = sqlite3.connect(engine.url.database, timeout=0.2, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # raises "database is locked" if the lock is held
            other.execute("ROLLBACK")
            writes.append(template)
        finally:
            other.close()
        return pdf.RenderedPdf(pdf=f"%PDF-stand-in r{data['revision']}".encode(), pages=1)

    monkeypatch.setattr(reports, "render_document", render)
    for revision in (1, 2):
        outcome = reports.generate(engine=engine, kind="country_monthly", period=PERIOD,
                                   country_code="PL", actor=(None, "cli"))
        assert (outcome.action, outcome.report.revision) == ("generated", revision)
    assert writes == ["country_monthly.html"] * 2
    with Session(engine) as s:
        assert s.get(ReportFile, outcome.report.id).pdf.endswith(b"r2")
