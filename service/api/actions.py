"""Corrective actions opened by poor survey answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from models import CorrectiveAction
from service.api.common import PAGE, check_if_match, takes_if_match, with_etag
from service.core.auth import STAFF, access
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain import actions
from service.schemas.surveys import ActionQuerySchema, ActionSchema, ActionUpdateSchema

blp = Blueprint("actions", __name__, url_prefix="/actions", description="Corrective actions")


@blp.route("")
class Actions(MethodView):
    @blp.arguments(ActionQuerySchema, location="query")
    @blp.response(200, ActionSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """List corrective actions, soonest due first, by country, status or overdue."""
        stmt = actions.actions_query(query, today=dt.datetime.now(dt.UTC).date())
        return paginate(get_session(), stmt, pagination_parameters)


@blp.route("/<int:action_id>")
class ActionItem(MethodView):
    @blp.response(200, ActionSchema)
    def get(self, action_id: int) -> Any:
        """One corrective action (internal notes for staff only)."""
        return with_etag(get_or_404(get_session(), CorrectiveAction, action_id))

    @takes_if_match
    @access(*STAFF)
    @blp.arguments(ActionUpdateSchema)
    @blp.response(200, ActionSchema)
    @blp.alt_response(409, description="A move the lifecycle does not allow; lists the allowed ones")
    def patch(self, changes: dict[str, Any], action_id: int) -> Any:
        """Move an action on, or change its owner, due date, resolution or notes (If-Match)."""
        session = get_session()
        action = get_or_404(session, CorrectiveAction, action_id)
        check_if_match(action)
        return with_etag(actions.update_action(session=session, action=action, changes=changes))
