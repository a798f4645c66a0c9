"""Service bulletin pages: the list (a liaison: those released to their country), staff's form to
publish and to revise, and the bulletin's page — staff release it to countries, withdraw a
release and follow each country's acknowledgement and compliance; a liaison acknowledges it
and records each of their units' compliance. All through the API's schemas and domain."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_smorest.pagination import PaginationParameters
from marshmallow import ValidationError

from models import BulletinKind, ComplianceStatus, Role, ServiceBulletin, utcnow
from service.core.auth import STAFF, access, require_principal
from service.core.db import get_session
from service.core.limits import body_limit
from service.core.reads import get_or_404, paginate
from service.domain.bulletins import attachments, compliance, publishing, queries, releases
from service.domain.errors import DomainError
from service.domain.uploads import MAX_BYTES
from service.schemas.bulletins import BulletinCreateSchema, BulletinUpdateSchema, ComplianceInSchema
from service.web import bp
from service.web.filters import labelled
from service.web.forms import given, message, page_number, paging, refused, stale_version, text_fields, whole
from service.web.services import choices, system_codes, time_zones

create_schema = BulletinCreateSchema()
update_schema = BulletinUpdateSchema()
compliance_schema = ComplianceInSchema()
PAGE_SIZE = 25
FORM_FIELDS = ("system_id", "kind", "title", "body", "compliance_due_days")
PAGE_UPLOAD_LIMIT = attachments.MAX_FILES * MAX_BYTES + 1024 * 1024


def _ranges(text: str) -> list[dict[str, str]]:
    """One range a line, `FIRST .. LAST` (a lone serial is a range of one)."""
    out = []
    for line in text.splitlines():
        if line.strip():
            first, _, last = line.partition("..")
            out.append({"from": first.strip(), "to": (last or first).strip()})
    return out


def _ranges_text(ranges: list[dict[str, str]]) -> str:
    return "\n".join(r["from"] if r["from"] == r["to"] else f"{r['from']} .. {r['to']}" for r in ranges)


def _form_body(form: dict[str, Any]) -> dict[str, Any]:
    body = given({k: v for k, v in form.items() if k != "serial_ranges"})
    for key in ("system_id", "compliance_due_days"):
        if key in body:
            body[key] = whole(body[key]) if whole(body[key]) is not None else body[key]
    body["serial_ranges"] = _ranges(form.get("serial_ranges", ""))
    return body


@bp.get("/bulletins")
def bulletins_list() -> Any:
    """Bulletins, newest first (a liaison: those released to their country)."""
    session = get_session()
    page = PaginationParameters(page_number(), PAGE_SIZE)
    query: dict[str, Any] = {}
    if kind := request.args.get("kind", ""):
        query["kind"] = kind if kind in BulletinKind.__members__ else "-"
    found = paginate(session, queries.list_statement(query), page)
    rows = queries.with_details(session=session, bulletins=found)
    return render_template("bulletins.html", rows=rows, systems=system_codes(session),
                           zones=time_zones(session), kinds=labelled(BulletinKind), kind=kind, now=utcnow(),
                           **paging(page, PAGE_SIZE))


def _render_form(form: dict[str, Any], errors: dict[str, list[str]],
                 bulletin: ServiceBulletin | None = None, status: int = 200) -> Any:
    return render_template("bulletin_form.html", form=form, errors=errors, bulletin=bulletin,
                           kinds=labelled(BulletinKind), choices=choices(get_session())), status


@bp.route("/bulletins/new", methods=["GET", "POST"])
@access(*STAFF)
def bulletin_new() -> Any:
    """Staff publish a bulletin (then release it from its page)."""
    if request.method == "GET":
        return _render_form({"compliance_due_days": "30"}, {})
    form = text_fields(*FORM_FIELDS, "serial_ranges")
    try:
        data = create_schema.load(_form_body(form))
        bulletin = publishing.create_bulletin(session=get_session(), data=data, actor=require_principal())
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return _render_form(form, no.errors, status=no.status)
    flash(_("Bulletin %(number)s published; release it to the countries it concerns.",
            number=bulletin.number), "success")
    return redirect(url_for("web.bulletin_page", bulletin_id=bulletin.id))


@bp.route("/bulletins/<int:bulletin_id>/edit", methods=["GET", "POST"])
@access(*STAFF)
def bulletin_edit(bulletin_id: int) -> Any:
    """Staff revise a bulletin: every released country is asked to acknowledge it again."""
    session = get_session()
    bulletin = get_or_404(session, ServiceBulletin, bulletin_id)
    if request.method == "GET":
        ranges = publishing.serial_ranges(session=session, bulletin_ids=[bulletin_id])[bulletin_id]
        form = {k: str(getattr(bulletin, k)) for k in FORM_FIELDS} | {"serial_ranges": _ranges_text(ranges)}
        return _render_form(form, {}, bulletin)
    stale = stale_version(bulletin, _("This bulletin"), "web.bulletin_edit", bulletin_id=bulletin_id)
    if stale:
        return stale
    form = text_fields(*FORM_FIELDS[1:], "serial_ranges", "revision_note")
    try:
        changes = update_schema.load(_form_body(form))
        publishing.revise_bulletin(session=session, bulletin=bulletin, changes=changes,
                                   actor=require_principal())
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return _render_form(form, no.errors, bulletin, no.status)
    flash(_("Bulletin %(number)s is now revision %(revision)s; the countries are asked to acknowledge it "
            "again.", number=bulletin.number, revision=bulletin.revision), "success")
    return redirect(url_for("web.bulletin_page", bulletin_id=bulletin_id))


def _render(bulletin_id: int, errors: dict[str, list[str]] | None = None,
            unit_errors: dict[int, Any] | None = None, status: int = 200) -> Any:
    session = get_session()
    principal = require_principal()
    bulletin = get_or_404(session, ServiceBulletin, bulletin_id)
    now = utcnow()
    out = queries.with_details(session=session, bulletins=[bulletin], now=now)[0]
    zones = time_zones(session)
    mine = next((r for r in out.releases if r["country"] == principal.country_code), None)
    return render_template(
        "bulletin.html", b=out, now=now, errors=errors or {}, unit_errors=unit_errors or {},
        systems=system_codes(session), zones=zones, tz=zones.get(principal.country_code or ""), mine=mine,
        files=attachments.listing(session=session, bulletin=bulletin),
        units=compliance.units(session=session, bulletin=bulletin, now=now),
        acks=compliance.acknowledgements(session=session, bulletin=bulletin),
        figures=compliance.figures(session=session, bulletin_id=bulletin_id, now=now),
        countries=choices(session)["countries"],
        statuses=labelled(ComplianceStatus),
        tracks=bulletin.kind in ("safety", "mandatory")), status


@bp.get("/bulletins/<int:bulletin_id>")
def bulletin_page(bulletin_id: int) -> Any:
    """One bulletin for staff (releases, figures) or for a liaison of a country it is released to."""
    return _render(bulletin_id)


@bp.post("/bulletins/<int:bulletin_id>/release")
@access(*STAFF)
def bulletin_release(bulletin_id: int) -> Any:
    """Release to the countries ticked, or to every country with an applicable unit."""
    session = get_session()
    bulletin = get_or_404(session, ServiceBulletin, bulletin_id)
    countries = None if request.form.get("default") else [c for c in request.form.getlist("countries") if c]
    if countries == []:
        return _render(bulletin_id, {"countries": [_("Tick at least one country.")]}, status=422)
    try:
        releases.release(session=session, bulletin=bulletin, countries=countries, actor=require_principal())
    except DomainError as err:
        no = refused(err)
        return _render(bulletin_id, no.errors, status=no.status)
    flash(_("Bulletin %(number)s released.", number=bulletin.number), "success")
    return redirect(url_for("web.bulletin_page", bulletin_id=bulletin_id) + "#releases")


@bp.post("/bulletins/<int:bulletin_id>/withdraw")
@access(*STAFF)
def bulletin_withdraw(bulletin_id: int) -> Any:
    """Withdraw the release to one country."""
    session = get_session()
    bulletin = get_or_404(session, ServiceBulletin, bulletin_id)
    code = request.form.get("country", "")
    try:
        releases.withdraw(session=session, bulletin=bulletin, country_code=code, actor=require_principal())
    except DomainError as err:
        no = refused(err)
        return _render(bulletin_id, no.errors, status=no.status)
    flash(_("Bulletin %(number)s withdrawn from %(country)s.", number=bulletin.number, country=code),
          "success")
    return redirect(url_for("web.bulletin_page", bulletin_id=bulletin_id) + "#releases")


@bp.post("/bulletins/<int:bulletin_id>/acknowledge")
@access(Role.liaison)
def bulletin_acknowledge(bulletin_id: int) -> Any:
    """The liaison acknowledges the current revision for their country."""
    session = get_session()
    bulletin = get_or_404(session, ServiceBulletin, bulletin_id)
    try:
        compliance.acknowledge(session=session, bulletin=bulletin, actor=require_principal())
    except DomainError as err:
        no = refused(err)
        return _render(bulletin_id, no.errors, status=no.status)
    flash(_("Revision %(revision)s of %(number)s acknowledged.", revision=bulletin.revision,
            number=bulletin.number), "success")
    return redirect(url_for("web.bulletin_page", bulletin_id=bulletin_id))


@bp.post("/bulletins/<int:bulletin_id>/compliance/<int:unit_id>")
@access(Role.liaison)
def bulletin_comply(bulletin_id: int, unit_id: int) -> Any:
    """Record one of the liaison's units: done (with the date), not applicable (why), pending."""
    session = get_session()
    bulletin = get_or_404(session, ServiceBulletin, bulletin_id)
    row = compliance.current(session=session, bulletin=bulletin, unit_id=unit_id)
    if row is not None and request.form.get("version") != str(row.version):
        flash(_("This unit's compliance was changed meanwhile; nothing was saved. Check it below."), "error")
        return redirect(url_for("web.bulletin_page", bulletin_id=bulletin_id) + "#compliance")
    try:
        data = compliance_schema.load(given(text_fields("status", "done_on", "reason")))
        compliance.record(session=session, bulletin=bulletin, unit_id=unit_id, data=data,
                          actor=require_principal())
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return _render(bulletin_id, unit_errors={unit_id: no.errors}, status=no.status)
    flash(_("Compliance recorded."), "success")
    return redirect(url_for("web.bulletin_page", bulletin_id=bulletin_id) + "#compliance")


@bp.post("/bulletins/<int:bulletin_id>/attachments")
@access(*STAFF)
@body_limit(PAGE_UPLOAD_LIMIT)
def bulletin_upload(bulletin_id: int) -> Any:
    """Attach drawings or PDFs; one refused is named, the others are kept."""
    session = get_session()
    bulletin = get_or_404(session, ServiceBulletin, bulletin_id)
    for upload in request.files.getlist("files"):
        if not upload or not upload.filename:
            continue
        try:
            attachments.attach(session=session, bulletin=bulletin, actor=require_principal(),
                               filename=upload.filename, data=upload.read())
        except DomainError as err:
            session.rollback()
            flash(_("%(file)s was not attached: %(reason)s", file=upload.filename,
                    reason=message(err.message)),
                  "error")
    return redirect(url_for("web.bulletin_page", bulletin_id=bulletin_id) + "#attachments")
