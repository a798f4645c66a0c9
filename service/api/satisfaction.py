"""Satisfaction figures: CSAT, NPS, response rate and dimension scores, by month."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from service.core.auth import require_principal
from service.core.db import get_session
from service.domain import satisfaction
from service.schemas.surveys import SatisfactionQuerySchema, SatisfactionSchema

blp = Blueprint("satisfaction", __name__, url_prefix="/satisfaction",
                description="Satisfaction figures")


@blp.route("")
class Satisfaction(MethodView):
    @blp.arguments(SatisfactionQuerySchema, location="query")
    @blp.response(200, SatisfactionSchema)
    def get(self, query: dict[str, Any]) -> Any:
        """Figures for a country, system, kind and range of months (default: the last 12); the
        surveys on how closed deficiency reports were handled apart, in `deficiency_handling`."""
        # A liaison's session is scoped to their country; a country filter of theirs is moot.
        country = None if require_principal().is_liaison else query.get("country")
        return satisfaction.with_handling(
            session=get_session(), country=country, system_id=query.get("system"),
            kind=query.get("kind"), period_from=query.get("period_from"),
            period_to=query.get("period_to"),
        )
