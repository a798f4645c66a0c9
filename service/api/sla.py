"""A country's SLA targets for deficiency reports, and its fleet availability target."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from models import Country
from service.api.common import check_if_match, takes_if_match, with_etag
from service.core.auth import STAFF, access
from service.core.db import get_session
from service.core.reads import get_or_404
from service.domain.deficiencies import sla
from service.schemas.deficiencies import SlaSchema

blp = Blueprint("sla", __name__, url_prefix="/countries", description="SLA targets per country")


@blp.route("/<string:code>/sla")
class CountrySlaItem(MethodView):
    @blp.response(200, SlaSchema)
    def get(self, code: str) -> Any:
        """The country's targets (the defaults of SPEC §9 until staff change them)."""
        session = get_session()
        country = get_or_404(session, Country, code.upper())
        return with_etag(sla.targets(session=session, country_code=country.code))

    @access(*STAFF)
    @takes_if_match
    @blp.arguments(SlaSchema)
    @blp.response(200, SlaSchema)
    def put(self, data: dict[str, Any], code: str) -> Any:
        """Replace the targets; fields left out take their defaults (needs If-Match)."""
        session = get_session()
        country = get_or_404(session, Country, code.upper())
        check_if_match(sla.targets(session=session, country_code=country.code))
        return with_etag(sla.set_targets(session=session, country_code=country.code, data=data))
