"""PDF rendering: plain data through a Jinja template in `pdf_templates/`, then WeasyPrint.

The renderer takes only plain values (dicts, lists, strings, numbers), never ORM objects, and
its URL fetcher serves nothing but the project's own template assets: any other URL — another
file, the network, a `data:` URI — is refused, so a value that smuggles a reference into a
template embeds nothing and fetches nothing.

A report is written in its data's `language` (SPEC §12: a country's report language, the HQ
report's setting): the templates' `_()` strings come from the same gettext catalogues as the
pages (`service/translations/`), and numbers, months and days are formatted by Babel for that
language. The words are chosen here, from the data, rather than by Flask-Babel's locale of the
moment: `force_locale` is a silent no-op outside an application context, which is where the
monthly job renders, and a report asked for by a Korean-speaking officer must still come out in
its country's language.
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
import os
import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from babel import dates, numbers
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from service.core.config import REPORT_LANGUAGES
from service.core.i18n import catalogue, country_name
from service.domain import satisfaction

TEMPLATES_DIR = (Path(__file__).resolve().parents[2] / "pdf_templates").resolve()
LANGUAGES = REPORT_LANGUAGES
DEFAULT_LANGUAGE = "en"
log = logging.getLogger(__name__)


class FetchRefused(ValueError):
    """The renderer asked for a URL outside the project's template assets."""


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    pages: int


def asset_path(url: str) -> Path:
    """The file under `pdf_templates/` that `url` names; FetchRefused for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise FetchRefused(f"refused {parts.scheme or 'relative'} URL")
    path = Path(unquote(parts.path)).resolve()
    if not path.is_relative_to(TEMPLATES_DIR) or not path.is_file():
        raise FetchRefused("refused a file outside pdf_templates/")
    return path


@cache
def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class TemplateAssetFetcher(URLFetcher):
        """WeasyPrint >= 68 fetcher: `fetch(url, headers)` returns a URLFetcherResponse."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            try:
                path = asset_path(url)
            except FetchRefused:
                log.warning("PDF renderer refused to fetch %.80s", url)
                raise
            ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": ctype})

    return TemplateAssetFetcher


def url_fetcher() -> Any:
    """A fetcher that serves only files under `pdf_templates/` (and never the network)."""
    return _fetcher_class()(timeout=1, allowed_protocols=("file",), allow_redirects=False)


@dataclass(frozen=True)
class Words:
    """One report language: its translated strings and its formats for numbers and dates."""

    language: str

    def gettext(self, message: str, **variables: Any) -> str:
        text = catalogue(self.language).gettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, n: int, **variables: Any) -> str:
        text = catalogue(self.language).ngettext(singular, plural, n)
        return text % {"num": n, **variables}

    def number(self, value: Any, digits: int = 1) -> str:
        if value is None:
            return "–"
        if isinstance(value, int):
            return numbers.format_decimal(value, locale=self.language)
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return numbers.format_decimal(value, pattern, locale=self.language)

    def delta(self, value: Any, unit: str = "") -> str:
        if value is None:
            return "–"
        sign = "+" if value > 0 else ("−" if value < 0 else "±")
        return f"{sign}{self.number(abs(float(value)))}{unit}"

    def month(self, period: str) -> str:
        """"October 2026", "2026년 10월"."""
        year, month = (int(part) for part in period.split("-"))
        return dates.format_skeleton("yMMMM", dt.date(year, month, 1), locale=self.language)

    def day(self, day: dt.date) -> str:
        """"05 Oct 2026", "2026. 10. 5."."""
        return dates.format_date(day, "dd MMM yyyy" if self.language == "en" else "medium",
                                 locale=self.language)

    def long_day(self, day: dt.date) -> str:
        """"5 October 2026", "2026년 10월 5일"."""
        return dates.format_date(day, "long", locale=self.language)


def page_counter(lang: Words) -> Markup:
    """The CSS `content` of "page N of M" in `lang`, its counters where the words put them."""
    text = lang.gettext("page %(page)s of %(pages)s", page="\0page\0", pages="\0pages\0")
    parts = []
    for i, piece in enumerate(text.split("\0")):
        if i % 2:
            parts.append(f"counter({'pages' if piece == 'pages' else 'page'})")
        elif piece:
            quoted = piece.replace("\\", "").replace('"', "").replace("<", "")
            parts.append(f'"{quoted}"')
    return Markup(" ".join(parts))  # noqa: S704 - CSS built above from quoted text and counters


