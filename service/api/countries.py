"""Buyer countries, their fleet, and their status summary."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlmodel import select

from models import Country, utcnow
from service.api.common import PAGE, check_if_match, takes_if_match, with_etag
from service.core.auth import STAFF, access
from service.core.db import get_session
from service.core.reads import country_or_404, get_or_404, paginate
from service.domain import dashboard, registry
from service.schemas.dashboard import CountryStatusSchema
from service.schemas.registry import (
    CountryQuerySchema,
    CountrySchema,
    CountryUpdateSchema,
    FleetLineSchema,
    FleetQuerySchema,
)

blp = Blueprint("countries", __name__, url_prefix="/countries", description="Buyer countries")


@blp.route("")
class Countries(MethodView):
    @blp.arguments(CountryQuerySchema, location="query")
    @blp.response(200, CountrySchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """List the countries the caller may see."""
        stmt = select(Country).order_by(Country.code)
        if "active" in query:
            stmt = stmt.where(Country.active == query["active"])
        return paginate(get_session(), stmt, pagination_parameters)

    @access(*STAFF)
    @blp.arguments(CountrySchema)
    @blp.response(201, CountrySchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Register a buyer country."""
        return with_etag(registry.create_country(session=get_session(), data=data), 201)


@blp.route("/<string:code>")
class CountryItem(MethodView):
    @blp.response(200, CountrySchema)
    def get(self, code: str) -> Any:
        """One country."""
        return with_etag(get_or_404(get_session(), Country, code.upper()))

    @takes_if_match
    @access(*STAFF)
    @blp.arguments(CountryUpdateSchema)
    @blp.response(200, CountrySchema)
    def patch(self, changes: dict[str, Any], code: str) -> Any:
        """Change a country's name, timezone, active flag or report language (needs If-Match;
        audited)."""
        session = get_session()
        country = get_or_404(session, Country, code.upper())
        check_if_match(country)
        return with_etag(registry.update_record(session=session, obj=country, changes=changes))


@blp.route("/<string:code>/fleet")
class CountryFleet(MethodView):
    @blp.arguments(FleetQuerySchema, location="query")
    @blp.response(200, FleetLineSchema(many=True))
    def get(self, query: dict[str, Any], code: str) -> Any:
        """The country's fleet per system: contracted, delivered, by status, warranty
        (`as_of`: at the end of that day, as the monthly report shows it)."""
        session = get_session()
        country = get_or_404(session, Country, code.upper())
        day = query.get("as_of")
        return registry.fleet(session=session, country_code=country.code, today=day, delivered_by=day)


@blp.route("/<string:code>/status")
class CountryStatus(MethodView):
    @blp.response(200, CountryStatusSchema)
    def get(self, code: str) -> Any:
        """Dashboard summary: fleet, next and completed services, 12 months' satisfaction,
        open requests and corrective actions, surveys waiting, latest reports.

        `generated_at` is the time of this request: the figures are computed for it."""
        session = get_session()
        country = country_or_404(session, code)
        return dashboard.country_overview(session=session, country=country, now=utcnow())

