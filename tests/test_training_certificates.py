"""Certificates: listing by status, the public verification, the PDF, reminders, refreshers."""

from __future__ import annotations

import datetime as dt
import io
import statistics
import time

from pypdf import PdfReader

from models import Notification, ServiceRequest
from schedules.certificates import run_certificate_reminders
from tests import factories
from tests.conftest import QueryCounter

API = "/api/v1"
TODAY = dt.date.today()


def _in(days):
    return TODAY + dt.timedelta(days=days)


def _three(world):
    """A valid, an expiring and an expired certificate of Poland, and Norway's expiring one."""
    e = world.engine
    return {
        "valid": factories.add_certificate(e, world, name="Val Kowalska", valid_until=_in(400)),
        "expiring": factories.add_certificate(e, world, name="Exp Nowak", valid_until=_in(60)),
        "expired": factories.add_certificate(e, world, name="Old Wisniewski", valid_until=_in(-3)),
        "norway": factories.add_certificate(e, world, country="NO", name="Ola",
                                            valid_until=TODAY + dt.timedelta(days=20)),
    }


def test_certificates_filter_by_status_country_and_system(client, world):
    certs = _three(world)
    h = world.headers("pl")
    for status in ("valid", "expiring", "expired"):
        listed = client.get(f"{API}/certificates", headers=h, query_string={"status": status}).get_json()
        assert [c["id"] for c in listed] == [certs[status]["id"]]
        assert listed[0]["status"] == status
    staff = world.headers("staff")
    everyone = client.get(f"{API}/certificates", headers=staff).get_json()
    assert [c["name"] for c in everyone] == ["Old Wisniewski", "Ola", "Exp Nowak", "Val Kowalska"]
    norway = client.get(f"{API}/certificates", headers=staff, query_string={"country": "NO"}).get_json()
    assert [c["name"] for c in norway] == ["Ola"]
    assert client.get(f"{API}/certificates", headers=staff,
                      query_string={"system": world.ids["k2"]}).get_json() == []
    assert client.get(f"{API}/certificates", headers=h, query_string={"status": "soon"}).status_code == 422
    assert client.get(f"{API}/certificates/{certs['norway']['id']}", headers=h).status_code == 404


def test_public_verification_shows_name_course_validity_only(client, world):
    cert = _three(world)["expiring"]
    r = client.get(f"{API}/public/certificates/{cert['number']}", query_string={"code": cert["code"]})
    assert r.status_code == 200
    assert set(r.get_json()) == {"number", "name", "course", "issued_on", "valid_until", "status"}
    assert r.get_json()["name"] == "Exp Nowak" and r.get_json()["status"] == "expiring"
    lower = client.get(f"{API}/public/certificates/{cert['number']}",
                       query_string={"code": cert["code"].lower()})
    assert lower.status_code == 200  # the code as typed from paper


def test_unknown_number_and_wrong_code_answer_alike(client, world, engine):
    cert = _three(world)["valid"]
    wrong = f"{API}/public/certificates/{cert['number']}?code=WRONG999"
    unknown = f"{API}/public/certificates/KS-2026-NOSUCH00?code={cert['code']}"
    answers = []
    for url in (wrong, unknown, wrong):
        with QueryCounter(engine) as q:
            r = client.get(url)
        answers.append((r.status_code, r.get_json(), q.statements))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 404 and cert["number"] not in str(answers[0][1])
    assert client.get(f"{API}/public/certificates/{cert['number']}").status_code == 422  # no code
    times: dict[str, list[float]] = {wrong: [], unknown: []}
    for n in range(120):
        for url in ((wrong, unknown) if n % 2 else (unknown, wrong)):
            start = time.perf_counter()
            client.get(url)
            times[url].append(time.perf_counter() - start)
    a, b = statistics.median(times[wrong]), statistics.median(times[unknown])
    assert max(a, b) / min(a, b) < 1.35, (a, b)


def test_reminders_at_90_and_30_days_once_each(app, world, engine):
    certs = _three(world)
    soon = factories.add_certificate(engine, world, name="Soon", valid_until=TODAY + dt.timedelta(days=10))
    first = run_certificate_reminders(app, today=TODAY)
    assert run_certificate_reminders(app, today=TODAY) == 0  # the second run tells nobody again
    with engine.connect() as conn:
        rows = conn.execute(Notification.__table__.select().where(
            Notification.kind == "certificate_expiring")).all()
    told = sorted((r.key.split(":")[0], r.recipient) for r in rows)
    assert first == len(rows) == 3
    assert told == [("certificate-30d", "no@example.org"), ("certificate-30d", "pl@example.org"),
                    ("certificate-90d", "pl@example.org")]
    assert str(certs["expiring"]["id"]) in next(r.key for r in rows if r.key.startswith("certificate-90d"))
    assert any(f"cert:{soon['id']}:" in r.key for r in rows)
    # 30 days later the 60-day one reaches its 30-day threshold: told once more, once.
    later = TODAY + dt.timedelta(days=31)
    assert run_certificate_reminders(app, today=later) == 1
    assert run_certificate_reminders(app, today=later) == 0


def test_an_expiring_certificate_becomes_a_refresher_request_in_one_step(client, world, engine):
    certs = _three(world)
    h = world.headers("pl")
    r = client.post(f"{API}/certificates/{certs['expiring']['id']}/refresher", headers=h, json={})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["kind"] == "joint_training" and body["status"] == "pending" and body["country"] == "PL"
    assert "1 certificate(s)" in body["description"]
    with engine.connect() as conn:
        assert conn.execute(ServiceRequest.__table__.select().where(
            ServiceRequest.id == body["id"])).first() is not None
    r = client.post(f"{API}/certificates/{certs['valid']['id']}/refresher", headers=h, json={})
    assert r.status_code == 409
    assert client.post(f"{API}/certificates/{certs['norway']['id']}/refresher", headers=h,
                       json={}).status_code == 404


def test_certificate_pdf_is_english_and_korean_in_nanum_gothic(client, world):
    cert = _three(world)["valid"]
    r = client.get(f"{API}/certificates/{cert['id']}/pdf", headers=world.headers("pl"))
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(r.data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Certificate of Training" in text and "교육 수료증" in text and "유효 기간" in text
    assert "Val Kowalska" in text and cert["number"] in text
    assert "(Poland)" in text and "(폴란드)" in text  # each column names the country in its language
    fonts = {str(f["/BaseFont"]) for page in reader.pages
             for f in page["/Resources"]["/Font"].get_object().values()
             for f in [f.get_object()]}
    assert fonts and all("NanumGothic" in f for f in fonts), fonts
