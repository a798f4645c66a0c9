"""Delivered units: serials, warranty and status."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlmodel import col, select

from models import Unit
from service.api.common import PAGE, check_if_match, takes_if_match, with_etag
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain import registry
from service.schemas.registry import UnitQuerySchema, UnitSchema, UnitUpdateSchema

blp = Blueprint("units", __name__, url_prefix="/units", description="Delivered units")


@blp.route("")
class Units(MethodView):
    @blp.arguments(UnitQuerySchema, location="query")
    @blp.response(200, UnitSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """List delivered units, by country, system, contract, status or serial."""
        stmt = select(Unit).order_by(col(Unit.id))
        for key, column in (("country", Unit.country_code), ("system", Unit.system_id),
                            ("contract", Unit.contract_id), ("status", Unit.status),
                            ("serial", Unit.serial)):
            if key in query:
                stmt = stmt.where(column == query[key])
        return paginate(get_session(), stmt, pagination_parameters)

    @blp.arguments(UnitSchema)
    @blp.response(201, UnitSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Record a delivered unit (its country comes from the contract)."""
        return with_etag(registry.create_unit(session=get_session(), data=data), 201)


@blp.route("/<int:unit_id>")
class UnitItem(MethodView):
    @blp.response(200, UnitSchema)
    def get(self, unit_id: int) -> Any:
        """One unit."""
        return with_etag(get_or_404(get_session(), Unit, unit_id))

    @takes_if_match
    @blp.arguments(UnitUpdateSchema)
    @blp.response(200, UnitSchema)
    def patch(self, changes: dict[str, Any], unit_id: int) -> Any:
        """Change a unit's serial, dates or status (needs If-Match)."""
        session = get_session()
        unit = get_or_404(session, Unit, unit_id)
        check_if_match(unit)
        return with_etag(registry.update_unit(session=session, unit=unit, changes=changes))
