"""Service requests: liaisons ask for a service, staff accept (scheduling it) or decline."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from models import ServiceRequest
from service.api.common import PAGE, check_if_match, takes_if_match, with_etag
from service.core.auth import EVERYONE, STAFF, access, require_principal
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain import requests
from service.schemas.services import (
    DeclineSchema,
    RequestAcceptSchema,
    RequestEditSchema,
    RequestQuerySchema,
    RequestSchema,
)

blp = Blueprint("requests", __name__, url_prefix="/requests", description="Service requests")


@blp.route("")
class Requests(MethodView):
    @blp.arguments(RequestQuerySchema, location="query")
    @blp.response(200, RequestSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """List requests, newest first; filter by status or country."""
        return paginate(get_session(), requests.requests_query(query), pagination_parameters)

    @access(*EVERYONE)
    @blp.arguments(RequestSchema)
    @blp.response(201, RequestSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """File a request (a liaison: for their own country; staff: name the country)."""
        request = requests.file_request(session=get_session(), data=data, actor=require_principal())
        return with_etag(request, 201)


@blp.route("/<int:request_id>")
class RequestItem(MethodView):
    @blp.response(200, RequestSchema)
    def get(self, request_id: int) -> Any:
        """One request: its state, the decline reason or the scheduled event."""
        return with_etag(get_or_404(get_session(), ServiceRequest, request_id))

    @takes_if_match
    @access(*EVERYONE)
    @blp.arguments(RequestEditSchema)
    @blp.response(200, RequestSchema)
    @blp.alt_response(409, description="already decided or withdrawn")
    def patch(self, data: dict[str, Any], request_id: int) -> Any:
        """Edit a pending request until staff decide (the asking side; needs If-Match)."""
        session = get_session()
        request = get_or_404(session, ServiceRequest, request_id)
        check_if_match(request)
        return with_etag(requests.edit_request(session=session, request=request, data=data,
                                               actor=require_principal()))


@blp.route("/<int:request_id>/withdraw")
class RequestWithdraw(MethodView):
    @takes_if_match
    @access(*EVERYONE)
    @blp.response(200, RequestSchema)
    @blp.alt_response(409, description="already decided or withdrawn")
    def post(self, request_id: int) -> Any:
        """Withdraw a pending request (the asking side; needs If-Match)."""
        session = get_session()
        request = get_or_404(session, ServiceRequest, request_id)
        check_if_match(request)
        return with_etag(requests.withdraw_request(session=session, request=request,
                                                   actor=require_principal()))


@blp.route("/<int:request_id>/accept")
class RequestAccept(MethodView):
    @takes_if_match
    @access(*STAFF)
    @blp.arguments(RequestAcceptSchema)
    @blp.response(200, RequestSchema)
    @blp.alt_response(409, description="already decided, or a double booking")
    def post(self, data: dict[str, Any], request_id: int) -> Any:
        """Accept: schedule the service as a planned event linked to the request (needs If-Match)."""
        session = get_session()
        request = get_or_404(session, ServiceRequest, request_id)
        check_if_match(request)
        request, _event = requests.accept_request(session=session, request=request, data=data,
                                                  actor=require_principal())
        return with_etag(request)


@blp.route("/<int:request_id>/decline")
class RequestDecline(MethodView):
    @takes_if_match
    @access(*STAFF)
    @blp.arguments(DeclineSchema)
    @blp.response(200, RequestSchema)
    @blp.alt_response(409, description="already decided")
    def post(self, data: dict[str, Any], request_id: int) -> Any:
        """Decline with a reason the liaison will see (needs If-Match)."""
        session = get_session()
        request = get_or_404(session, ServiceRequest, request_id)
        check_if_match(request)
        return with_etag(requests.decline_request(session=session, request=request,
                                                  reason=data["reason"], actor=require_principal()))
