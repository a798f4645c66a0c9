"""The audit trail (admins; a country administrator: what their country's users did)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from service.api.common import PAGE
from service.core.auth import USER_ADMINS, access
from service.core.db import get_session
from service.core.reads import paginate
from service.domain import audit
from service.schemas.identity import AuditEntrySchema, AuditQuerySchema

blp = Blueprint("audit", __name__, url_prefix="/audit",
                description="Audit trail (admin; a country administrator: their users')")


@blp.route("")
class Audit(MethodView):
    @access(*USER_ADMINS)
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """Changes and refused accesses, newest first; filter by actor, entity, action, days. A
        country administrator reads only the entries of their own country's users."""
        stmt = audit.audit_query(query)
        return paginate(get_session(), stmt, pagination_parameters)
