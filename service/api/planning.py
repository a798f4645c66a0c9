"""Planning (SPEC §10), staff only: absences, busy windows of staff and units, suggested slots."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from models import StaffMember
from service.core.auth import STAFF, access
from service.core.db import get_session
from service.core.reads import get_or_404
from service.domain.planning import busy, suggest, unavailability
from service.schemas.planning import (
    AvailabilityQuerySchema,
    AvailabilitySchema,
    SuggestionsSchema,
    SuggestSchema,
    UnavailabilitySchema,
)

blp = Blueprint("planning", __name__, url_prefix="", description="Who and what is free, and when")


@blp.route("/staff/<int:staff_id>/unavailability")
class StaffUnavailability(MethodView):
    @access(*STAFF)
    @blp.response(200, UnavailabilitySchema(many=True))
    def get(self, staff_id: int) -> Any:
        """A staff member's absences (leave, travel) by start."""
        session = get_session()
        return unavailability.windows_of(session=session, staff=get_or_404(session, StaffMember, staff_id))

    @access(*STAFF)
    @blp.arguments(UnavailabilitySchema)
    @blp.response(201, UnavailabilitySchema)
    def post(self, data: dict[str, Any], staff_id: int) -> Any:
        """Record an absence with its reason; the suggester and the pickers avoid it."""
        session = get_session()
        staff = get_or_404(session, StaffMember, staff_id)
        return unavailability.add_window(session=session, staff=staff, data=data)


@blp.route("/staff/<int:staff_id>/unavailability/<int:unavailability_id>")
class StaffUnavailabilityItem(MethodView):
    @access(*STAFF)
    @blp.response(204)
    def delete(self, staff_id: int, unavailability_id: int) -> Any:
        """Remove an absence."""
        session = get_session()
        staff = get_or_404(session, StaffMember, staff_id)
        unavailability.remove_window(session=session, staff=staff, window_id=unavailability_id)
        return None


@blp.route("/availability")
class Availability(MethodView):
    @access(*STAFF)
    @blp.arguments(AvailabilityQuerySchema, location="query")
    @blp.response(200, AvailabilitySchema)
    def get(self, query: dict[str, Any]) -> Any:
        """Busy windows (services that hold them, absences) of the staff and units asked for."""
        return busy.availability(session=get_session(), query=query)


@blp.route("/events/suggest")
class Suggest(MethodView):
    @access(*STAFF)
    @blp.arguments(SuggestSchema)
    @blp.response(200, SuggestionsSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Up to five slots the conflict check accepts now; if none, what failed and the nearest miss."""
        return suggest.suggest(session=get_session(), data=data)
