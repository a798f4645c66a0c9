"""Trainees: a country's roster (SPEC §11), and nominations of them for training services."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from models import Nomination, ServiceEvent, Trainee
from service.api.common import PAGE, check_if_match, takes_if_match, with_etag
from service.core.auth import EVERYONE, STAFF, access, require_principal
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain.training import nominations, trainees
from service.schemas.training import (
    AnonymiseSchema,
    NominateSchema,
    NominationSchema,
    TraineeCreateSchema,
    TraineeQuerySchema,
    TraineeSchema,
    TraineeUpdateSchema,
)

blp = Blueprint("trainees", __name__, url_prefix="/trainees", description="Trainees of the buyer countries")
nominations_blp = Blueprint("nominations", __name__, url_prefix="/events",
                            description="Trainees nominated for training services")


@blp.route("")
class Trainees(MethodView):
    @blp.arguments(TraineeQuerySchema, location="query")
    @blp.response(200, TraineeSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """The roster, by name (a liaison: their own country's)."""
        return paginate(get_session(), trainees.trainees_query(query), pagination_parameters)

    @access(*EVERYONE)
    @blp.arguments(TraineeCreateSchema)
    @blp.response(201, TraineeSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a trainee (a liaison: to their own country's roster; staff: name the country)."""
        trainee = trainees.add_trainee(session=get_session(), data=data, actor=require_principal())
        body, status, headers = with_etag(trainee, 201)
        headers["Location"] = f"/api/v1/trainees/{trainee.id}"
        return body, status, headers


@blp.route("/<int:trainee_id>")
class TraineeItem(MethodView):
    @blp.response(200, TraineeSchema)
    def get(self, trainee_id: int) -> Any:
        """One trainee."""
        return with_etag(get_or_404(get_session(), Trainee, trainee_id))

    @access(*EVERYONE)
    @takes_if_match
    @blp.arguments(TraineeUpdateSchema)
    @blp.response(200, TraineeSchema)
    def patch(self, changes: dict[str, Any], trainee_id: int) -> Any:
        """Correct a trainee's name, rank, organisation or service number (needs If-Match)."""
        session = get_session()
        trainee = get_or_404(session, Trainee, trainee_id)
        check_if_match(trainee)
        return with_etag(trainees.update_trainee(session=session, trainee=trainee, changes=changes))


@blp.route("/<int:trainee_id>/anonymise")
class TraineeAnonymise(MethodView):
    @access(*STAFF)
    @takes_if_match
    @blp.arguments(AnonymiseSchema)
    @blp.response(200, TraineeSchema)
    def post(self, data: dict[str, Any], trainee_id: int) -> Any:
        """Anonymise a trainee on request: name and service number replaced, history kept, the
        audit trail blanked of them (staff; needs If-Match)."""
        session = get_session()
        trainee = get_or_404(session, Trainee, trainee_id)
        check_if_match(trainee)
        return with_etag(trainees.anonymise(session=session, trainee=trainee, reason=data["reason"]))


@nominations_blp.route("/<int:event_id>/nominations")
class Nominations(MethodView):
    @nominations_blp.response(200, NominationSchema(many=True))
    def get(self, event_id: int) -> Any:
        """The service's nominees (withdrawn ones last), with their results once completed."""
        session = get_session()
        return nominations.nominees(session=session, event=get_or_404(session, ServiceEvent, event_id))

    @access(*EVERYONE)
    @nominations_blp.arguments(NominateSchema)
    @nominations_blp.response(201, NominationSchema)
    @nominations_blp.alt_response(409, description="no seat left, already nominated, or closed")
    def post(self, data: dict[str, Any], event_id: int) -> Any:
        """Nominate a trainee of the service's country for a seat (before it starts)."""
        session = get_session()
        event = get_or_404(session, ServiceEvent, event_id)
        return nominations.nominate(session=session, event=event, trainee_id=data["trainee_id"],
                                    actor=require_principal())


@nominations_blp.route("/<int:event_id>/nominations/<int:nomination_id>/withdraw")
class NominationWithdraw(MethodView):
    @access(*EVERYONE)
    @nominations_blp.response(200, NominationSchema)
    def post(self, event_id: int, nomination_id: int) -> Any:
        """Withdraw a nomination before the service starts: the seat is free again."""
        session = get_session()
        event = get_or_404(session, ServiceEvent, event_id)
        nomination = get_or_404(session, Nomination, nomination_id)
        return nominations.withdraw(session=session, event=event, nomination=nomination)
