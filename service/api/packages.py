"""Support packages: a contract's lines, deliveries and their acceptance, and its plan (SPEC §11)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from models import Contract, Delivery, PackageLine
from service.api.common import check_if_match, takes_if_match, with_etag
from service.core.auth import EVERYONE, STAFF, access, require_principal
from service.core.db import get_session
from service.core.reads import get_or_404
from service.domain.errors import NotFound
from service.domain.packages import deliveries, lines, planning
from service.schemas.packages import (
    ConfirmedSchema,
    ConfirmSchema,
    DeliveryAnswerSchema,
    DeliveryCreateSchema,
    DeliverySchema,
    DisputeSchema,
    LineCreateSchema,
    LineSchema,
    PackageProposalSchema,
    PackageSummaryQuerySchema,
    PackageSummarySchema,
    PlanSchema,
)

blp = Blueprint("packages", __name__, url_prefix="/contracts", description="Contracts' support packages")
deliveries_blp = Blueprint("deliveries", __name__, url_prefix="/deliveries",
                           description="Deliveries against package lines, and the buyer's word")
summary_blp = Blueprint("package_summary", __name__, url_prefix="/packages",
                        description="Share delivered and overdue lines per contract")


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _line(contract_id: int, line_id: int) -> PackageLine:
    session = get_session()
    get_or_404(session, Contract, contract_id)
    line = get_or_404(session, PackageLine, line_id)
    if line.contract_id != contract_id:
        raise NotFound(f"PackageLine {line_id} not found")
    return line


@blp.route("/<int:contract_id>/package")
class Package(MethodView):
    @blp.response(200, LineSchema(many=True))
    def get(self, contract_id: int) -> Any:
        """The contract's package lines, by due date, with delivered, accepted and their state."""
        session = get_session()
        get_or_404(session, Contract, contract_id)
        return lines.line_states(session=session, today=_today(), contract_id=contract_id)

    @access(*STAFF)
    @blp.arguments(LineCreateSchema)
    @blp.response(201, LineSchema)
    def post(self, data: dict[str, Any], contract_id: int) -> Any:
        """Add a line to the contract's package: a kind, a quantity, a due date."""
        session = get_session()
        line = lines.add_line(session=session, contract=get_or_404(session, Contract, contract_id), data=data)
        return lines.line_states(session=session, today=_today(), line_ids=[line.id or 0])[0]


@blp.route("/<int:contract_id>/package/<int:line_id>/deliveries")
class LineDeliveries(MethodView):
    @blp.response(200, DeliverySchema(many=True))
    def get(self, contract_id: int, line_id: int) -> Any:
        """What was delivered against the line, oldest first."""
        return deliveries.deliveries_of(session=get_session(), line_ids=[_line(contract_id, line_id).id or 0])

    @access(*STAFF)
    @blp.arguments(DeliveryCreateSchema)
    @blp.response(201, DeliverySchema)
    def post(self, data: dict[str, Any], contract_id: int, line_id: int) -> Any:
        """Record goods delivered against a line (services count when completed)."""
        return with_etag(deliveries.record_goods(session=get_session(), line=_line(contract_id, line_id),
                                                 data=data, actor=require_principal()), 201)


@blp.route("/<int:contract_id>/plan")
class Plan(MethodView):
    @access(*STAFF)
    @blp.arguments(PlanSchema)
    @blp.response(200, PackageProposalSchema(many=True))
    def post(self, data: dict[str, Any], contract_id: int) -> Any:
        """Propose, without writing anything, the services that would deliver the remaining
        service lines before their due dates, where the named staff are free."""
        session = get_session()
        contract = get_or_404(session, Contract, contract_id)
        return planning.propose(session=session, contract=contract, staff_ids=data["staff"],
                                days=data["days"], lead_days=data["lead_days"], seats=data["seats"])


@blp.route("/<int:contract_id>/plan/confirm")
class PlanConfirm(MethodView):
    @access(*STAFF)
    @blp.arguments(ConfirmSchema)
    @blp.response(201, ConfirmedSchema)
    @blp.alt_response(409, description="a double booking: nothing was created")
    def post(self, data: dict[str, Any], contract_id: int) -> Any:
        """Create the chosen proposals as planned services, all or none (bookings re-checked)."""
        session = get_session()
        contract = get_or_404(session, Contract, contract_id)
        return {"event_ids": planning.confirm(session=session, contract=contract, chosen=data["services"])}


def _delivery(delivery_id: int) -> Delivery:
    return get_or_404(get_session(), Delivery, delivery_id)


@deliveries_blp.route("/<int:delivery_id>/accept")
class DeliveryAccept(MethodView):
    @access(*EVERYONE)
    @takes_if_match
    @deliveries_blp.response(200, DeliverySchema)
    def post(self, delivery_id: int) -> Any:
        """The buyer's liaison accepts the delivery (needs If-Match)."""
        delivery = _delivery(delivery_id)
        check_if_match(delivery)
        return with_etag(deliveries.accept(session=get_session(), delivery=delivery,
                                           actor=require_principal()))


@deliveries_blp.route("/<int:delivery_id>/dispute")
class DeliveryDispute(MethodView):
    @access(*EVERYONE)
    @takes_if_match
    @deliveries_blp.arguments(DisputeSchema)
    @deliveries_blp.response(200, DeliverySchema)
    def post(self, data: dict[str, Any], delivery_id: int) -> Any:
        """The buyer's liaison disputes the delivery with a reason; staff are told (needs If-Match)."""
        delivery = _delivery(delivery_id)
        check_if_match(delivery)
        return with_etag(deliveries.dispute(session=get_session(), delivery=delivery,
                                            reason=data["reason"], actor=require_principal()))


@deliveries_blp.route("/<int:delivery_id>/answer")
class DeliveryAnswer(MethodView):
    @access(*STAFF)
    @takes_if_match
    @deliveries_blp.arguments(DeliveryAnswerSchema)
    @deliveries_blp.response(200, DeliverySchema)
    def post(self, data: dict[str, Any], delivery_id: int) -> Any:
        """Staff answer a dispute; the buyer may then accept or dispute again (needs If-Match)."""
        delivery = _delivery(delivery_id)
        check_if_match(delivery)
        return with_etag(deliveries.answer(session=get_session(), delivery=delivery,
                                           answer=data["answer"], actor=require_principal()))


@summary_blp.route("")
class PackageSummary(MethodView):
    @summary_blp.arguments(PackageSummaryQuerySchema, location="query")
    @summary_blp.response(200, PackageSummarySchema(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        """Per contract: promised and delivered quantities, share delivered, overdue lines."""
        return lines.summary(session=get_session(), today=query.get("as_of") or _today(),
                             country=query.get("country"), as_of="as_of" in query)
