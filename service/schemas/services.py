"""Schemas for staff members, service events, service requests and notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import ValidationError, fields, validate, validates_schema

from models import EventStatus, RequestStatus, ServiceKind
from service.schemas.common import (
    AwareDateTime,
    Base,
    CountryCode,
    DateOrDateTime,
    SortField,
    VersionedSchema,
    choice,
    text,
    validate_timezone,
)
from service.schemas.planning import skills_field

MAX_OCCURRENCES = 100


class StaffSchema(VersionedSchema):
    id = fields.Integer(dump_only=True)
    name = text(120)
    email = fields.Email(allow_none=True, load_default=None, validate=validate.Length(max=254))
    skills = skills_field(load_default=list)
    active = fields.Boolean(load_default=True)


class StaffUpdateSchema(Base):
    name = text(120, required=False)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    skills = skills_field()
    active = fields.Boolean()


class StaffQuerySchema(Base):
    active = fields.Boolean()
    q = fields.String(validate=validate.Length(max=80), metadata={"description": "part of the name"})


class AssignmentSchema(Base):
    id = fields.Integer(required=True, validate=validate.Range(min=1),
                        metadata={"description": "staff member id"})
    is_lead = fields.Boolean(load_default=False)
    name = fields.String(dump_only=True)


class EventUnitSchema(Base):
    id = fields.Integer()
    serial = fields.String()


def validate_rrule(value: str) -> None:
    """An RFC 5545 RRULE (without DTSTART; the event's start is the series' start)."""
    if "DTSTART" in value.upper() or "\n" in value:
        raise ValidationError("Give the RRULE alone, e.g. FREQ=MONTHLY;INTERVAL=3;COUNT=8.")
    from dateutil.rrule import rrulestr  # here: a web worker starts without it (bench: worker start)

    try:
        rrulestr(value, dtstart=dt.datetime(2000, 1, 1), forceset=False)
    except (ValueError, TypeError) as exc:
        try:  # an UNTIL in UTC needs an aware start
            rrulestr(value, dtstart=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        except (ValueError, TypeError):
            raise ValidationError(f"Not a valid RRULE: {exc}") from exc


def _staff_list() -> fields.List:
    return fields.List(fields.Nested(AssignmentSchema), validate=validate.Length(max=50))


def _unit_ids() -> fields.List:
    return fields.List(fields.Integer(validate=validate.Range(min=1)), validate=validate.Length(max=200))


class _EventFields(Base):
    """Fields an event is scheduled with (shared by create, request acceptance and update)."""

    title = text(200)
    starts_at = AwareDateTime(required=True)
    ends_at = AwareDateTime(required=True)
    timezone = fields.String(validate=validate_timezone,
                             metadata={"description": "for display; default: the country's"})
    location = text(200, required=False, min_length=0)
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100000))
    participants_planned = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100000))
    objectives = text(4000, required=False, min_length=0)
    staff = _staff_list()
    unit_ids = _unit_ids()

    @validates_schema
    def _window_and_people(self, data: dict[str, Any], **_: Any) -> None:
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            raise ValidationError("Must be after starts_at.", "ends_at")
        cap, planned = data.get("capacity"), data.get("participants_planned")
        if cap is not None and planned is not None and planned > cap:
            raise ValidationError("Cannot exceed capacity.", "participants_planned")
        staff = data.get("staff") or []
        ids = [s["id"] for s in staff]
        if len(ids) != len(set(ids)):
            raise ValidationError("Each staff member appears once.", "staff")
        if sum(1 for s in staff if s.get("is_lead")) > 1:
            raise ValidationError("At most one lead.", "staff")
        units = data.get("unit_ids") or []
        if len(units) != len(set(units)):
            raise ValidationError("Each unit appears once.", "unit_ids")


class EventCreateSchema(_EventFields):
    kind = choice(ServiceKind, required=True)
    country = CountryCode(required=True, attribute="country_code")
    system_id = fields.Integer(required=True, validate=validate.Range(min=1))
    recurrence = fields.String(
        validate=[validate.Length(max=500), validate_rrule],
        metadata={"description": "RFC 5545 RRULE, e.g. FREQ=MONTHLY;INTERVAL=3;COUNT=8: creates a "
                                 f"series (at most {MAX_OCCURRENCES} events) sharing series_id; local "
                                 "wall-clock time is kept across daylight-saving changes"},
    )


class RequestAcceptSchema(_EventFields):
    """The event to create for an accepted request (kind, country and system come from it)."""


class EventUpdateSchema(_EventFields):
    title = text(200, required=False)
    starts_at = AwareDateTime()
    ends_at = AwareDateTime()
    kind = choice(ServiceKind)
    participants_actual = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100000))
    outcome = text(4000, required=False, allow_none=True)


def _local(obj: Any, name: str) -> str:
    value: dt.datetime = getattr(obj, name)
    return value.astimezone(ZoneInfo(obj.timezone)).isoformat()


def _utc(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat()


def event_json(e: Any) -> dict[str, Any]:
    """An event (`service.domain.services.EventOut`) as `EventSchema`'s fields dump it, built in
    one step: a 50-row list dumped field by field through marshmallow cost a fifth of the
    request, as much as its SQL (profiled on the bench data's event lists). tests/test_events.py
    holds the two together, value for value."""
    return {
        "id": e.id, "kind": e.kind, "title": e.title, "country": e.country_code, "system_id": e.system_id,
        "starts_at": _utc(e.starts_at), "ends_at": _utc(e.ends_at), "timezone": e.timezone,
        "starts_at_local": _local(e, "starts_at"), "ends_at_local": _local(e, "ends_at"),
        "location": e.location, "capacity": e.capacity, "participants_planned": e.participants_planned,
        "participants_actual": e.participants_actual, "objectives": e.objectives, "outcome": e.outcome,
        "status": e.status, "cancel_reason": e.cancel_reason, "series_id": e.series_id,
        "series_event_ids": e.series_event_ids, "request_id": e.request_id,
        "staff": [{"id": s["id"], "is_lead": s["is_lead"], "name": s["name"]} for s in e.staff],
        "units": [{"id": u["id"], "serial": u["serial"]} for u in e.units],
        "unit_ids": [u["id"] for u in e.units],
        "completed_at": _utc(e.completed_at), "cancelled_at": _utc(e.cancelled_at),
        "created_at": _utc(e.created_at),
        "updated_at": _utc(e.updated_at), "version": e.version,
    }


class EventSchema(VersionedSchema):
    """An event with its staff and units. The fields document the answer (OpenAPI); the answer
    is built by `event_json`, which a test holds equal to what the fields dump."""

    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    country = fields.String(attribute="country_code")
    system_id = fields.Integer()
    starts_at = AwareDateTime()
    ends_at = AwareDateTime()
    timezone = fields.String()
    starts_at_local = fields.Function(lambda obj: _local(obj, "starts_at"),
                                      metadata={"description": "starts_at in the event's timezone"})
    ends_at_local = fields.Function(lambda obj: _local(obj, "ends_at"),
                                    metadata={"description": "ends_at in the event's timezone"})
    location = fields.String()
    capacity = fields.Integer(allow_none=True)
    participants_planned = fields.Integer(allow_none=True)
    participants_actual = fields.Integer(allow_none=True)
    objectives = fields.String()
    outcome = fields.String(allow_none=True)
    status = fields.String()
    cancel_reason = fields.String(allow_none=True)
    series_id = fields.String(allow_none=True)
    series_event_ids = fields.List(
        fields.Integer(), allow_none=True,
        metadata={"description": "in the answer to a POST that created a series: every event of "
                                 "the series, in order (also in the X-Series-Events header); else null"},
    )
    request_id = fields.Integer(allow_none=True)
    # Nested with many: one dump of an event's list (a list of nested fields dumps item by item).
    staff = fields.Nested(AssignmentSchema, many=True)
    units = fields.Nested(EventUnitSchema, many=True)
    unit_ids = fields.Function(lambda obj: [u["id"] for u in obj.units])
    completed_at = AwareDateTime(allow_none=True)
    cancelled_at = AwareDateTime(allow_none=True)
    created_at = AwareDateTime()
    updated_at = AwareDateTime()

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """An attribute of the `service.domain.services.EventOut` dumped (marshmallow's own
        look-up first tries `obj[attr]` and dotted paths, which an event never needs)."""
        return getattr(obj, attr, default)

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        many = self.many if many is None else many
        return [event_json(e) for e in obj] if many else event_json(obj)

    def dump_by_fields(self, obj: Any) -> Any:
        """The event dumped field by field by marshmallow (what `event_json` must equal)."""
        return super().dump(obj, many=False)


class EventQuerySchema(Base):
    country = CountryCode()
    kind = choice(ServiceKind)
    status = choice(EventStatus)
    system = fields.Integer()
    from_ = DateOrDateTime(data_key="from", metadata={"description": "events ending after this"})
    to = DateOrDateTime(metadata={"description": "events starting before this"})
    series = fields.String(validate=validate.Length(max=36))
    request = fields.Integer()
    sort = SortField(("upcoming", "start", "end", "title", "kind", "status", "country"), default="start",
                     one_way=("upcoming",))  # upcoming: the next to start first, past ones after


class ResultSchema(Base):
    nomination_id = fields.Integer(required=True, validate=validate.Range(min=1))
    result = fields.String(required=True, validate=validate.OneOf(
        ["passed", "failed", "attended", "absent"]))
    score = fields.Float(allow_none=True, validate=validate.Range(min=0, max=100))


class TransitionSchema(Base):
    status = choice(EventStatus, required=True)
    results = fields.List(fields.Nested(ResultSchema), validate=validate.Length(max=1000),
                          metadata={"description": "when completing a service with nominees: "
                                                   "each nominee's result"})
    reason = text(1000, required=False)
    participants_actual = fields.Integer(validate=validate.Range(min=0, max=100000),
                                         metadata={"description": "when completing"})
    outcome = text(4000, required=False, metadata={"description": "when completing"})
    early = fields.Boolean(metadata={"description": "start before starts_at or complete before "
                                                    "ends_at (needs a reason; audited)"})


class RequestSchema(VersionedSchema):
    id = fields.Integer(dump_only=True)
    country = CountryCode(attribute="country_code",
                          metadata={"description": "a liaison's own country by default; staff give it"})
    kind = choice(ServiceKind, required=True)
    system_id = fields.Integer(required=True, validate=validate.Range(min=1))
    wished_from = fields.Date(required=True)
    wished_to = fields.Date(required=True)
    description = text(4000, required=False, min_length=0)
    status = fields.String(dump_only=True)
    decline_reason = fields.String(dump_only=True, allow_none=True)
    event_id = fields.Integer(dump_only=True, allow_none=True)
    requested_by = fields.Integer(dump_only=True, allow_none=True)
    decided_at = AwareDateTime(dump_only=True, allow_none=True)
    created_at = AwareDateTime(dump_only=True)

    @validates_schema
    def _wished_order(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("wished_from"), data.get("wished_to")
        if start and end and end < start:
            raise ValidationError("Cannot be before the first wished day.", "wished_to")


class RequestEditSchema(RequestSchema):
    """A pending request's changes: any of what was asked, never its country."""

    class Meta:
        exclude = ("country",)

    kind = choice(ServiceKind)
    system_id = fields.Integer(validate=validate.Range(min=1))
    wished_from = fields.Date()
    wished_to = fields.Date()


class RequestQuerySchema(Base):
    status = choice(RequestStatus)
    country = CountryCode()
    sort = SortField(("filed", "wished", "kind", "status", "country"), default="-filed")


class DeclineSchema(Base):
    reason = text(1000)


class NotificationSchema(Base):
    id = fields.Integer()
    key = fields.String()
    kind = fields.String()
    user_id = fields.Integer(allow_none=True)
    recipient = fields.String()
    subject = fields.String()
    body = fields.String()
    data = fields.Dict(allow_none=True)
    created_at = AwareDateTime()
    sent_at = AwareDateTime(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)


class NotificationQuerySchema(Base):
    user = fields.Integer(metadata={"description": "admins: one user's notifications"})
    kind = fields.String(validate=validate.Length(max=40))
    unsent = fields.Boolean()


class FeedSchema(Base):
    calendar_feed_url = fields.String()
