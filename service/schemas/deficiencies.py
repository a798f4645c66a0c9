"""Schemas for deficiency reports, their transitions, messages, attachments and SLA targets."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import fields, validate

from models import DeficiencyCategory, DeficiencyStatus, Disposition, Severity, UnitStatus
from service.schemas.common import (
    AsBuilt,
    AwareDateTime,
    Base,
    CountryCode,
    SortField,
    VersionedSchema,
    choice,
    period_field,
    text,
)
from service.schemas.services import DateOrDateTime, EventUnitSchema
from service.schemas.surveys import SatisfactionQuerySchema


class DeficiencyCreateSchema(Base):
    country = CountryCode(attribute="country_code",
                          metadata={"description": "a liaison's own country by default; staff give it"})
    system_id = fields.Integer(required=True, validate=validate.Range(min=1))
    unit_ids = fields.List(fields.Integer(validate=validate.Range(min=1)), required=True,
                           validate=validate.Length(min=1, max=50))
    category = choice(DeficiencyCategory, required=True)
    severity = choice(Severity, metadata={"description": "required, except for safety (always critical)"})
    title = text(200)
    description = text(8000)
    occurred_at = AwareDateTime(allow_none=True)


class DeficiencyUpdateSchema(Base):
    category = choice(DeficiencyCategory)
    severity = choice(Severity)
    title = text(200, required=False)
    description = text(8000, required=False)
    occurred_at = AwareDateTime(allow_none=True)


class DeficiencySchema(VersionedSchema):
    id = fields.Integer()
    number = fields.String()
    country = fields.String(attribute="country_code")
    system_id = fields.Integer()
    units = fields.List(fields.Nested(EventUnitSchema))
    category = fields.String()
    severity = fields.String()
    title = fields.String()
    description = fields.String()
    occurred_at = AwareDateTime(allow_none=True)
    status = fields.String()
    disposition = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    reopened = fields.Boolean()
    filed_by = fields.Integer(allow_none=True)
    submitted_at = AwareDateTime()
    acknowledged_at = AwareDateTime(allow_none=True)
    resolved_at = AwareDateTime(allow_none=True)
    closed_at = AwareDateTime(allow_none=True)
    acknowledge_due_at = AwareDateTime()
    resolve_due_at = AwareDateTime()
    paused = fields.Boolean(metadata={"description": "awaiting the buyer: the SLA clock is stopped"})
    overdue = fields.Boolean()
    allowed = fields.List(fields.String(), metadata={"description": "the moves you may make now"})
    updated_at = AwareDateTime()


class DeficiencyQuerySchema(Base):
    country = CountryCode()
    system = fields.Integer()
    unit = fields.Integer()
    status = choice(DeficiencyStatus)
    severity = choice(Severity)
    category = choice(DeficiencyCategory)
    overdue = fields.Boolean()
    from_ = DateOrDateTime(data_key="from", metadata={"description": "submitted at or after this"})
    to = DateOrDateTime(metadata={"description": "submitted before this"})
    sort = SortField(("submitted", "number", "severity", "status", "title", "country"), default="-submitted")


class DeficiencyTransitionSchema(Base):
    status = choice(DeficiencyStatus, required=True)
    reason = text(1000, required=False)
    disposition = choice(Disposition, metadata={"description": "when resolving"})
    resolution = text(4000, required=False, metadata={"description": "when resolving"})
    unit_status = choice(UnitStatus, metadata={
        "description": "staff: the units' new status (resolving as repaired or replaced returns "
                       "them to operational unless given)"})
    replacement_serial = text(64, required=False, metadata={
        "description": "resolving as replaced: the serial of the replacement (kept in the history)"})


class MessageSchema(Base):
    id = fields.Integer(dump_only=True)
    report_id = fields.Integer(dump_only=True)
    body = text(8000)
    internal = fields.Boolean(load_default=False,
                              metadata={"description": "a staff-only note the buyer never sees"})
    author_id = fields.Integer(dump_only=True, allow_none=True)
    author_name = fields.String(dump_only=True)
    created_at = AwareDateTime(dump_only=True)


class UploadSchema(Base):
    file = Upload(required=True, metadata={"description": "a photo (PNG, JPEG, GIF, WebP) or a PDF"})


class AttachmentSchema(Base):
    id = fields.Integer()
    report_id = fields.Integer()
    filename = fields.String()
    content_type = fields.String(metadata={"description": "read from the content"})
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.Integer(allow_none=True)
    created_at = AwareDateTime()


def _hours() -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=1, max=24 * 365))


def _days() -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=1, max=3650))


class SlaSchema(VersionedSchema):
    country = fields.String(attribute="country_code", dump_only=True)
    critical_acknowledge_hours = _hours()
    critical_resolve_days = _days()
    major_acknowledge_hours = _hours()
    major_resolve_days = _days()
    minor_acknowledge_hours = _hours()
    minor_resolve_days = _days()
    availability_target = fields.Float(validate=validate.Range(min=0, max=100),
                                       metadata={"description": "percent of unit-days operational"})


class StatusChangeSchema(Base):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    at = AwareDateTime()
    by = fields.String(attribute="by_label")
    reason = fields.String(allow_none=True)
    report_id = fields.Integer(allow_none=True)
    replacement_serial = fields.String(allow_none=True)


class UnitReportSchema(Base):
    id = fields.Integer()
    number = fields.String()
    title = fields.String()
    category = fields.String()
    severity = fields.String()
    status = fields.String()
    submitted_at = AwareDateTime()
    resolved_at = AwareDateTime(allow_none=True)


class UnitServiceSchema(Base):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    status = fields.String()
    starts_at = AwareDateTime()
    ends_at = AwareDateTime()


class UnitHistorySchema(Base):
    status_changes = fields.List(fields.Nested(StatusChangeSchema))
    deficiencies = fields.List(fields.Nested(UnitReportSchema))
    services = fields.List(fields.Nested(UnitServiceSchema))


class ReadinessQuerySchema(Base):
    country = CountryCode()
    system = fields.Integer(validate=validate.Range(min=1))
    period_from = period_field(data_key="from",
                               metadata={"description": "YYYY-MM; default 11 months before `to`"})
    period_to = period_field(data_key="to", metadata={"description": "YYYY-MM; default the current month"})

    _ordered = SatisfactionQuerySchema._ordered


class ReadinessRowSchema(Base):
    country = fields.String()
    system_id = fields.Integer()
    system_code = fields.String(allow_none=True)
    period = fields.String()
    availability = fields.Float(allow_none=True, metadata={
        "description": "percent of delivered unit-days operational; null: no unit delivered yet"})
    availability_target = fields.Float()
    under_target = fields.Boolean()
    unit_days = fields.Float()
    mttr_hours = fields.Float(allow_none=True, metadata={"description": "for returns in the month"})
    repairs = fields.Integer(metadata={"description": "returns to operational in the month"})
    units_down = fields.Integer(metadata={"description": "not operational at the month's end"})
    reports_opened = fields.Integer()
    reports_resolved = fields.Integer()
    reports_overdue = fields.Integer(metadata={"description": "resolution due in the month and missed"})
    reports_acknowledged = fields.Integer(metadata={"description": "the n of acknowledged_on_time"})
    acknowledged_on_time = fields.Float(allow_none=True, metadata={
        "description": "percent of reports_acknowledged"})
    resolved_on_time = fields.Float(allow_none=True, metadata={"description": "percent of reports_resolved"})
    bulletin_units_overdue = fields.Integer(metadata={
        "description": "units whose service-bulletin compliance fell due in the month and is still pending"})


class ReadinessCountrySchema(ReadinessRowSchema):
    """A country's month over all its systems (summed before rounding)."""

    class Meta:
        exclude = ("system_id", "system_code")


class ReadinessSchema(Base):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    # as built by service.domain.deficiencies.readiness (tests/test_readiness.py holds the keys)
    rows = AsBuilt(ReadinessRowSchema, many=True)
    countries = AsBuilt(ReadinessCountrySchema, many=True, metadata={
        "description": "per country and month over all its systems (with `system`, that one); "
                       "what the dashboard and the monthly reports show"})
