"""People trained and what each contract promised (SPEC §11): the roster, nominations from a
service's page, certificates and their public verification, a contract's support package."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_smorest.pagination import PaginationParameters
from marshmallow import ValidationError

from models import (
    Certificate,
    CertificateStatus,
    Contract,
    Delivery,
    LineKind,
    Nomination,
    ServiceEvent,
    Trainee,
)
from service.core.auth import EVERYONE, STAFF, access, require_principal
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain.errors import DomainError, NotFound
from service.domain.packages import deliveries, lines, planning
from service.domain.training import certificates, nominations, qualified, refresher, trainees
from service.schemas.packages import (
    ConfirmSchema,
    DeliveryAnswerSchema,
    DeliveryCreateSchema,
    DisputeSchema,
    LineCreateSchema,
    PlanSchema,
)
from service.schemas.training import (
    AnonymiseSchema,
    CertificateQuerySchema,
    NominateSchema,
    TraineeCreateSchema,
    TraineeQuerySchema,
    VerifyQuerySchema,
)
from service.web import bp
from service.web.filters import labelled
from service.web.forms import Errors, given, page_number, paging, refused, stale_version, text_fields
from service.web.services import choices, load_query, system_codes

PAGE_SIZE = 25
trainee_schema, trainee_query = TraineeCreateSchema(), TraineeQuerySchema()
anonymise_schema, nominate_schema = AnonymiseSchema(), NominateSchema()
certificate_query, verify_query = CertificateQuerySchema(), VerifyQuerySchema()
line_schema, delivery_schema = LineCreateSchema(), DeliveryCreateSchema()
dispute_schema, answer_schema = DisputeSchema(), DeliveryAnswerSchema()
plan_schema, confirm_schema = PlanSchema(), ConfirmSchema()
TRAINEE_FIELDS = ("country", "name", "rank", "organisation", "service_number")


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# --- the roster ---------------------------------------------------------------------------------


def _render_trainees(form: dict[str, str], errors: Errors, status: int = 200) -> Any:
    session = get_session()
    query, raw, filter_errors = load_query(trainee_query, ("country", "q"))
    page = PaginationParameters(page_number(), PAGE_SIZE)
    rows = paginate(session, trainees.trainees_query(query), page)
    return render_template("trainees.html", rows=rows, form=form, errors=errors, filters=raw,
                           filter_errors=filter_errors, choices=choices(session),
                           **paging(page, PAGE_SIZE)), status


@bp.route("/trainees", methods=["GET", "POST"])
@access(*EVERYONE)
def trainees_list() -> Any:
    """The roster, by name; the form to add a trainee (a liaison: to their own country's)."""
    if request.method == "GET":
        return _render_trainees({}, {})
    form = text_fields(*TRAINEE_FIELDS)
    try:
        data = trainee_schema.load(given(form))
        added = trainees.add_trainee(session=get_session(), data=data, actor=require_principal())
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return _render_trainees(form, no.errors, no.status)
    flash(gettext("%(name)s is on the roster.", name=added.name), "success")
    return redirect(url_for("web.trainees_list"))


@bp.post("/trainees/<int:trainee_id>/anonymise")
@access(*STAFF)
def trainee_anonymise(trainee_id: int) -> Any:
    """Anonymise a trainee on request (staff): the name goes, the history stays."""
    session = get_session()
    trainee = get_or_404(session, Trainee, trainee_id)
    stale = stale_version(trainee, gettext("This trainee"), "web.trainees_list")
    if stale:
        return stale
    try:
        trainees.anonymise(session=session, trainee=trainee,
                           **anonymise_schema.load(given(text_fields("reason"))))
    except (ValidationError, DomainError) as err:
        flash(" ".join(m for msgs in refused(err).errors.values() for m in msgs), "error")
        return redirect(url_for("web.trainees_list"))
    flash(gettext("The trainee was anonymised; their results and certificates are kept."), "success")
    return redirect(url_for("web.trainees_list"))


# --- nominations, from the service's page ---------------------------------------------------------


@bp.post("/services/<int:event_id>/nominations")
@access(*EVERYONE)
def nominate(event_id: int) -> Any:
    """Take a seat on the service for a trainee of its country."""
    session = get_session()
    event = get_or_404(session, ServiceEvent, event_id)
    try:
        data = nominate_schema.load(given(text_fields("trainee_id")))
        taken = nominations.nominate(session=session, event=event, trainee_id=data["trainee_id"],
                                     actor=require_principal())
    except (ValidationError, DomainError) as err:
        from service.web.services import render_service

        no = refused(err)
        return render_service(event_id, no.errors, {}, no.status)
    flash(gettext("%(name)s is nominated.", name=taken["name"]), "success")
    return redirect(url_for("web.service_page", event_id=event_id))


@bp.post("/services/<int:event_id>/nominations/<int:nomination_id>/withdraw")
@access(*EVERYONE)
def nomination_withdraw(event_id: int, nomination_id: int) -> Any:
    """Give a seat back before the service starts."""
    session = get_session()
    event = get_or_404(session, ServiceEvent, event_id)
    nomination = get_or_404(session, Nomination, nomination_id)
    try:
        nominations.withdraw(session=session, event=event, nomination=nomination)
    except DomainError as err:
        flash(" ".join(m for msgs in refused(err).errors.values() for m in msgs), "error")
    else:
        flash(gettext("The nomination was withdrawn."), "success")
    return redirect(url_for("web.service_page", event_id=event_id))


# --- certificates ---------------------------------------------------------------------------------


@bp.get("/certificates")
def certificates_list() -> Any:
    """Certificates, soonest expiry first, and the people qualified per system."""
    session, today = get_session(), _today()
    query, raw, filter_errors = load_query(certificate_query, ("country", "system", "status", "trainee"))
    page = PaginationParameters(page_number(), PAGE_SIZE)
    rows = certificates.described(session=session, today=today, certificates=paginate(
        session, certificates.certificates_query(query, today), page))
    return render_template("certificates.html", rows=rows, filters=raw, filter_errors=filter_errors,
                           choices=choices(session), systems=system_codes(session),
                           statuses=labelled(CertificateStatus),
                           qualified=qualified.qualified(session=session, today=today,
                                                         country=query.get("country"),
                                                         system=query.get("system")),
                           **paging(page, PAGE_SIZE))


@bp.post("/certificates/<int:certificate_id>/refresher")
@access(*EVERYONE)
def certificate_refresher(certificate_id: int) -> Any:
    """Ask for a refresher of an expiring certificate's course in one step."""
    session = get_session()
    cert = get_or_404(session, Certificate, certificate_id)
    try:
        filed = refresher.request_refresher(session=session, certificate=cert, actor=require_principal(),
                                            description="", today=_today())
    except DomainError as err:
        flash(" ".join(m for msgs in refused(err).errors.values() for m in msgs), "error")
        return redirect(url_for("web.certificates_list"))
    flash(gettext("Request %(id)s filed for a refresher.", id=filed.id), "success")
    return redirect(url_for("web.request_page", request_id=filed.id))


@bp.get("/verify/<string:number>")
@access(public=True)
def certificate_verify(number: str) -> Any:
    """Anyone holding a certificate's number and check code sees its holder, course, validity."""
    code = request.args.get("code", "").strip()
    found = None
    if code:
        try:
            found = certificates.verify(session=get_session(), number=number,
                                        **verify_query.load({"code": code}), today=_today())
        except (ValidationError, NotFound):
            found = None
    status = 200 if found or not code else 404
    return render_template("certificate_verify.html", number=number[:40], code=code[:64], found=found,
                           asked=bool(code)), status


# --- a contract's support package -------------------------------------------------------------------


def render_package(contract_id: int, errors: Errors | None = None, form: dict[str, str] | None = None,
                   status: int = 200, proposals: list[dict[str, Any]] | None = None) -> Any:
    session = get_session()
    contract = get_or_404(session, Contract, contract_id)
    states = lines.line_states(session=session, today=_today(), contract_id=contract_id)
    by_line: dict[int, list[Delivery]] = {}
    for d in deliveries.deliveries_of(session=session, line_ids=[s["id"] for s in states]):
        by_line.setdefault(d.line_id, []).append(d)
    summary = next(iter(lines.summary(session=session, today=_today(), country=contract.country_code,
                                      contract_id=contract_id)), None)
    return render_template("package.html", contract=contract, lines=states, deliveries=by_line,
                           summary=summary, systems=system_codes(session), errors=errors or {},
                           form=form or {}, proposals=proposals, staff_options=choices(session)["staff"],
                           kinds=labelled(LineKind)), status


@bp.get("/contracts/<int:contract_id>/package")
def contract_package(contract_id: int) -> Any:
    """A contract's support package: lines, delivered against promised, overdue, deliveries."""
    return render_package(contract_id)


@bp.post("/contracts/<int:contract_id>/package")
@access(*STAFF)
def package_line_add(contract_id: int) -> Any:
    """Add a line to the package (staff)."""
    session = get_session()
    contract = get_or_404(session, Contract, contract_id)
    form = text_fields("kind", "system_id", "description", "language", "revision", "quantity", "due_on")
    try:
        lines.add_line(session=session, contract=contract, data=line_schema.load(given(form)))
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return render_package(contract_id, no.errors, form, no.status)
    flash(gettext("Line added."), "success")
    return redirect(url_for("web.contract_package", contract_id=contract_id))


@bp.post("/contracts/<int:contract_id>/package/<int:line_id>/deliveries")
@access(*STAFF)
def delivery_add(contract_id: int, line_id: int) -> Any:
    """Record goods delivered against a line (staff)."""
    from models import PackageLine

    session = get_session()
    get_or_404(session, Contract, contract_id)
    line = get_or_404(session, PackageLine, line_id)
    form = text_fields("quantity", "delivered_on", "note")
    try:
        if line.contract_id != contract_id:
            raise NotFound(f"PackageLine {line_id} not found")
        deliveries.record_goods(session=session, line=line, data=delivery_schema.load(given(form)),
                                actor=require_principal())
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return render_package(contract_id, {f"line-{line_id}": [m for ms in no.errors.values() for m in ms]},
                              form, no.status)
    flash(gettext("Delivery recorded; the liaison is asked to accept it."), "success")
    return redirect(url_for("web.contract_package", contract_id=contract_id))


@bp.post("/deliveries/<int:delivery_id>/<string:move>")
@access(*EVERYONE)
def delivery_decide(delivery_id: int, move: str) -> Any:
    """The liaison accepts or disputes a delivery; staff answer a dispute."""
    from models import PackageLine

    session = get_session()
    delivery = get_or_404(session, Delivery, delivery_id)
    line = get_or_404(session, PackageLine, delivery.line_id)
    back = redirect(url_for("web.contract_package", contract_id=line.contract_id))
    if move not in ("accept", "dispute", "answer"):
        raise NotFound("No such move")
    stale = stale_version(delivery, gettext("This delivery"), "web.contract_package",
                          contract_id=line.contract_id)
    if stale:
        return stale
    actor = require_principal()
    try:
        if move == "accept":
            deliveries.accept(session=session, delivery=delivery, actor=actor)
        elif move == "dispute":
            deliveries.dispute(session=session, delivery=delivery, actor=actor,
                               **dispute_schema.load(given(text_fields("reason"))))
        else:
            if actor.is_liaison:
                raise NotFound("No such move")
            deliveries.answer(session=session, delivery=delivery, actor=actor,
                              **answer_schema.load(given(text_fields("answer"))))
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return render_package(line.contract_id, {f"delivery-{delivery_id}": [
            m for ms in no.errors.values() for m in ms]}, {}, no.status)
    flash({"accept": gettext("Delivery accepted."), "dispute": gettext("Dispute sent to staff."),
           "answer": gettext("Answer sent to the liaison.")}[move], "success")
    return back


PROPOSAL_FIELDS = ("line_id", "kind", "system_id", "title", "starts_at", "ends_at", "timezone", "capacity")


@bp.post("/contracts/<int:contract_id>/plan")
@access(*STAFF)
def package_plan(contract_id: int) -> Any:
    """Propose the services the remaining service lines need, where the chosen staff are free
    (nothing is written)."""
    session = get_session()
    contract = get_or_404(session, Contract, contract_id)
    form = text_fields("days", "lead_days", "seats")
    try:
        data = plan_schema.load({**given(form), "staff": request.form.getlist("staff")})
        proposals = planning.propose(session=session, contract=contract, staff_ids=data["staff"],
                                     days=data["days"], lead_days=data["lead_days"], seats=data["seats"])
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return render_package(contract_id, {f"plan-{k}": v for k, v in no.errors.items()}, form, no.status)
    if not proposals:
        flash(gettext("Every service line is delivered or scheduled: nothing to propose."), "success")
    return render_package(contract_id, proposals=[
        {**p, "staff_ids": ",".join(str(s["id"]) for s in p["staff"])} for p in proposals])


@bp.post("/contracts/<int:contract_id>/plan/confirm")
@access(*STAFF)
def package_plan_confirm(contract_id: int) -> Any:
    """Create the ticked proposals, all or none (bookings re-checked)."""
    session = get_session()
    contract = get_or_404(session, Contract, contract_id)
    chosen = []
    for index in request.form.getlist("take"):
        item = {k: request.form.get(f"{k}-{index}", "") for k in PROPOSAL_FIELDS}
        ids = [i for i in request.form.get(f"staff-{index}", "").split(",") if i]
        chosen.append({**given(item), "staff": [{"id": i, "is_lead": n == 0} for n, i in enumerate(ids)]})
    try:
        data = confirm_schema.load({"services": chosen})
        created = planning.confirm(session=session, contract=contract, chosen=data["services"])
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return render_package(contract_id, {f"plan-{k}": v for k, v in no.errors.items()}, {}, no.status)
    flash(gettext("%(num)s service(s) planned for the package.", num=len(created)), "success")
    return redirect(url_for("web.contract_package", contract_id=contract_id))
