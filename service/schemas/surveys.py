"""Schemas for survey templates, surveys and their answers, satisfaction figures and actions."""

from __future__ import annotations

from typing import Any

from babel import localedata
from marshmallow import ValidationError, fields, validate, validates_schema

from models import ActionStatus, ServiceKind, SurveyStatus
from service.domain import periods
from service.domain.surveys import QUESTION_KINDS
from service.schemas.common import (
    AwareDateTime,
    Base,
    CountryCode,
    SortField,
    VersionedSchema,
    choice,
    period_field,
    text,
)


def _rating(low: int, high: int, **kw: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=low, max=high), **kw)


# --- templates -------------------------------------------------------------------------------


def language_code(value: str) -> None:
    """A two-letter ISO 639-1 language Babel knows (`en`, `ko`, `pl`…)."""
    if not (len(value) == 2 and value.isascii() and value.islower() and localedata.exists(value)):
        raise ValidationError("a two-letter language code such as en, ko or pl")


class QuestionSchema(Base):
    id = fields.String(required=True, validate=validate.OneOf(list(QUESTION_KINDS)),
                       metadata={"description": "which answer field the question fills"})
    text = text(300)
    required = fields.Boolean(load_default=True,
                              metadata={"description": "overall and recommend are always required"})
    type = fields.String(dump_only=True, metadata={"description": "rating, scale or text"})
    min = fields.Integer(dump_only=True)
    max = fields.Integer(dump_only=True)
    max_length = fields.Integer(dump_only=True)
    texts = fields.Dict(keys=fields.String(validate=language_code),
                        values=fields.String(validate=validate.Length(min=1, max=300)),
                        load_default=dict,
                        metadata={"description": "the question in other languages, e.g. "
                                  '{"ko": "…", "pl": "…"}; `text` is the English'})


class TemplateSchema(Base):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    revision = fields.Integer(dump_only=True)
    active = fields.Boolean(dump_only=True)
    created_at = AwareDateTime(dump_only=True)
    questions = fields.List(fields.Nested(QuestionSchema), required=True,
                            validate=validate.Length(min=2, max=len(QUESTION_KINDS)))


# --- answering ----------------------------------------------------------------------------


class AnswerSchema(Base):
    overall = _rating(1, 5, required=True)
    instructors = _rating(1, 5, allow_none=True)
    timeliness = _rating(1, 5, allow_none=True)
    documentation = _rating(1, 5, allow_none=True)
    equipment = _rating(1, 5, allow_none=True)
    recommend = _rating(0, 10, required=True)
    comment = text(4000, required=False, min_length=0, allow_none=True)
    language = fields.String(load_default="en", validate=[validate.Length(min=2, max=2), language_code],
                             metadata={"description": "the language the questions were read in"})


class ResponseSchema(Base):
    overall = fields.Integer()
    instructors = fields.Integer(allow_none=True)
    timeliness = fields.Integer(allow_none=True)
    documentation = fields.Integer(allow_none=True)
    equipment = fields.Integer(allow_none=True)
    recommend = fields.Integer()
    comment = fields.String(allow_none=True)
    language = fields.String(metadata={"description": "the language the questions were read in"})
    answered_at = AwareDateTime()
    answered_by = fields.Integer(allow_none=True, metadata={"description": "user id; none by link"})


class PublicEventSchema(Base):
    title = fields.String()
    kind = fields.String()
    system = fields.String(metadata={"description": "the weapon system's name"})
    country = fields.String(metadata={"description": "the buyer country's name"})
    starts_at = AwareDateTime()
    ends_at = AwareDateTime()
    location = fields.String()


class PublicSurveySchema(Base):
    """What a token holder sees: the questions and what they are about, nothing else."""

    event = fields.Nested(PublicEventSchema)
    questions = fields.List(fields.Nested(QuestionSchema))
    languages = fields.List(fields.String(), metadata={"description": "the languages offered"})
    language = fields.String(metadata={"description": "the language `questions` are worded in "
                                       "(`?lang=`, else Accept-Language, else English)"})
    template_revision = fields.Integer()
    expires_at = AwareDateTime()


class SurveyLanguageQuerySchema(Base):
    lang = fields.String(validate=language_code,
                         metadata={"description": "the language wanted (one the survey offers)"})


class AnswerReceiptSchema(Base):
    status = fields.String()
    answered_at = AwareDateTime()


# --- surveys ----------------------------------------------------------------------------


