"""The outbox, readable: the caller's own notifications (admins: anyone's)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlmodel import col, select

from models import Notification, Role
from service.api.common import PAGE
from service.core.auth import EVERYONE, access, require_principal
from service.core.db import get_session
from service.core.reads import paginate
from service.schemas.services import NotificationQuerySchema, NotificationSchema

blp = Blueprint("notifications", __name__, url_prefix="/notifications",
                description="Notifications, sent or not")


@blp.route("")
class Notifications(MethodView):
    @access(*EVERYONE)
    @blp.arguments(NotificationQuerySchema, location="query")
    @blp.response(200, NotificationSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """Newest first: the caller's own; an admin sees every one, or one user's with `user`."""
        principal = require_principal()
        stmt = select(Notification).order_by(col(Notification.id).desc())
        if principal.role != Role.admin:
            stmt = stmt.where(Notification.user_id == principal.user_id)
        elif "user" in query:
            stmt = stmt.where(Notification.user_id == query["user"])
        if "kind" in query:
            stmt = stmt.where(Notification.kind == query["kind"])
        if query.get("unsent"):
            stmt = stmt.where(col(Notification.sent_at).is_(None))
        return paginate(get_session(), stmt, pagination_parameters)
