"""A country's settings staff change on its overview page: the language of its monthly report."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError

from models import Country
from service.core.auth import STAFF, access
from service.core.db import get_session
from service.core.reads import get_or_404
from service.domain import registry
from service.schemas.registry import CountryUpdateSchema
from service.web import bp
from service.web.forms import flat_errors

language_form = CountryUpdateSchema(only=("report_language",))


@bp.post("/countries/<code>/report-language")
@access(*STAFF)
def country_report_language(code: str) -> Any:
    """Set the country's report language (checked by the API's schema; audited like the API's
    PATCH /countries/<code>): its monthly PDF and its liaisons' messages from then on."""
    session = get_session()
    country = get_or_404(session, Country, code.upper())
    back = url_for("web.country", code=country.code) + "#report-language-title"
    try:
        changes = language_form.load({"report_language": request.form.get("report_language", "")})
    except ValidationError as err:
        reasons = " ".join(flat_errors(err.messages_dict).get("report_language", []))
        flash(gettext("Report language not saved: %(reason)s", reason=reasons), "error")
        return redirect(back, 303)
    registry.update_record(session=session, obj=country, changes=changes)
    flash(gettext("The monthly report of %(country)s will be written in %(language)s.",
                  country=country.name, language=_name(changes["report_language"])), "success")
    return redirect(back, 303)


def _name(language: str) -> str:
    from service.web.filters import LANGUAGE_NAMES

    return dict(LANGUAGE_NAMES)[language]
