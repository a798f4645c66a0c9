"""Fleet readiness per country, system and month (SPEC §9)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from service.core.auth import require_principal
from service.core.db import get_session
from service.domain.deficiencies import readiness
from service.schemas.deficiencies import ReadinessQuerySchema, ReadinessSchema

blp = Blueprint("readiness", __name__, url_prefix="/readiness", description="Fleet readiness")


@blp.route("")
class Readiness(MethodView):
    @blp.arguments(ReadinessQuerySchema, location="query")
    @blp.response(200, ReadinessSchema)
    def get(self, query: dict[str, Any]) -> Any:
        """Availability, MTTR, units down and deficiency figures per country, system and month
        (default: the last 12 months)."""
        # A liaison's session is scoped to their country; a country filter of theirs is moot.
        country = None if require_principal().is_liaison else query.get("country")
        return readiness.figures(session=get_session(), country=country,
                                 system_id=query.get("system"), period_from=query.get("period_from"),
                                 period_to=query.get("period_to"))
