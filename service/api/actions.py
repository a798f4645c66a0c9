"""Corrective actions opened by poor survey answers, and their progress: comments and moves."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from models import CorrectiveAction
from service.api.common import PAGE, check_if_match, takes_if_match, with_etag
from service.core.auth import EVERYONE, STAFF, access, require_principal
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain import actions
from service.schemas.surveys import ActionCommentSchema, ActionQuerySchema, ActionSchema, ActionUpdateSchema

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
        """One corrective action (its internal notes are entries of its progress, for staff)."""
        return with_etag(get_or_404(get_session(), CorrectiveAction, action_id))

    @takes_if_match
    @access(*STAFF)
    @blp.arguments(ActionUpdateSchema)
    @blp.response(200, ActionSchema)
    @blp.alt_response(409, description="A move the lifecycle does not allow; lists the allowed ones")
    def patch(self, changes: dict[str, Any], action_id: int) -> Any:
        """Move an action on, or change its owner, due date or resolution (If-Match)."""
        session = get_session()
        action = get_or_404(session, CorrectiveAction, action_id)
        check_if_match(action)
        return with_etag(actions.update_action(session=session, action=action, changes=changes,
                                               actor=require_principal()))


@blp.route("/<int:action_id>/comments")
class ActionComments(MethodView):
    @blp.response(200, ActionCommentSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, action_id: int, pagination_parameters: Any) -> Any:
        """The action's progress, oldest first: comments, each move of its state (the
        resolution with its closing) and, for staff, the internal notes (a liaison's answer
        never holds one)."""
        session = get_session()
        action = get_or_404(session, CorrectiveAction, action_id)
        return paginate(session, actions.comments(session=session, action=action), pagination_parameters)

    @access(*EVERYONE)
    @blp.arguments(ActionCommentSchema)
    @blp.response(201, ActionCommentSchema)
    def post(self, data: dict[str, Any], action_id: int) -> Any:
        """Comment on the action: staff, or a liaison of its country (the other side is told);
        staff may write an internal note instead (`internal`: nobody is told, no liaison sees it)."""
        session = get_session()
        action = get_or_404(session, CorrectiveAction, action_id)
        return actions.add_comment(session=session, action=action, actor=require_principal(),
                                   body=data["body"], internal=data["internal"])
