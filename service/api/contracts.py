"""Contracts: what a country bought, line by line."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlmodel import col, select

from models import Contract, ContractLine
from service.api.common import PAGE, check_if_match, takes_if_match, with_etag
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain import registry
from service.schemas.registry import ContractQuerySchema, ContractSchema, ContractUpdateSchema

blp = Blueprint("contracts", __name__, url_prefix="/contracts", description="Sales contracts")


@blp.route("")
class Contracts(MethodView):
    @blp.arguments(ContractQuerySchema, location="query")
    @blp.response(200, ContractSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """List contracts, by country or by system."""
        stmt = select(Contract).order_by(col(Contract.signed_on).desc(), col(Contract.id))
        if "country" in query:
            stmt = stmt.where(Contract.country_code == query["country"])
        if "system" in query:
            stmt = stmt.where(col(Contract.id).in_(
                select(col(ContractLine.contract_id)).where(col(ContractLine.system_id) == query["system"])
            ))
        return paginate(get_session(), stmt, pagination_parameters)

    @blp.arguments(ContractSchema)
    @blp.response(201, ContractSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Record a signed contract with its lines."""
        return with_etag(registry.create_contract(session=get_session(), data=data), 201)


@blp.route("/<int:contract_id>")
class ContractItem(MethodView):
    @blp.response(200, ContractSchema)
    def get(self, contract_id: int) -> Any:
        """One contract."""
        return with_etag(get_or_404(get_session(), Contract, contract_id))

    @takes_if_match
    @blp.arguments(ContractUpdateSchema)
    @blp.response(200, ContractSchema)
    def patch(self, changes: dict[str, Any], contract_id: int) -> Any:
        """Change a contract; `lines` replaces all lines (needs If-Match)."""
        session = get_session()
        contract = get_or_404(session, Contract, contract_id)
        check_if_match(contract)
        return with_etag(registry.update_contract(session=session, contract=contract, changes=changes))
