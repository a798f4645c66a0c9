"""Schemas for service bulletins, their releases, acknowledgements, compliance and figures."""

from __future__ import annotations

from marshmallow import fields, validate

from models import BulletinKind, ComplianceStatus
from service.schemas.common import (
    AwareDateTime,
    Base,
    CountryCode,
    DateOrDateTime,
    VersionedSchema,
    choice,
    not_ahead,
    text,
)


class SerialRangeSchema(Base):
    from_ = fields.String(data_key="from", attribute="from", required=True,
                          validate=validate.Length(min=1, max=64))
    to = fields.String(required=True, validate=validate.Length(min=1, max=64))


class BulletinCreateSchema(Base):
    system_id = fields.Integer(required=True, validate=validate.Range(min=1))
    kind = choice(BulletinKind, required=True)
    title = text(200)
    body = text(20000)
    serial_ranges = fields.List(fields.Nested(SerialRangeSchema), load_default=list,
                                validate=validate.Length(max=50),
                                metadata={"description": "none: every unit of the system"})
    compliance_due_days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=3650))


class BulletinUpdateSchema(Base):
    kind = choice(BulletinKind)
    title = text(200, required=False)
    body = text(20000, required=False)
    serial_ranges = fields.List(fields.Nested(SerialRangeSchema), validate=validate.Length(max=50))
    compliance_due_days = fields.Integer(validate=validate.Range(min=1, max=3650))
    revision_note = text(1000, required=False, metadata={"description": "what this revision changes"})


class ReleaseOutSchema(Base):
    country = fields.String()
    released_at = AwareDateTime()
    due_at = AwareDateTime(metadata={"description": "safety and mandatory: compliance due"})
    withdrawn_at = AwareDateTime(allow_none=True)
    acknowledged_at = AwareDateTime(allow_none=True, metadata={"description": "of the current revision"})
    acknowledged_by = fields.String(allow_none=True)
    overdue = fields.Boolean()


class BulletinSchema(VersionedSchema):
    id = fields.Integer()
    number = fields.String()
    system_id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    serial_ranges = fields.List(fields.Nested(SerialRangeSchema),
                                metadata={"description": "a liaison: those covering their units"})
    limited_to_ranges = fields.Boolean(metadata={"description": "false: every unit of the system"})
    compliance_due_days = fields.Integer()
    revision = fields.Integer()
    revision_note = fields.String(allow_none=True)
    revised_at = AwareDateTime(allow_none=True)
    releases = fields.List(fields.Nested(ReleaseOutSchema),
                           metadata={"description": "staff: every country; a liaison: their own"})
    acknowledged = fields.Boolean(metadata={"description": "this revision, by every released country"})
    created_at = AwareDateTime()
    updated_at = AwareDateTime()


class BulletinQuerySchema(Base):
    system = fields.Integer()
    kind = choice(BulletinKind)
    country = CountryCode(metadata={"description": "released to this country now"})


class ReleaseSchema(Base):
    countries = fields.List(CountryCode(), validate=validate.Length(min=1, max=200),
                            metadata={"description": "none: every country with an applicable unit"})


class ReleaseRowSchema(Base):
    bulletin_id = fields.Integer()
    country = fields.String(attribute="country_code")
    released_at = AwareDateTime()
    released_by = fields.Integer(allow_none=True)
    due_at = AwareDateTime()
    withdrawn_at = AwareDateTime(allow_none=True)
    withdrawn_by = fields.Integer(allow_none=True)


class AcknowledgementSchema(Base):
    id = fields.Integer()
    bulletin_id = fields.Integer()
    country = fields.String(attribute="country_code")
    revision = fields.Integer()
    user_id = fields.Integer(allow_none=True)
    user_name = fields.String()
    at = AwareDateTime()


class ComplianceInSchema(Base):
    status = choice(ComplianceStatus, required=True)
    done_on = fields.Date(metadata={"description": "when done"})
    reason = text(1000, required=False, metadata={"description": "when not applicable"})


class UnitComplianceSchema(Base):
    unit_id = fields.Integer()
    serial = fields.String()
    country = fields.String(attribute="country_code")
    due_at = AwareDateTime()
    status = fields.String()
    done_on = fields.Date(allow_none=True)
    reason = fields.String(allow_none=True)
    recorded_at = AwareDateTime(allow_none=True)
    version = fields.Integer(allow_none=True, metadata={"description": "send as If-Match to change it"})
    overdue = fields.Boolean()


class ComplianceRowSchema(VersionedSchema):
    bulletin_id = fields.Integer()
    unit_id = fields.Integer()
    country = fields.String(attribute="country_code")
    status = fields.String()
    done_on = fields.Date(allow_none=True)
    reason = fields.String(allow_none=True)
    recorded_by = fields.Integer(allow_none=True)
    recorded_at = AwareDateTime()


class FiguresQuerySchema(Base):
    bulletin = fields.Integer()
    system = fields.Integer()
    country = CountryCode(metadata={"description": "one country's figures (a liaison: always theirs)"})
    as_of = DateOrDateTime(validate=not_ahead, metadata={
        "description": "the figures as they stood then (a date: its midnight UTC; a monthly report's "
                       "are as of its month's end, the next month's first midnight UTC); default now"})


class CountryFiguresSchema(Base):
    country = fields.String()
    released = fields.Integer(metadata={"description": "bulletins released to the country"})
    acknowledged = fields.Integer(metadata={"description": "of them, acknowledged in their current revision"})
    acknowledged_share = fields.Float(allow_none=True, metadata={"description": "percent; n = released"})
    units = fields.Integer(metadata={"description": "units concerned by its safety and mandatory bulletins"})
    done = fields.Integer()
    not_applicable = fields.Integer()
    pending = fields.Integer()
    overdue = fields.Integer(metadata={"description": "pending past the due time"})
    complied_share = fields.Float(allow_none=True,
                                  metadata={"description": "done or n/a, percent; n = units"})


class BulletinAttachmentSchema(Base):
    id = fields.Integer()
    bulletin_id = fields.Integer()
    filename = fields.String()
    content_type = fields.String(metadata={"description": "read from the content"})
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.Integer(allow_none=True)
    created_at = AwareDateTime()
