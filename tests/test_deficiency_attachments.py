"""Attachments: the type from the content, the limits (10 per report, 10 MiB each, 413 past it,
nothing written), served back as an attachment with its checked type and nosniff."""

from __future__ import annotations

import io

import pytest

from service.domain.deficiencies.attachments import MAX_BYTES
from tests import factories
from tests.conftest import rows

API = "/api/v1/deficiencies"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def report(world):
    return factories.add_deficiency(world.engine, world)


def _upload(client, world, rid, data, name, who="pl"):
    return client.post(f"{API}/{rid}/attachments", headers=world.headers(who),
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_a_pdf_named_png_is_stored_and_served_as_pdf(client, world, report):
    r = _upload(client, world, report, PDF, "photo.png")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["content_type"] == "application/pdf" and body["size"] == len(PDF)
    got = client.get(f"{API}/{report}/attachments/{body['id']}", headers=world.headers("staff"))
    assert got.status_code == 200 and got.data == PDF
    assert got.mimetype == "application/pdf"
    assert got.headers["Content-Disposition"] == 'attachment; filename="photo.png"'
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    listed = client.get(f"{API}/{report}/attachments", headers=world.headers("pl")).get_json()
    assert [a["id"] for a in listed] == [body["id"]]


def test_html_named_jpg_is_refused(client, world, report, engine):
    r = _upload(client, world, report, b"<html><script>alert(1)</script></html>", "crack.jpg")
    assert r.status_code == 422 and "file" in r.get_json()["errors"]
    assert rows(engine, "deficiency_attachment") == rows(engine, "deficiency_attachment_file") == 0


def test_ten_mib_and_one_byte_is_413_and_nothing_written(client, world, report, engine):
    r = _upload(client, world, report, PNG + b"\x00" * (MAX_BYTES + 1 - len(PNG)), "big.png")
    assert r.status_code == 413 and r.get_json()["code"] == 413
    r = _upload(client, world, report, PNG * (MAX_BYTES // len(PNG) + 2000), "huge.png")
    assert r.status_code == 413  # past the route's body limit: never read
    assert rows(engine, "deficiency_attachment") == 0
    exactly = _upload(client, world, report, PNG + b"\x00" * (MAX_BYTES - len(PNG)), "max.png")
    assert exactly.status_code == 201
    other = client.post("/api/v1/requests", headers=world.headers("pl"), data=b"x" * (2 << 20),
                        content_type="application/json")
    assert other.status_code == 413  # every other route keeps the 1 MiB limit


def test_at_most_ten_per_report(client, world, report, engine):
    for n in range(10):
        assert _upload(client, world, report, PNG, f"p{n}.png").status_code == 201
    r = _upload(client, world, report, PNG, "p10.png")
    assert r.status_code == 409
    assert rows(engine, "deficiency_attachment") == 10


def test_another_countrys_attachment_is_not_found(client, world, report):
    aid = _upload(client, world, report, PNG, "p.png").get_json()["id"]
    assert client.get(f"{API}/{report}/attachments/{aid}", headers=world.headers("no")).status_code == 404
    assert client.get(f"{API}/{report}/attachments", headers=world.headers("no")).status_code == 404
    assert _upload(client, world, report, PNG, "p.png", who="no").status_code == 404
    other = factories.add_deficiency(world.engine, world)
    assert client.get(f"{API}/{other}/attachments/{aid}", headers=world.headers("pl")).status_code == 404
