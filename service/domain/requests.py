"""Service requests: a liaison asks for a service; staff accept it (scheduling an event) or decline it."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from models import Country, RequestStatus, ServiceRequest, User, WeaponSystem, utcnow
from service.core.auth import Principal
from service.domain import mail, outbox, registry
from service.domain.errors import Conflict, Invalid, NotFound
from service.domain.lists import sorted_by, where_given
from service.domain.services import EventOut, create_events

FILTERS = (("status", ServiceRequest.status), ("country", ServiceRequest.country_code))


SORTS = {"filed": ServiceRequest.created_at, "wished": ServiceRequest.wished_from,
         "kind": ServiceRequest.kind, "status": ServiceRequest.status, "country": ServiceRequest.country_code}
DEFAULT_SORT = ("-filed",)


def requests_query(query: dict[str, Any]) -> Any:
    """The requests a list shows for `query` (a `RequestQuerySchema` load), newest first unless
    `sort` says otherwise: the one statement behind `GET /api/v1/requests` and the requests page."""
    stmt = where_given(select(ServiceRequest), query, FILTERS)
    return sorted_by(stmt, query.get("sort") or DEFAULT_SORT, SORTS, tie=col(ServiceRequest.id))


def file_request(*, session: Session, data: dict[str, Any], actor: Principal) -> ServiceRequest:
    """A new pending request; a liaison's is always for their own country."""
    data = dict(data)
    named = data.pop("country_code", None)
    if actor.is_liaison:
        if named is not None and named != actor.country_code:
            # Another country is invisible to a liaison: the same answer as for a missing one.
            raise NotFound(f"Country {named} not found")
        code = actor.country_code
    elif named is None:
        raise Invalid("Name the country", {"country": ["required when staff file a request"]})
    else:
        code = named
    country = session.get(Country, code)
    if country is None:
        raise Invalid("Unknown country", {"country": ["no such buyer country is registered"]})
    _check_system(session, country.code, data["system_id"])
    request = ServiceRequest(**data, country_code=country.code, requested_by=actor.user_id)
    session.add(request)
    session.commit()
    return request


def _filer_side(request: ServiceRequest, actor: Principal) -> None:
    """Only the asking side changes a request: a liaison (of its country, by the scope) or whoever
    filed it; staff decide instead."""
    if not actor.is_liaison and actor.user_id != request.requested_by:
        raise Conflict("Only the requesting side may change or withdraw a request; staff decide it",
                       {"status": ["accept or decline it instead"]})


def _check_system(session: Session, code: str, system_id: int) -> None:
    if session.get(WeaponSystem, system_id) is None:
        raise Invalid("Unknown system", {"system_id": ["no such system in the catalogue"]})
    if not registry.operates(session=session, country_code=code, system_id=system_id):
        country = session.get(Country, code)
        raise Invalid("System not operated by the country",
                      {"system_id": [f"{country.name if country else code} has no contract for this system"]})


def edit_request(*, session: Session, request: ServiceRequest, data: dict[str, Any],
                 actor: Principal) -> ServiceRequest:
    """Change a pending request (kind, system, wished dates, description); commits."""
    _pending(request)
    _filer_side(request, actor)
    data = {k: v for k, v in data.items() if k != "country_code"}
    if "system_id" in data:
        _check_system(session, request.country_code, data["system_id"])
    start, end = data.get("wished_from", request.wished_from), data.get("wished_to", request.wished_to)
    if end < start:
        raise Invalid("Wished dates out of order", {"wished_to": ["cannot be before wished_from"]})
    for name, value in data.items():
        setattr(request, name, value)
    session.commit()
    return request


def withdraw_request(*, session: Session, request: ServiceRequest, actor: Principal) -> ServiceRequest:
    """The asking side takes back a pending request; staff can no longer decide it; commits."""
    _pending(request)
    _filer_side(request, actor)
    request.status = RequestStatus.withdrawn.value
    request.decided_by = actor.user_id
    request.decided_at = utcnow()
    session.commit()
    return request


def _pending(request: ServiceRequest) -> None:
    if request.status != RequestStatus.pending:
        raise Conflict(f"The request was already {request.status}",
                       {"status": [f"already {request.status}"]})


def _decide(session: Session, request: ServiceRequest, actor: Principal, status: RequestStatus) -> None:
    request.status = status.value
    request.decided_by = actor.user_id
    request.decided_at = utcnow()
    requester = session.get(User, request.requested_by) if request.requested_by else None
    if requester is None or not requester.active:
        return
    outbox.notify(session=session, messages=[{
        "key": f"request-{status.value}:request:{request.id}:user:{requester.id}",
        "kind": f"request_{status.value}", "user_id": requester.id, "recipient": requester.email,
        "country_code": request.country_code,
        **mail.render_to(session, requester, "request_decided", request=request),
        "data": {"request_id": request.id, "event_id": request.event_id},
    }])


def accept_request(*, session: Session, request: ServiceRequest, data: dict[str, Any],
                   actor: Principal) -> tuple[ServiceRequest, EventOut]:
    """Schedule the requested service as a planned event linked to the request; commits."""
    _pending(request)
    event, _ids = create_events(session=session, data={
        **data, "kind": request.kind, "country_code": request.country_code,
        "system_id": request.system_id,
    }, request_id=request.id)
    request.event_id = event.id
    _decide(session, request, actor, RequestStatus.accepted)
    session.commit()
    return request, event


def decline_request(*, session: Session, request: ServiceRequest, reason: str,
                    actor: Principal) -> ServiceRequest:
    _pending(request)
    request.decline_reason = reason
    _decide(session, request, actor, RequestStatus.declined)
    session.commit()
    return request
