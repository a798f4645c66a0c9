"""Follow-up service events: schedule, list, re-schedule, and move along the lifecycle."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from models import ServiceEvent
from service.api.common import PAGE, check_if_match, takes_if_match, with_etag
from service.core.auth import STAFF, access
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain import services
from service.schemas.services import (
    EventCreateSchema,
    EventQuerySchema,
    EventSchema,
    EventUpdateSchema,
    TransitionSchema,
)

blp = Blueprint("events", __name__, url_prefix="/events", description="Follow-up service events")

EVENT_QUERY = EventQuerySchema()  # one instance: given the class, webargs builds one per request


@blp.route("")
class Events(MethodView):
    @blp.arguments(EVENT_QUERY, location="query")
    @blp.response(200, EventSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """List events by start time; filter by country, kind, status, system and a time range."""
        session = get_session()
        page = paginate(session, services.events_query(query, columns=True), pagination_parameters, rows=True)
        return services.with_assignments(session=session, events=page)

    @access(*STAFF)
    @blp.arguments(EventCreateSchema)
    @blp.response(201, EventSchema)
    @blp.alt_response(409, description="double booking: `conflicts` lists each clash")
    def post(self, data: dict[str, Any]) -> Any:
        """Schedule a service (or, with `recurrence`, a series of them); answers the first event."""
        event, ids = services.schedule_event(session=get_session(), data=data)
        body, status, headers = with_etag(event, 201)
        headers["Location"] = f"/api/v1/events/{event.id}"
        if data.get("recurrence"):
            event.series_event_ids = ids  # only here: the answer names the whole series
            headers["X-Series-Events"] = ",".join(str(i) for i in ids)
        return body, status, headers


@blp.route("/<int:event_id>")
class EventItem(MethodView):
    @blp.response(200, EventSchema)
    def get(self, event_id: int) -> Any:
        """One event with its staff and units."""
        session = get_session()
        event = get_or_404(session, ServiceEvent, event_id)
        return with_etag(services.with_assignments(session=session, events=[event])[0])

    @takes_if_match
    @access(*STAFF)
    @blp.arguments(EventUpdateSchema)
    @blp.response(200, EventSchema)
    @blp.alt_response(409, description="double booking, or a completed/cancelled service")
    def patch(self, changes: dict[str, Any], event_id: int) -> Any:
        """Change an event's details, times, staff or units (needs If-Match)."""
        session = get_session()
        event = get_or_404(session, ServiceEvent, event_id)
        check_if_match(event)
        return with_etag(services.update_event(session=session, event=event, changes=changes))


@blp.route("/<int:event_id>/transition")
class EventTransition(MethodView):
    @takes_if_match
    @access(*STAFF)
    @blp.arguments(TransitionSchema)
    @blp.response(200, EventSchema)
    @blp.alt_response(409, description="not allowed from the current status; `allowed` lists the moves")
    def post(self, data: dict[str, Any], event_id: int) -> Any:
        """Move the event along its lifecycle (needs If-Match; cancelling needs a reason)."""
        session = get_session()
        event = get_or_404(session, ServiceEvent, event_id)
        check_if_match(event)
        return with_etag(services.transition(session=session, event=event, **data))
