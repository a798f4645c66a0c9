"""Schemas for support-package lines, deliveries and the contract's plan (SPEC §11)."""

from __future__ import annotations

from marshmallow import fields, validate

from models import LineKind
from service.schemas.common import AwareDateTime, Base, CountryCode, VersionedSchema, choice, past_day, text
from service.schemas.services import AssignmentSchema


class LineCreateSchema(Base):
    kind = choice(LineKind, required=True)
    system_id = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    description = text(300, required=False, min_length=0)
    language = fields.String(allow_none=True, validate=validate.Length(min=2, max=16))
    revision = fields.String(allow_none=True, validate=validate.Length(min=1, max=32))
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    due_on = fields.Date(required=True)


class LineSchema(Base):
    id = fields.Integer()
    contract_id = fields.Integer()
    country = fields.String()
    kind = fields.String()
    system_id = fields.Integer(allow_none=True)
    description = fields.String()
    language = fields.String(allow_none=True)
    revision = fields.String(allow_none=True)
    quantity = fields.Integer()
    due_on = fields.Date()
    delivered = fields.Integer(metadata={"description": "counted: every delivery not disputed"})
    accepted = fields.Integer()
    disputed = fields.Integer(metadata={"description": "deliveries under dispute"})
    remaining = fields.Integer()
    scheduled_services = fields.Integer()
    state = fields.String(metadata={"description": "planned, in_progress, delivered, accepted, overdue"})
    version = fields.Integer()


class DeliveryCreateSchema(Base):
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    delivered_on = fields.Date(required=True)
    note = text(1000, required=False, min_length=0)


class DeliverySchema(VersionedSchema):
    id = fields.Integer()
    line_id = fields.Integer()
    country = fields.String(attribute="country_code")
    event_id = fields.Integer(allow_none=True)
    quantity = fields.Integer()
    delivered_on = fields.Date()
    note = fields.String()
    status = fields.String(metadata={"description": "pending, accepted, disputed, answered"})
    dispute_reason = fields.String(allow_none=True)
    answer = fields.String(allow_none=True)
    decided_at = AwareDateTime(allow_none=True)
    created_at = AwareDateTime()


class DisputeSchema(Base):
    reason = text(2000)


class DeliveryAnswerSchema(Base):
    answer = text(2000)


class PlanSchema(Base):
    staff = fields.List(fields.Integer(validate=validate.Range(min=1)), load_default=list,
                        validate=validate.Length(max=20),
                        metadata={"description": "staff to deliver the services (bookings checked)"})
    days = fields.Integer(load_default=3, validate=validate.Range(min=1, max=30))
    lead_days = fields.Integer(load_default=14, validate=validate.Range(min=0, max=365))
    seats = fields.Integer(load_default=20, validate=validate.Range(min=1, max=500),
                           metadata={"description": "seats per training course"})


class PackageProposalSchema(Base):
    line_id = fields.Integer(required=True, validate=validate.Range(min=1))
    kind = fields.String(required=True,
                         validate=validate.OneOf(["joint_training", "tech_education", "trial_run"]))
    system_id = fields.Integer(required=True, validate=validate.Range(min=1))
    title = text(200)
    starts_at = AwareDateTime(required=True)
    ends_at = AwareDateTime(required=True)
    timezone = fields.String(validate=validate.Length(max=64))
    staff = fields.List(fields.Nested(AssignmentSchema), load_default=list)
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100000))
    due_on = fields.Date(metadata={"description": "the line's due date (ignored when confirming)"})
    late = fields.Boolean(metadata={"description": "no free window before the due date (ignored "
                                                   "when confirming)"})


class ConfirmSchema(Base):
    services = fields.List(fields.Nested(PackageProposalSchema), required=True,
                           validate=validate.Length(min=1, max=200))


class ConfirmedSchema(Base):
    event_ids = fields.List(fields.Integer())


class PackageSummaryQuerySchema(Base):
    country = CountryCode()
    as_of = past_day("the deliveries made by that day (a monthly report's: its month's last day); "
                     "default today")


class PackageSummarySchema(Base):
    contract_id = fields.Integer()
    number = fields.String()
    country = fields.String()
    lines = fields.Integer()
    promised = fields.Integer()
    delivered = fields.Integer()
    lines_delivered = fields.Integer()
    overdue = fields.Integer()
    share_delivered = fields.Float(allow_none=True,
                                   metadata={"description": "% of promised quantity, n = promised"})