def _korean_day(iso: str | None) -> str:
    """An ISO day as the Korean column of a certificate writes it: "2026년 10월 5일"."""
    return words("ko").long_day(dt.date.fromisoformat(iso)) if iso else "–"


def words(language: str | None) -> Words:
    """The words of `language`, English for a language the reports are not written in."""
    return Words(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def _number(value: Any, digits: int = 1) -> str:
    """A figure as an English report shows it ("1,234", "66.7", "–")."""
    return words(DEFAULT_LANGUAGE).number(value, digits)


@cache
def environment(language: str = DEFAULT_LANGUAGE) -> Environment:
    """The templates' environment for one language: `_()` and the number filters in it."""
    lang = words(language)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(catalogue(lang.language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["num"] = lang.number
    env.filters["delta"] = lang.delta
    env.filters["month"] = lang.month
    env.tests["few_answers"] = satisfaction.few_answers
    env.globals["FEW_ANSWERS"] = satisfaction.FEW_ANSWERS
    env.globals["LANGUAGE"] = lang.language
    env.globals["page_counter"] = lambda: page_counter(lang)
    env.filters["country"] = lambda row: country_name(env.getattr(row, "code"), env.getattr(row, "name"),
                                                      lang.language)
    env.filters["korean_day"] = _korean_day  # the certificate's Korean column
    from service.domain.actions import in_words

    env.filters["in_words"] = lambda text: in_words(text, catalogue(lang.language))
    return env


_HEADING = re.compile(r"(<th[^>]*>)([^<]*)(</th>)")
_HANGUL_WORD = re.compile("[\uac00-\ud7a3]+")


def _whole_words(html: str) -> str:
    """Korean may break between any two syllables, which splits a narrow table heading's words
    ("시정조|치"); WeasyPrint has no `word-break: keep-all`, so each Hangul word of a heading is
    kept whole (`.kw` is nowrap) and headings wrap at their spaces."""
    return _HEADING.sub(lambda m: m[1] + _HANGUL_WORD.sub(r'<span class="kw">\g<0></span>', m[2])
                        + m[3], html)


def render_html(template: str, data: dict[str, Any]) -> str:
    """The HTML of `template` for `data` (autoescaped), in the data's `language`."""
    language = words(data.get("language")).language
    html = environment(language).get_template(template).render(**data)
    return _whole_words(html) if language == "ko" else html


RENDERING = threading.Lock()
_fonts: dict[int, Any] = {}  # process id: its FontConfiguration


def font_config() -> Any:
    """This process's WeasyPrint `FontConfiguration`, made on its first render and passed to
    every later one, as WeasyPrint's API allows, under the `RENDERING` lock. A new
    configuration per render (WeasyPrint's default) loaded fontconfig's system fonts again and
    wrote the bundled Nanum fonts (9 MB) to a fresh temporary folder each time: a third of a
    short report's time. One per process, used by one render at a time: it holds a Pango font
    map and writes its font files on first use, neither meant for two threads at once, and a
    configuration per thread would keep 13 MB for each of a worker's threads. Keyed by process:
    a process forked after rendering (gunicorn's master only imports the application) makes
    its own and keeps, unused, the one it inherited, whose folder is its parent's."""
    config = _fonts.get(os.getpid())
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _fonts[os.getpid()] = FontConfiguration()
    return config


def render_document(template: str, data: dict[str, Any]) -> RenderedPdf:
    """Render `template` with `data`; returns the PDF bytes and the page count."""
    from weasyprint import HTML

    html = HTML(string=render_html(template, data), base_url=TEMPLATES_DIR.as_uri() + "/",
                url_fetcher=url_fetcher())
    with RENDERING:
        document = html.render(font_config=font_config())
        pdf_bytes = document.write_pdf()
    return RenderedPdf(pdf=pdf_bytes, pages=len(document.pages))


def render_pdf(template: str, data: dict[str, Any]) -> bytes:
    """The PDF bytes of `template` rendered with plain `data`."""
    return render_document(template, data).pdf
