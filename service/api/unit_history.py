"""A delivered unit's whole life: its status changes, deficiency reports and services."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from models import Unit
from service.core.db import get_session
from service.core.reads import get_or_404
from service.domain.deficiencies import history
from service.schemas.deficiencies import UnitHistorySchema

blp = Blueprint("unit_history", __name__, url_prefix="/units", description="Unit history")


@blp.route("/<int:unit_id>/history")
class UnitHistory(MethodView):
    @blp.response(200, UnitHistorySchema)
    def get(self, unit_id: int) -> Any:
        """Status changes (from delivery on), deficiency reports and services, oldest first."""
        session = get_session()
        return history.unit_life(session=session, unit=get_or_404(session, Unit, unit_id))
