"""Service requests: liaisons file them and follow their state; staff accept or decline them."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_smorest.pagination import PaginationParameters
from marshmallow import ValidationError

from models import Country, RequestStatus, ServiceRequest, WeaponSystem
from service.core.auth import EVERYONE, STAFF, access, require_principal
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain import requests
from service.domain.errors import DomainError
from service.schemas.services import (
    DeclineSchema,
    RequestAcceptSchema,
    RequestEditSchema,
    RequestQuerySchema,
    RequestSchema,
)
from service.web import bp
from service.web.filters import labelled
from service.web.forms import (
    Errors,
    given,
    list_order,
    page_number,
    paging,
    refused,
    stale_version,
    text_fields,
)
from service.web.service_forms import DETAILS, pickers, posted_event
from service.web.services import choices, load_query, offered_systems, system_codes

request_schema = RequestSchema()
request_query = RequestQuerySchema()
accept_schema = RequestAcceptSchema()
decline_schema = DeclineSchema()
edit_schema = RequestEditSchema()
PAGE_SIZE = 25
FORM_FIELDS = ("country", "kind", "system_id", "wished_from", "wished_to", "description")
SORT_LABELS = {"filed": _l("date filed"), "wished": _l("wished start"), "kind": _l("kind"),
               "status": _l("state"), "country": _l("country")}


def _render_list(form: dict[str, str], errors: Errors, status: int = 200) -> Any:
    session = get_session()
    query, raw, filter_errors = load_query(request_query, ("status", "country", "sort"))
    order = list_order(query, requests.DEFAULT_SORT, SORT_LABELS)
    page = PaginationParameters(page_number(), PAGE_SIZE)
    rows = paginate(session, requests.requests_query(query), page)
    return render_template(
        "requests.html", rows=rows, form=form, errors=errors, filters=raw, filter_errors=filter_errors,
        choices=choices(session), systems=system_codes(session), offered=offered_systems(session),
        statuses=labelled(RequestStatus), **order,
        **paging(page, PAGE_SIZE)), status


@bp.route("/requests", methods=["GET", "POST"])
@access(*EVERYONE)
def requests_list() -> Any:
    """Requests and their state, newest first; the form to ask for a service."""
    if request.method == "GET":
        return _render_list({}, {})
    form = text_fields(*FORM_FIELDS)
    try:
        data = request_schema.load(given(form))
        filed = requests.file_request(session=get_session(), data=data, actor=require_principal())
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return _render_list(form, no.errors, no.status)
    flash(gettext("Request %(id)s filed; staff will accept or decline it.", id=filed.id), "success")
    return redirect(url_for("web.request_page", request_id=filed.id))


def render_request(request_id: int, errors: Errors | None = None,
                   form: dict[str, Any] | None = None, status: int = 200, opened: str | None = None,
                   conflicts: list[Any] | None = None) -> Any:
    session = get_session()
    row = get_or_404(session, ServiceRequest, request_id)
    country = session.get(Country, row.country_code)
    assert country is not None
    if form is None:
        form = {"timezone": country.timezone, "staff": [], "unit_ids": [], "lead": "",
                "starts_at": f"{row.wished_from.isoformat()}T09:00",
                "ends_at": f"{row.wished_to.isoformat()}T17:00",
                "title": f"{row.kind.replace('_', ' ').capitalize()} requested by {country.name}"}
    planning: dict[str, Any] = {}
    system = session.get(WeaponSystem, row.system_id)
    if not require_principal().is_liaison and row.status == RequestStatus.pending and system is not None:
        planning = pickers(session, country, system, form)  # staff planning data: staff only
    return render_template("request.html", r=row, country=country, systems=system_codes(session),
                           choices=choices(session), form=form, errors=errors or {}, opened=opened,
                           offered=offered_systems(session), system=system,
                           conflicts=conflicts or [], **planning), status


@bp.get("/requests/<int:request_id>")
def request_page(request_id: int) -> Any:
    """One request: what was asked, its state, the decline reason or the scheduled service."""
    return render_request(request_id)


@bp.post("/requests/<int:request_id>/accept")
@access(*STAFF)
def request_accept(request_id: int) -> Any:
    """Accept: schedule the service as a planned event linked to the request."""
    session = get_session()
    row = get_or_404(session, ServiceRequest, request_id)
    stale = stale_version(row, gettext("This request"), "web.request_page", request_id=request_id)
    if stale:
        return stale
    country = session.get(Country, row.country_code)
    form, body = posted_event(DETAILS, country.timezone if country else None)
    if request.form.get("action"):  # "who is free then", or "the first N operational": no save
        return render_request(request_id, None, form, 200, "accept")
    try:
        data = accept_schema.load(body)
        _row, event = requests.accept_request(session=session, request=row, data=data,
                                              actor=require_principal())
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return render_request(request_id, no.errors, form, no.status, "accept", no.conflicts)
    flash(gettext("Request accepted: service %(id)s is planned.", id=event.id), "success")
    return redirect(url_for("web.service_page", event_id=event.id))


@bp.post("/requests/<int:request_id>/decline")
@access(*STAFF)
def request_decline(request_id: int) -> Any:
    """Decline with a reason the liaison will see."""
    session = get_session()
    row = get_or_404(session, ServiceRequest, request_id)
    stale = stale_version(row, gettext("This request"), "web.request_page", request_id=request_id)
    if stale:
        return stale
    form = text_fields("reason")
    try:
        data = decline_schema.load(form)
        requests.decline_request(session=session, request=row, reason=data["reason"],
                                 actor=require_principal())
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return render_request(request_id, no.errors, form, no.status, "decline")
    flash(gettext("Request declined; the liaison sees the reason."), "success")
    return redirect(url_for("web.request_page", request_id=request_id))


@bp.post("/requests/<int:request_id>/edit")
@access(*EVERYONE)
def request_edit(request_id: int) -> Any:
    """Change a pending request until staff decide (the asking side)."""
    session = get_session()
    row = get_or_404(session, ServiceRequest, request_id)
    stale = stale_version(row, gettext("This request"), "web.request_page", request_id=request_id)
    if stale:
        return stale
    form = text_fields(*FORM_FIELDS[1:])
    try:
        data = edit_schema.load(given(form))
        requests.edit_request(session=session, request=row, data=data, actor=require_principal())
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return render_request(request_id, no.errors, form, no.status, "edit")
    flash(gettext("Request changed; staff see the new version."), "success")
    return redirect(url_for("web.request_page", request_id=request_id))


@bp.post("/requests/<int:request_id>/withdraw")
@access(*EVERYONE)
def request_withdraw(request_id: int) -> Any:
    """Withdraw a pending request (the asking side)."""
    session = get_session()
    row = get_or_404(session, ServiceRequest, request_id)
    stale = stale_version(row, gettext("This request"), "web.request_page", request_id=request_id)
    if stale:
        return stale
    try:
        requests.withdraw_request(session=session, request=row, actor=require_principal())
    except DomainError as err:
        no = refused(err)
        return render_request(request_id, no.errors, None, no.status, "withdraw")
    flash(gettext("Request %(id)s withdrawn.", id=request_id), "success")
    return redirect(url_for("web.request_page", request_id=request_id))
