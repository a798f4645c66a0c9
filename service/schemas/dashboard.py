"""Schemas for a country's status summary (the dashboard's data, as JSON)."""

from __future__ import annotations

from marshmallow import fields, validate

from service.domain.dashboard import GLANCE_SORTS
from service.schemas.common import AwareDateTime, Base
from service.schemas.packages import PackageSummarySchema
from service.schemas.registry import FleetLineSchema
from service.schemas.surveys import SatisfactionSchema
from service.schemas.training import QualifiedSchema


class StatusCountrySchema(Base):
    code = fields.String()
    name = fields.String()
    timezone = fields.String()
    active = fields.Boolean()


class StatusEventSchema(Base):
    id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    system_code = fields.String()
    starts_at = AwareDateTime()
    ends_at = AwareDateTime()
    timezone = fields.String()
    location = fields.String()
    status = fields.String()
    participants_actual = fields.Integer(allow_none=True)


class StatusRequestSchema(Base):
    id = fields.Integer()
    kind = fields.String()
    system_code = fields.String()
    wished_from = fields.Date()
    wished_to = fields.Date()
    status = fields.String()
    created_at = AwareDateTime()


class StatusRequestsSchema(Base):
    total = fields.Integer()
    items = fields.List(fields.Nested(StatusRequestSchema))


class StatusActionSchema(Base):
    id = fields.Integer()
    title = fields.String()
    status = fields.String()
    due_on = fields.Date()
    overdue = fields.Boolean()


class StatusActionsSchema(Base):
    total = fields.Integer()
    overdue = fields.Integer()
    items = fields.List(fields.Nested(StatusActionSchema))


class StatusSurveySchema(Base):
    id = fields.Integer()
    event_id = fields.Integer()
    event_title = fields.String()
    kind = fields.String()
    sent_at = AwareDateTime()
    expires_at = AwareDateTime()


class StatusSurveysSchema(Base):
    total = fields.Integer()
    items = fields.List(fields.Nested(StatusSurveySchema))


class StatusReportSchema(Base):
    id = fields.Integer()
    kind = fields.String()
    period = fields.String()
    revision = fields.Integer()
    generated_at = AwareDateTime()
    pages = fields.Integer(allow_none=True)
    size = fields.Integer(allow_none=True)


class StatusDeficienciesSchema(Base):
    open = fields.Integer()
    open_by_severity = fields.Dict(keys=fields.String(), values=fields.Integer())
    overdue = fields.Integer()
    next_due_at = AwareDateTime(allow_none=True,
                                metadata={"description": "the next due time of an open report"})
    availability_now = fields.Float(allow_none=True, metadata={"description": "this month, percent"})
    availability_target = fields.Float()
    availability_trend = fields.List(fields.Dict(), metadata={"description": "the last 12 months"})


class CountryStatusSchema(Base):
    country = fields.Nested(StatusCountrySchema)
    qualified = fields.List(fields.Nested(QualifiedSchema))
    packages = fields.List(fields.Nested(PackageSummarySchema))
    deficiencies = fields.Nested(StatusDeficienciesSchema)
    generated_at = AwareDateTime()
    fleet = fields.List(fields.Nested(FleetLineSchema))
    satisfaction = fields.Nested(SatisfactionSchema)  # the same figures GET /satisfaction answers
    next_services = fields.List(fields.Nested(StatusEventSchema))
    completed_services = fields.List(fields.Nested(StatusEventSchema))
    open_requests = fields.Nested(StatusRequestsSchema)
    open_actions = fields.Nested(StatusActionsSchema)
    surveys_waiting = fields.Nested(StatusSurveysSchema)
    reports = fields.List(fields.Nested(StatusReportSchema))


class GlanceQuerySchema(Base):
    """The countries table's order: a column, "-column" for descending."""

    sort = fields.String(load_default="name", validate=validate.OneOf(
        [*GLANCE_SORTS, *(f"-{key}" for key in GLANCE_SORTS)]))
