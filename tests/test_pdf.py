"""The PDF renderer: plain data in, PDF out, and nothing fetched beyond pdf_templates/."""

from __future__ import annotations

import re
import socket
import struct
import zlib
from io import BytesIO

import pytest
from pypdf import PdfReader

from service.domain import pdf


def _png() -> bytes:
    """A valid 1x1 PNG, so a successful fetch would embed an image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def _images(data: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(BytesIO(data)).pages)


@pytest.fixture
def listener():
    """A local TCP port that records whether anything connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    yield server
    server.close()


def _connected(server: socket.socket) -> bool:
    try:
        conn, _ = server.accept()
    except TimeoutError:
        return False
    conn.close()
    return True


def _render_string(html: str, fetcher: object) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=pdf.TEMPLATES_DIR.as_uri() + "/", url_fetcher=fetcher).write_pdf()


def test_a_template_pointing_outside_pdf_templates_embeds_and_fetches_nothing(tmp_path, listener):
    secret = tmp_path / "secret.png"
    secret.write_bytes(_png())
    port = listener.getsockname()[1]
    html = (f'<img src="{secret.as_uri()}"><img src="http://127.0.0.1:{port}/x.png">'
            f'<img src="http://127.0.0.1:9/x.png"><img src="https://127.0.0.1:{port}/y.png">'
            f'<link rel="stylesheet" href="http://127.0.0.1:{port}/s.css">'
            f'<img src="file:///etc/hostname"><img src="../pdf_templates/../README.md">'
            f'<img src="data:image/png;base64,iVBORw0KGgo=">')
    # Control: WeasyPrint's own fetcher would embed the local file.
    from weasyprint.urls import URLFetcher

    assert _images(_render_string(f'<img src="{secret.as_uri()}">', URLFetcher())) == 1
    out = _render_string(html, pdf.url_fetcher())
    assert _images(out) == 0
    assert not _connected(listener)


def test_the_fetcher_serves_only_files_inside_pdf_templates(tmp_path):
    css = (pdf.TEMPLATES_DIR / "report.css").as_uri()
    assert pdf.asset_path(css) == pdf.TEMPLATES_DIR / "report.css"
    for url in (f"{pdf.TEMPLATES_DIR.as_uri()}/../README.md", "file:///etc/hostname",
                (tmp_path / "x").as_uri(), "http://127.0.0.1:9/x.png", "https://example.org/a.css",
                "data:text/css,body{}", "ftp://127.0.0.1/x", f"file://evil.example{pdf.TEMPLATES_DIR}/report.css",
                f"{pdf.TEMPLATES_DIR.as_uri()}/missing.css"):
        with pytest.raises(pdf.FetchRefused):
            pdf.asset_path(url)
        with pytest.raises(pdf.FetchRefused):
            pdf.url_fetcher().fetch(url)
    response = pdf.url_fetcher().fetch(css)
    assert response.content_type == "text/css" and b"@page" in response.read()


def test_data_values_are_escaped_and_cannot_reach_files_or_the_network(listener):
    port = listener.getsockname()[1]
    evil = f'<img src="file:///etc/hostname"><img src="http://127.0.0.1:{port}/x.png">'
    data = {"marking": evil, "revision": 1, "period": "2026-10", "period_label": evil,
            "countries": [], "attention": [], "attention_rule": evil, "kinds": [evil],
            "generated_at": evil, "timezone": "UTC",
            "totals": {"by_kind": [], "trainees": 0, "csat": None, "nps": None,
                       "response_rate": None, "overdue": 0, "responses": 0, "surveys_sent": 0,
                       "critical_overdue": 0, "units_down": 0, "reports_opened": 0,
                       "reports_resolved": 0, "reports_overdue": 0},
            "trend_svg": "", "previous_period": "2026-09", "as_of": "2026-10-31"}
    html = pdf.render_html("hq_monthly.html", data)
    assert "<img" not in html and "&lt;img src=&#34;file:///etc/hostname&#34;&gt;" in html
    rendered = pdf.render_document("hq_monthly.html", data)
    assert _images(rendered.pdf) == 0 and not _connected(listener)
    assert 'src="file:///etc/hostname"' in PdfReader(BytesIO(rendered.pdf)).pages[0].extract_text()


def _rows_per_page(body: str) -> list[tuple[int, int]]:
    """(table rows, table headers) on each page of `body` laid out with report.css."""
    from weasyprint import HTML

    html = f'<link rel="stylesheet" href="report.css">{body}'
    out = HTML(string=html, base_url=pdf.TEMPLATES_DIR.as_uri() + "/",
               url_fetcher=pdf.url_fetcher()).write_pdf()
    texts = [page.extract_text() for page in PdfReader(BytesIO(out)).pages]
    return [(len(re.findall(r"Row\d", t)), t.count("HEADING")) for t in texts]


def _table(rows: int) -> str:
    return ("<table><thead><tr><th>Heading</th></tr></thead><tbody>"
            + "".join(f"<tr><td>Row{i}</td></tr>" for i in range(rows)) + "</tbody></table>")


def test_no_table_row_is_left_alone_on_a_page_and_the_header_repeats():
    # One document, one page per case: a filler pushes a three-row table across the page end
    # at every possible row; whatever the break, no page holds a single row of it.
    cases = "".join(f'<section style="break-before: page"><div style="height: {h / 2}mm"></div>'
                    f"{_table(3)}</section>" for h in range(400, 500, 5))
    pages = _rows_per_page(cases)
    assert any(rows == 0 for rows, _ in pages)  # some cases did reach the page end
    assert all(rows in (0, 3) for rows, _ in pages), pages
    # A table that spans pages repeats its header and still leaves no row alone.
    long = _rows_per_page(f'<div style="height: 200mm"></div>{_table(40)}')
    assert len(long) >= 2 and all(rows != 1 and headers == 1 for rows, headers in long), long


def _hq_data(language: str) -> dict[str, object]:
    return {"language": language, "marking": "UNCLASSIFIED", "revision": 1, "period": "2026-10",
            "period_label": "2026-10", "countries": [], "attention": [], "attention_rule": "-",
            "kinds": [], "generated_at": "2026-11-01 06:00", "timezone": "UTC",
            "totals": {"by_kind": [], "trainees": 0, "csat": None, "nps": None,
                       "response_rate": None, "overdue": 0, "responses": 0, "surveys_sent": 0,
                       "critical_overdue": 0, "units_down": 0, "reports_opened": 0,
                       "reports_resolved": 0, "reports_overdue": 0},
            "trend_svg": "", "previous_period": "2026-09", "as_of": "2026-10-31"}


def test_reports_rendered_side_by_side_in_one_process_each_come_out_whole():
    """A gthread worker's threads ask for PDFs at once and share the process's one font
    configuration, a render at a time: every PDF has all its text, in Korean and in English,
    whoever rendered before it and alongside it."""
    from concurrent.futures import ThreadPoolExecutor

    def text(language: str) -> str:
        rendered = pdf.render_document("hq_monthly.html", _hq_data(language))
        return "".join(page.extract_text() for page in PdfReader(BytesIO(rendered.pdf)).pages)

    alone = {language: text(language) for language in ("ko", "en")}
    assert "보고서" in alone["ko"] and "report" in alone["en"].lower()
    with ThreadPoolExecutor(4) as pool:
        languages = ["ko", "en"] * 2
        texts = list(pool.map(text, languages))
    assert texts == [alone[language] for language in languages]
