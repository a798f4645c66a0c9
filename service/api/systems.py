"""The weapon-system catalogue (not country-specific)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlmodel import select

from models import WeaponSystem
from service.api.common import PAGE, check_if_match, takes_if_match, with_etag
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain import registry
from service.schemas.registry import SystemQuerySchema, SystemSchema, SystemUpdateSchema

blp = Blueprint("systems", __name__, url_prefix="/systems", description="Weapon-system catalogue")


@blp.route("")
class Systems(MethodView):
    @blp.arguments(SystemQuerySchema, location="query")
    @blp.response(200, SystemSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """List catalogue entries, by category or by a code/name search."""
        stmt = select(WeaponSystem).order_by(WeaponSystem.code)
        if "category" in query:
            stmt = stmt.where(WeaponSystem.category == query["category"])
        if query.get("q"):
            like = f"%{query['q'].lower()}%"
            stmt = stmt.where(sa.or_(sa.func.lower(WeaponSystem.code).like(like),
                                     sa.func.lower(WeaponSystem.name).like(like)))
        return paginate(get_session(), stmt, pagination_parameters)

    @blp.arguments(SystemSchema)
    @blp.response(201, SystemSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a system to the catalogue."""
        return with_etag(registry.create_system(session=get_session(), data=data), 201)


@blp.route("/<int:system_id>")
class SystemItem(MethodView):
    @blp.response(200, SystemSchema)
    def get(self, system_id: int) -> Any:
        """One catalogue entry."""
        return with_etag(get_or_404(get_session(), WeaponSystem, system_id))

    @takes_if_match
    @blp.arguments(SystemUpdateSchema)
    @blp.response(200, SystemSchema)
    def patch(self, changes: dict[str, Any], system_id: int) -> Any:
        """Change a catalogue entry (needs If-Match)."""
        session = get_session()
        system = get_or_404(session, WeaponSystem, system_id)
        check_if_match(system)
        return with_etag(registry.update_record(session=session, obj=system, changes=changes))
