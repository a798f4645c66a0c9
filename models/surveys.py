"""Satisfaction surveys, their answers, and the corrective actions poor answers open."""

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import CountryScoped, StaffOnlyRows, Versioned, utc_field, utcnow


class SurveyStatus(StrEnum):
    sent = "sent"
    answered = "answered"
    expired = "expired"


class ActionStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    closed = "closed"


OPEN_ACTION_STATES = (ActionStatus.open.value, ActionStatus.in_progress.value)  # not closed


class SurveyTemplate(SQLModel, table=True):
    """The questions asked; a revision is never edited once answered, a new one is made."""

    __tablename__ = "survey_template"
    __table_args__ = (sa.UniqueConstraint("name", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    revision: int = Field(default=1)
    questions: list[dict[str, Any]] = Field(sa_type=sa.JSON)
    active: bool = Field(default=True)
    created_at: dt.datetime = utc_field(default_factory=utcnow)


class Survey(CountryScoped, SQLModel, table=True):
    """One invitation per completed event, or per closed deficiency report (SPEC §9: how the
    report was handled; kind `deficiency_handling`), answered through an unguessable token."""

    __table_args__ = (
        sa.Index("ix_survey_country_period", "country_code", "period"),
        # A country's surveys waiting for an answer (the dashboard), soonest expiry first.
        sa.Index("ix_survey_country_status_expires", "country_code", "status", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # exactly one of the two: the event surveyed, or the deficiency report whose handling is
    event_id: int | None = Field(default=None, foreign_key="service_event.id",
                                 sa_column_kwargs={"unique": True})
    deficiency_id: int | None = Field(default=None, foreign_key="deficiency_report.id",
                                      sa_column_kwargs={"unique": True})
    country_code: str = Field(foreign_key="country.code", max_length=2)
    system_id: int = Field(foreign_key="weapon_system.id", index=True)
    kind: str = Field(max_length=20)
    template_id: int = Field(foreign_key="survey_template.id")
    token: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    status: str = Field(default=SurveyStatus.sent.value, max_length=20, index=True)
    period: str = Field(max_length=7, index=True)  # YYYY-MM of sent_at (UTC): the month it counts in
    sent_at: dt.datetime = utc_field(default_factory=utcnow, index=True)
    invited_at: dt.datetime | None = utc_field(default=None)
    reminded_at: dt.datetime | None = utc_field(default=None)
    expires_at: dt.datetime = utc_field()
    answered_at: dt.datetime | None = utc_field(default=None)


class SurveyResponse(CountryScoped, SQLModel, table=True):
    """The answers to one survey (at most one): ratings 1-5, recommend 0-10, a comment."""

    __tablename__ = "survey_response"
    __table_args__ = (
        sa.Index("ix_survey_response_country_period", "country_code", "period"),
        sa.CheckConstraint("overall BETWEEN 1 AND 5", name="ck_response_overall"),
        sa.CheckConstraint("recommend BETWEEN 0 AND 10", name="ck_response_recommend"),
    )

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", sa_column_kwargs={"unique": True})
    event_id: int | None = Field(default=None, foreign_key="service_event.id", index=True)
    deficiency_id: int | None = Field(default=None, foreign_key="deficiency_report.id", index=True)
    country_code: str = Field(foreign_key="country.code", max_length=2)
    system_id: int = Field(foreign_key="weapon_system.id", index=True)
    kind: str = Field(max_length=20)
    template_id: int = Field(foreign_key="survey_template.id")
    period: str = Field(max_length=7, index=True)  # the survey's period, so rates stay <= 100 %
    overall: int
    instructors: int | None = None
    timeliness: int | None = None
    documentation: int | None = None
    equipment: int | None = None
    recommend: int
    comment: str | None = Field(default=None, max_length=4000)
    # the language the questions were read in (SPEC §12); the figures do not depend on it
    language: str = Field(default="en", sa_type=sa.String(5), sa_column_kwargs={"server_default": "en"})
    answered_at: dt.datetime = utc_field(default_factory=utcnow)
    answered_by: int | None = Field(default=None, foreign_key="app_user.id")


class CorrectiveAction(Versioned, CountryScoped, SQLModel, table=True):
    """Opened automatically by a poor answer; closed by staff with a resolution."""

    __tablename__ = "corrective_action"
    # Open and overdue actions are found among the open ones, a month's openings and closings
    # in that month: none of these reads the closed history.
    __table_args__ = (
        sa.Index("ix_corrective_action_country_status_due", "country_code", "status", "due_on"),
        sa.Index("ix_corrective_action_status_due", "status", "due_on"),
        sa.Index("ix_corrective_action_country_opened", "country_code", "opened_at"),
        sa.Index("ix_corrective_action_country_closed", "country_code", "closed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    country_code: str = Field(foreign_key="country.code", max_length=2, index=True)
    # A poor answer's action names its event and response; a deficiency report's, the report.
    event_id: int | None = Field(default=None, foreign_key="service_event.id")
    response_id: int | None = Field(default=None, foreign_key="survey_response.id",
                                    sa_column_kwargs={"unique": True})
    deficiency_id: int | None = Field(default=None, foreign_key="deficiency_report.id",
                                      sa_column_kwargs={"unique": True})
    source: str | None = Field(default=None, max_length=120)  # what opened it, in words
    owner_staff_id: int | None = Field(default=None, foreign_key="staff_member.id")
    title: str = Field(max_length=300)
    reasons: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    due_on: dt.date = Field(index=True)
    status: str = Field(default=ActionStatus.open.value, max_length=20, index=True)
    resolution: str | None = Field(default=None, max_length=4000)
    opened_at: dt.datetime = utc_field(default_factory=utcnow)
    closed_at: dt.datetime | None = utc_field(default=None)
    escalated_at: dt.datetime | None = utc_field(default=None)
    version: int = Field(default=1)


class ActionComment(StaffOnlyRows, CountryScoped, SQLModel, table=True):
    """One entry of an action's progress: a comment (the country's liaison or staff), a move of
    its state written by the rule that made it, or a staff member's internal note (`internal`:
    for staff eyes only, hidden by the scoping point like a report's internal notes). A note is
    a row of its own, so writing one changes nothing of the action a liaison reads, not even
    its version."""

    __tablename__ = "action_comment"
    __table_args__ = (sa.Index("ix_action_comment_action", "action_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="corrective_action.id")
    country_code: str = Field(max_length=2)
    kind: str = Field(default="comment", max_length=16)  # "comment" or "status"
    internal: bool = Field(default=False)
    status: str = Field(max_length=20)  # the action's state when it was written (after a move)
    body: str = Field(max_length=4000)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
    author_name: str = Field(max_length=254)
    created_at: dt.datetime = utc_field(default_factory=utcnow)
