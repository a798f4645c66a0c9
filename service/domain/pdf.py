"""PDF rendering: plain data through a Jinja template in `pdf_templates/`, then WeasyPrint.

The renderer takes only plain values (dicts, lists, strings, numbers), never ORM objects, and
its URL fetcher serves nothing but the project's own template assets: any other URL — another
file, the network, a `data:` URI — is refused, so a value that smuggles a reference into a
template embeds nothing and fetches nothing.
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from service.domain import satisfaction

TEMPLATES_DIR = (Path(__file__).resolve().parents[2] / "pdf_templates").resolve()
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


def _number(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _delta(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}{abs(value):.1f}{unit}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _number
    env.filters["delta"] = _delta
    env.tests["few_answers"] = satisfaction.few_answers
    env.globals["FEW_ANSWERS"] = satisfaction.FEW_ANSWERS
    return env


def render_html(template: str, data: dict[str, Any]) -> str:
    """The HTML of `template` for `data` (autoescaped)."""
    return environment().get_template(template).render(**data)


def render_document(template: str, data: dict[str, Any]) -> RenderedPdf:
    """Render `template` with `data`; returns the PDF bytes and the page count."""
    from weasyprint import HTML

    html = HTML(string=render_html(template, data), base_url=TEMPLATES_DIR.as_uri() + "/",
                url_fetcher=url_fetcher())
    document = html.render()
    return RenderedPdf(pdf=document.write_pdf(), pages=len(document.pages))


def render_pdf(template: str, data: dict[str, Any]) -> bytes:
    """The PDF bytes of `template` rendered with plain `data`."""
    return render_document(template, data).pdf
