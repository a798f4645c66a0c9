"""Schemas for planning: skills, unavailability windows, availability and suggested slots."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from models import ServiceKind
from service.schemas.common import AwareDateTime, Base, CountryCode, DateOrDateTime, choice, text

SKILL_KINDS = ("instructor", "technician", "interpreter", "engineer")
SKILL_RE = re.compile(rf"^({'|'.join(SKILL_KINDS)}):[A-Za-z0-9][A-Za-z0-9._-]{{0,39}}$")
MAX_RANGE_DAYS = 366


def validate_skill(value: str) -> None:
    """A skill is `kind:subject`: `instructor:K9A1`, `technician:FA-50`, `interpreter:pl`."""
    if not SKILL_RE.match(value):
        raise ValidationError(f"A skill is kind:subject with kind one of {', '.join(SKILL_KINDS)} "
                              "and a subject of letters, digits, '.', '_' or '-' (e.g. "
                              "instructor:K9A1, interpreter:pl).")


def skill_field(**kwargs: Any) -> fields.String:
    kwargs.setdefault("metadata", {"example": "instructor:K9A1"})
    return fields.String(validate=[validate.Length(max=52), validate_skill], **kwargs)


def skills_field(**kwargs: Any) -> fields.List:
    return fields.List(skill_field(), validate=validate.Length(max=30), **kwargs)


def _window_order(data: dict[str, Any], start: str, end: str, *, max_days: int) -> None:
    starts, ends = data.get(start), data.get(end)
    if starts and ends:
        if ends <= starts:
            raise ValidationError(f"Must be after {start}.", end)
        if ends - starts > dt.timedelta(days=max_days):
            raise ValidationError(f"At most {max_days} days after {start}.", end)


class UnavailabilitySchema(Base):
    id = fields.Integer(dump_only=True)
    staff_id = fields.Integer(dump_only=True)
    starts_at = AwareDateTime(required=True)
    ends_at = AwareDateTime(required=True)
    reason = text(200, metadata={"example": "annual leave"})
    created_at = AwareDateTime(dump_only=True)

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        _window_order(data, "starts_at", "ends_at", max_days=MAX_RANGE_DAYS)


class AvailabilityQuerySchema(Base):
    from_ = DateOrDateTime(data_key="from", required=True)
    to = DateOrDateTime(required=True)
    staff = fields.List(fields.Integer(validate=validate.Range(min=1)),
                        validate=validate.Length(max=500),
                        metadata={"description": "staff member ids (repeat the parameter)"})
    unit = fields.List(fields.Integer(validate=validate.Range(min=1)),
                       validate=validate.Length(max=500),
                       metadata={"description": "unit ids (repeat the parameter)"})
    skill = skill_field(metadata={"description": "only staff members with this skill"})
    country = CountryCode(metadata={"description": "the units of this country"})
    system = fields.Integer(validate=validate.Range(min=1),
                            metadata={"description": "the units of this system"})

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        _window_order(data, "from_", "to", max_days=MAX_RANGE_DAYS)


class BusySchema(Base):
    starts_at = AwareDateTime()
    ends_at = AwareDateTime()
    what = fields.String(metadata={"description": "service or unavailable"})
    event_id = fields.Integer(allow_none=True)
    title = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class StaffAvailabilitySchema(Base):
    id = fields.Integer()
    name = fields.String()
    skills = fields.List(fields.String())
    busy = fields.List(fields.Nested(BusySchema))


class UnitAvailabilitySchema(Base):
    id = fields.Integer()
    serial = fields.String()
    status = fields.String()
    country = fields.String(attribute="country_code")
    system_id = fields.Integer()
    busy = fields.List(fields.Nested(BusySchema))


class AvailabilitySchema(Base):
    from_ = AwareDateTime(data_key="from")
    to = AwareDateTime()
    staff = fields.List(fields.Nested(StaffAvailabilitySchema))
    units = fields.List(fields.Nested(UnitAvailabilitySchema))


class RequirementSchema(Base):
    skill = skill_field(required=True)
    count = fields.Integer(required=True, validate=validate.Range(min=1, max=20))


class UnitNeedSchema(Base):
    count = fields.Integer(validate=validate.Range(min=0, max=50))
    serials = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                          validate=validate.Length(min=1, max=50))

    @validates_schema
    def _one(self, data: dict[str, Any], **_: Any) -> None:
        if ("count" in data) == ("serials" in data):
            raise ValidationError("Give either count or serials.", "count")


class WorkingHoursSchema(Base):
    start = fields.Time(load_default=dt.time(8), format="%H:%M")
    end = fields.Time(load_default=dt.time(17), format="%H:%M")

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        if data["end"] <= data["start"]:
            raise ValidationError("Must be after start.", "end")


class SuggestSchema(Base):
    kind = choice(ServiceKind, required=True)
    country = CountryCode(required=True)
    system = fields.Integer(required=True, validate=validate.Range(min=1),
                            metadata={"description": "the system's id"})
    duration_days = fields.Integer(validate=validate.Range(min=1, max=60),
                                   metadata={"description": "whole working days"})
    duration_hours = fields.Integer(validate=validate.Range(min=1, max=24),
                                    metadata={"description": "hours within one working day"})
    earliest_start = DateOrDateTime(required=True)
    latest_end = DateOrDateTime(required=True)
    requirements = fields.List(fields.Nested(RequirementSchema), load_default=list,
                               validate=validate.Length(max=10))
    units = fields.Nested(UnitNeedSchema, load_default=lambda: {"count": 0})
    working_days = fields.List(fields.Integer(validate=validate.Range(min=1, max=7)),
                               load_default=lambda: [1, 2, 3, 4, 5],
                               validate=validate.Length(min=1, max=7),
                               metadata={"description": "ISO weekdays, 1 = Monday"})
    working_hours = fields.Nested(WorkingHoursSchema,
                                  load_default=lambda: {"start": dt.time(8), "end": dt.time(17)},
                                  metadata={"description": "local times, HH:MM, in the country's zone"})

    @validates_schema
    def _shape(self, data: dict[str, Any], **_: Any) -> None:
        if ("duration_days" in data) == ("duration_hours" in data):
            raise ValidationError("Give either duration_days or duration_hours.", "duration_days")
        _window_order(data, "earliest_start", "latest_end", max_days=MAX_RANGE_DAYS)
        skills = [r["skill"] for r in data.get("requirements", [])]
        if len(skills) != len(set(skills)):
            raise ValidationError("Each skill appears once.", "requirements")
        hours = data.get("working_hours")
        if "duration_hours" in data and hours:
            span = (dt.datetime.combine(dt.date.min, hours["end"])
                    - dt.datetime.combine(dt.date.min, hours["start"]))
            if dt.timedelta(hours=data["duration_hours"]) > span:
                raise ValidationError("Longer than a working day.", "duration_hours")


class ProposalStaffSchema(Base):
    id = fields.Integer()
    name = fields.String()
    skill = fields.String(metadata={"description": "the requirement this person meets"})


class ProposalUnitSchema(Base):
    id = fields.Integer()
    serial = fields.String()


class ProposalSchema(Base):
    starts_at = AwareDateTime()
    ends_at = AwareDateTime()
    starts_at_local = fields.String()
    ends_at_local = fields.String()
    idle_staff_hours = fields.Float(metadata={"description": "hours the chosen staff wait between "
                                                             "their neighbouring bookings and this"})
    staff = fields.List(fields.Nested(ProposalStaffSchema))
    units = fields.List(fields.Nested(ProposalUnitSchema))


class MissSchema(Base):
    requirement = fields.String(metadata={"description": "a skill, or `units`"})
    needed = fields.Integer()
    best = fields.Integer(metadata={"description": "the most free at once in the window"})
    first_fit_starts_at = AwareDateTime(allow_none=True,
                                        metadata={"description": "the first slot after the window "
                                                                 "where it is met (searched 180 days on)"})
    message = fields.String()


class SuggestionsSchema(Base):
    timezone = fields.String()
    proposals = fields.List(fields.Nested(ProposalSchema))
    unmet = fields.List(fields.Nested(MissSchema))


class BoardQuerySchema(Base):
    """The planning board's filters (the page reads them from its query string)."""

    country = CountryCode(required=True)
    system = fields.Integer(required=True, validate=validate.Range(min=1))
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    skill = fields.List(skill_field(), validate=validate.Length(max=10))
    staff_page = fields.Integer(validate=validate.Range(min=1, max=10000))
    unit_page = fields.Integer(validate=validate.Range(min=1, max=10000))

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        first, last = data.get("from_"), data.get("to")
        if first and last and last < first:
            raise ValidationError("Cannot be before from.", "to")
