"""Monthly reports: the list with PDF links, and the staff button that generates one now."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_smorest.pagination import PaginationParameters
from marshmallow import ValidationError

from models import ReportKind
from service.core.auth import STAFF, access, require_principal
from service.core.db import get_engine, get_session
from service.core.reads import paginate
from service.domain import periods, reports
from service.domain.errors import DomainError
from service.schemas.reports import ReportCreateSchema, ReportQuerySchema
from service.web import bp
from service.web.filters import label
from service.web.forms import (
    Errors,
    given,
    list_order,
    page_number,
    paging,
    refused,
    text_fields,
)
from service.web.services import choices, load_query, time_zones

report_query = ReportQuerySchema()
report_create = ReportCreateSchema()
PAGE_SIZE = 25
SORT_LABELS = {"period": _l("month"), "kind": _l("kind"), "country": _l("country"),
               "status": _l("state"), "generated": _l("generation time")}


def _render(form: dict[str, str], errors: Errors, status: int = 200) -> Any:
    session = get_session()
    query, raw, filter_errors = load_query(report_query, ("country", "period", "kind", "sort"))
    order = list_order(query, reports.DEFAULT_SORT, SORT_LABELS)
    page = PaginationParameters(page_number(), PAGE_SIZE)
    rows = paginate(session, reports.reports_query(query), page)
    return render_template(
        "reports.html", rows=rows, filters=raw, filter_errors=filter_errors, form=form, errors=errors,
        choices=choices(session), kinds=[(k.value, label(k.value)) for k in ReportKind],
        zones=time_zones(session),
        last_month=periods.shift(periods.current(), -1), **order, **paging(page, PAGE_SIZE)), status


@bp.get("/reports")
def reports_list() -> Any:
    """Reports, newest period first, with their PDF (a liaison: their country's only)."""
    return _render({}, {})


@bp.post("/reports")
@access(*STAFF)
def reports_generate() -> Any:
    """Generate a report now, as `POST /api/v1/reports` does (no country: the HQ report)."""
    form = text_fields("period", "country")
    principal = require_principal()
    try:
        data = report_create.load(given(form))
        country = data.get("country")
        kind = ReportKind.country_monthly if country else ReportKind.hq_monthly
        get_session().rollback()  # the report is written in its own locked transaction
        report = reports.generate_report(
            engine=get_engine(current_app), kind=kind.value, period=data["period"],
            country_code=country, actor=(principal.user_id, principal.email),
            options=reports.Options.from_config(current_app.config))
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return _render(form, no.errors, no.status)
    flash(gettext("Report %(scope)s %(period)s generated (revision %(revision)s, %(pages)s pages).",
                  scope=report.scope_key, period=report.period, revision=report.revision,
                  pages=report.pages), "success")
    return redirect(url_for("web.reports_list"))
