"""The personal iCalendar feed, for calendar applications that cannot send headers."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from service.core.auth import access, record_denied
from service.core.db import get_session
from service.domain import calendar

blp = Blueprint("calendar", __name__, url_prefix="/calendar", description="iCalendar feeds")


@blp.route("/<string:feed_token>.ics")
class CalendarFeed(MethodView):
    @access(public=True)
    @blp.response(200, content_type="text/calendar")
    @blp.alt_response(404, description="unknown, malformed or revoked token")
    @blp.doc(security=[], responses={"200": {
        "description": "the holder's events from 90 days ago to a year ahead",
        "content": {"text/calendar": {"schema": {"type": "string"}}}}})
    def get(self, feed_token: str) -> Any:
        """The feed token holder's visible events as iCalendar (no Authorization header)."""
        session = get_session()
        user = calendar.holder(session=session, token=feed_token, secret=current_app.config["SECRET_KEY"])
        if user is None:
            record_denied(reason="unknown or revoked calendar feed token", status=404,
                          entity="calendar_feed", entity_id=feed_token.split("-")[0][:12])
            abort(404, message="Calendar feed not found")
        assert user is not None
        return Response(calendar.build_feed(session=session, user=user), 200, {
            "Content-Type": "text/calendar; charset=utf-8",
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": 'inline; filename="k-sustain.ics"',
        })