class SurveySchema(Base):
    id = fields.Integer()
    event_id = fields.Integer(allow_none=True, metadata={"description": "the service surveyed"})
    deficiency_id = fields.Integer(allow_none=True, metadata={
        "description": "or: the closed deficiency report whose handling is surveyed "
                       "(kind `deficiency_handling`)"})
    event_title = fields.String(metadata={"description": "what the survey is about"})
    country = fields.String(attribute="country_code")
    system_id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    period = fields.String()
    template_id = fields.Integer()
    template_revision = fields.Integer()
    sent_at = AwareDateTime()
    invited_at = AwareDateTime(allow_none=True)
    reminded_at = AwareDateTime(allow_none=True)
    expires_at = AwareDateTime()
    answered_at = AwareDateTime(allow_none=True)
    answer_url = fields.String(metadata={"description": "the public page; the token is the credential"})
    api_url = fields.String()
    response = fields.Nested(ResponseSchema, allow_none=True)


class SurveyQuerySchema(Base):
    country = CountryCode()
    event = fields.Integer(validate=validate.Range(min=1))
    deficiency = fields.Integer(validate=validate.Range(min=1))
    kind = fields.String(validate=validate.OneOf([*(k.value for k in ServiceKind), "deficiency_handling"]))
    status = choice(SurveyStatus)
    sort = SortField(("sent", "expires", "status", "country", "kind"), default="-sent")


# --- satisfaction ------------------------------------------------------------------------


MAX_MONTHS = 120  # ten years of monthly figures at most per request


class SatisfactionQuerySchema(Base):
    country = CountryCode()
    system = fields.Integer(validate=validate.Range(min=1))
    kind = choice(ServiceKind)
    period_from = period_field(data_key="from",
                               metadata={"description": "YYYY-MM; default 11 months before `to`"})
    period_to = period_field(data_key="to", metadata={"description": "YYYY-MM; default the current month"})

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("period_from"), data.get("period_to") or periods.current()
        if start and start > end:
            raise ValidationError("Must not be after `to`.", "from")
        if start and len(periods.between(start, min(end, periods.shift(start, MAX_MONTHS)))) > MAX_MONTHS:
            raise ValidationError(f"At most {MAX_MONTHS} months from `from`.", "to")


class MonthSchema(Base):
    period = fields.String()
    responses = fields.Integer()
    surveys_sent = fields.Integer()
    response_rate = fields.Float(allow_none=True)
    csat = fields.Float(allow_none=True)
    nps = fields.Float(allow_none=True)


class FiguresSchema(MonthSchema):
    period_from = fields.String(attribute="from", data_key="from")
    period_to = fields.String(attribute="to", data_key="to")
    dimensions = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    by_month = fields.List(fields.Nested(MonthSchema))


class SatisfactionSchema(FiguresSchema):
    """The services' figures; beside them, never mixed in, the surveys on how closed
    deficiency reports were handled (SPEC §9)."""

    deficiency_handling = fields.Nested(FiguresSchema, metadata={
        "description": "the surveys sent when a deficiency report is closed, for the same country, "
                       "system and months (`kind` does not apply): reported apart, never counted "
                       "in the services' figures"})


# --- corrective actions ------------------------------------------------------------------


class ActionSchema(VersionedSchema):
    id = fields.Integer()
    country = fields.String(attribute="country_code")
    event_id = fields.Integer(allow_none=True)
    response_id = fields.Integer(allow_none=True)
    deficiency_id = fields.Integer(allow_none=True)
    source = fields.String(allow_none=True, metadata={"description": "what opened the action"})
    owner_staff_id = fields.Integer(allow_none=True)
    title = fields.String()
    reasons = fields.List(fields.String())
    due_on = fields.Date()
    status = fields.String()
    resolution = fields.String(allow_none=True)
    opened_at = AwareDateTime()
    closed_at = AwareDateTime(allow_none=True)
    escalated_at = AwareDateTime(allow_none=True)


class ActionCommentSchema(Base):
    id = fields.Integer(dump_only=True)
    action_id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True, metadata={"description": "comment, or status (a move of its state)"})
    internal = fields.Boolean(load_default=False, metadata={
        "description": "a staff member's internal note, which the country's liaisons never see"})
    status = fields.String(dump_only=True, metadata={"description": "the action's state when written"})
    body = text(4000)
    author_name = fields.String(dump_only=True)
    created_at = AwareDateTime(dump_only=True)


class ActionUpdateSchema(Base):
    status = choice(ActionStatus)
    resolution = text(4000, required=False)
    owner_staff_id = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    due_on = fields.Date()


class ActionQuerySchema(Base):
    country = CountryCode()
    status = choice(ActionStatus)
    overdue = fields.Boolean(metadata={"description": "only actions past their due date, not closed"})
    sort = SortField(("open", "due", "status", "title", "country", "opened"), default="open,due",
                     one_way=("open",))  # open: the open and in-progress ones before the closed
