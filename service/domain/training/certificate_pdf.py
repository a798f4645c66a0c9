"""A certificate's PDF: plain data through `pdf_templates/certificate.html` (English and Korean)."""

from __future__ import annotations

from typing import Any

from service.domain import pdf
from service.domain.errors import Unavailable


def render(data: dict[str, Any]) -> bytes:
    """The PDF bytes of one certificate (`certificates.pdf_data`)."""
    plain = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}
    try:
        return pdf.render_pdf("certificate.html", {"c": plain})
    except pdf.FetchRefused as exc:  # a template asset missing: nothing a retry would fix soon
        raise Unavailable("The certificate could not be rendered") from exc
