"""Follow-up services: staff, events with their units and staff, requests from liaisons."""

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import CountryScoped, Versioned, utc_field, utcnow


class ServiceKind(StrEnum):
    joint_training = "joint_training"
    tech_education = "tech_education"
    trial_run = "trial_run"


class EventStatus(StrEnum):
    planned = "planned"
    confirmed = "confirmed"
    in_progress = "in_progress"
    completed = "completed"
    postponed = "postponed"
    cancelled = "cancelled"


class RequestStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    withdrawn = "withdrawn"


class StaffMember(Versioned, SQLModel, table=True):
    """A Korean instructor, interpreter or technician who delivers services."""

    __tablename__ = "staff_member"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    email: str | None = Field(default=None, max_length=254)
    skills: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    active: bool = Field(default=True)
    version: int = Field(default=1)
    created_at: dt.datetime = utc_field(default_factory=utcnow)


class ServiceEvent(Versioned, CountryScoped, SQLModel, table=True):
    """One follow-up service for a country and a system; times stored in UTC."""

    __tablename__ = "service_event"
    __audit_transition__ = "status"  # a change of it is audited as a "transition" (service.core.db)
    __table_args__ = (
        sa.Index("ix_service_event_country_starts", "country_code", "starts_at"),
        sa.Index("ix_service_event_window", "starts_at", "ends_at"),
        # What is still running or to come (planning's busy windows) without reading the history.
        sa.Index("ix_service_event_ends", "ends_at", "starts_at"),
        # A country's latest completed services, newest first, without reading its history.
        sa.Index("ix_service_event_country_status_ends", "country_code", "status", "ends_at"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_service_event_window"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, index=True)
    title: str = Field(max_length=200)
    country_code: str = Field(foreign_key="country.code", max_length=2)
    system_id: int = Field(foreign_key="weapon_system.id", index=True)
    starts_at: dt.datetime = utc_field()
    ends_at: dt.datetime = utc_field()
    timezone: str = Field(max_length=64)
    location: str = Field(default="", max_length=200)
    capacity: int | None = None
    participants_planned: int | None = None
    participants_actual: int | None = None
    objectives: str = Field(default="", max_length=4000)
    outcome: str | None = Field(default=None, max_length=4000)
    status: str = Field(default=EventStatus.planned.value, max_length=20, index=True)
    cancel_reason: str | None = Field(default=None, max_length=1000)
    series_id: str | None = Field(default=None, max_length=36, index=True)
    request_id: int | None = Field(default=None, foreign_key="service_request.id")
    completed_at: dt.datetime | None = utc_field(default=None)
    cancelled_at: dt.datetime | None = utc_field(default=None)  # a month's report: cancelled by its end?
    version: int = Field(default=1)
    created_at: dt.datetime = utc_field(default_factory=utcnow)
    updated_at: dt.datetime = utc_field(default_factory=utcnow)


class EventStaff(SQLModel, table=True):
    """A staff member assigned to an event; the lead owns its corrective actions."""

    __tablename__ = "event_staff"

    event_id: int = Field(foreign_key="service_event.id", primary_key=True)
    staff_id: int = Field(foreign_key="staff_member.id", primary_key=True, index=True)
    is_lead: bool = Field(default=False)


class EventUnit(SQLModel, table=True):
    """A delivered unit used in an event (e.g. in a trial run)."""

    __tablename__ = "event_unit"

    event_id: int = Field(foreign_key="service_event.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True, index=True)


class ServiceRequest(Versioned, CountryScoped, SQLModel, table=True):
    """A liaison asks for a service; staff accept (creating an event) or decline it."""

    __tablename__ = "service_request"

    id: int | None = Field(default=None, primary_key=True)
    country_code: str = Field(foreign_key="country.code", max_length=2, index=True)
    kind: str = Field(max_length=20)
    system_id: int = Field(foreign_key="weapon_system.id")
    wished_from: dt.date
    wished_to: dt.date
    description: str = Field(default="", max_length=4000)
    status: str = Field(default=RequestStatus.pending.value, max_length=20, index=True)
    decline_reason: str | None = Field(default=None, max_length=1000)
    event_id: int | None = Field(default=None)
    requested_by: int | None = Field(default=None, foreign_key="app_user.id")
    decided_by: int | None = Field(default=None, foreign_key="app_user.id")
    decided_at: dt.datetime | None = utc_field(default=None)
    version: int = Field(default=1)
    created_at: dt.datetime = utc_field(default_factory=utcnow)


class Notification(CountryScoped, SQLModel, table=True):
    """The outbox: every message the service sends, kept whether or not SMTP is configured.

    `key` makes each notification idempotent (e.g. `reminder-7d:event:12:user:3`): a job that
    runs twice, or in two processes, produces it once. `country_code` is the country the message
    concerns — a liaison's or country administrator's own when they are the recipient (filled
    in by `outbox.notify`) — so a scoped reader sees only their country's messages, never those
    an account received before it moved to another country.
    """

    __audit__ = False

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, sa_column_kwargs={"unique": True})
    kind: str = Field(max_length=40, index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    recipient: str = Field(max_length=254)
    country_code: str | None = Field(default=None, max_length=2)
    subject: str = Field(max_length=300)
    body: str = Field(max_length=20000)
    data: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    created_at: dt.datetime = utc_field(default_factory=utcnow, index=True)
    sent_at: dt.datetime | None = utc_field(default=None)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=1000)
