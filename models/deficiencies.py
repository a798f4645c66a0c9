"""Deficiency reports about delivered units: their units, conversation, attachments, numbering,
the per-country SLA targets, and every unit's status history (SPEC §9)."""

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import CountryScoped, StaffOnlyRows, Versioned, utc_field, utcnow


class DeficiencyCategory(StrEnum):
    quality = "quality"
    safety = "safety"
    shipping = "shipping"
    documentation = "documentation"
    technical_assistance = "technical_assistance"


class Severity(StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"


class DeficiencyStatus(StrEnum):
    submitted = "submitted"
    acknowledged = "acknowledged"
    investigating = "investigating"
    awaiting_buyer = "awaiting_buyer"
    resolved = "resolved"
    closed = "closed"
    withdrawn = "withdrawn"


class Disposition(StrEnum):
    repaired = "repaired"
    replaced = "replaced"
    credited = "credited"
    no_fault_found = "no_fault_found"
    rejected = "rejected"


OPEN_DEFICIENCY_STATES = ("submitted", "acknowledged", "investigating", "awaiting_buyer")


class DeficiencyReport(Versioned, CountryScoped, SQLModel, table=True):
    """A fault reported about units of one system in one country, numbered CC-YYYY-NNNN.

    `acknowledge_due_at` and `resolve_due_at` are the SLA clock: set at submission, moved on
    by the time spent in `awaiting_buyer` (`paused_since` while it lasts).
    """

    __tablename__ = "deficiency_report"
    __table_args__ = (
        sa.UniqueConstraint("country_code", "year", "seq"),
        sa.Index("ix_deficiency_country_submitted", "country_code", "submitted_at"),
        sa.Index("ix_deficiency_status_resolve_due", "status", "resolve_due_at"),
        sa.Index("ix_deficiency_country_resolved", "country_code", "resolved_at"),
        sa.Index("ix_deficiency_country_status", "country_code", "status"),  # a dashboard's open reports
        sa.Index("ix_deficiency_country_acknowledged", "country_code", "acknowledged_at"),  # readiness
        sa.Index("ix_deficiency_country_resolve_due", "country_code", "resolve_due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=16, sa_column_kwargs={"unique": True})
    country_code: str = Field(foreign_key="country.code", max_length=2)
    year: int
    seq: int
    system_id: int = Field(foreign_key="weapon_system.id", index=True)
    category: str = Field(max_length=24)
    severity: str = Field(max_length=10)
    title: str = Field(max_length=200)
    description: str = Field(max_length=8000)
    occurred_at: dt.datetime | None = utc_field(default=None)
    status: str = Field(default=DeficiencyStatus.submitted.value, max_length=16, index=True)
    disposition: str | None = Field(default=None, max_length=16)
    resolution: str | None = Field(default=None, max_length=4000)
    reopened: bool = Field(default=False)
    filed_by: int | None = Field(default=None, foreign_key="app_user.id")
    submitted_at: dt.datetime = utc_field(default_factory=utcnow)
    acknowledged_at: dt.datetime | None = utc_field(default=None)
    resolved_at: dt.datetime | None = utc_field(default=None)
    closed_at: dt.datetime | None = utc_field(default=None)
    acknowledge_due_at: dt.datetime = utc_field()
    resolve_due_at: dt.datetime = utc_field()
    paused_since: dt.datetime | None = utc_field(default=None)
    acknowledge_breached_at: dt.datetime | None = utc_field(default=None)
    resolve_breached_at: dt.datetime | None = utc_field(default=None)
    version: int = Field(default=1)
    updated_at: dt.datetime = utc_field(default_factory=utcnow)


class DeficiencyUnit(CountryScoped, SQLModel, table=True):
    """A unit a report is about."""

    __tablename__ = "deficiency_unit"

    report_id: int = Field(foreign_key="deficiency_report.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True, index=True)
    country_code: str = Field(max_length=2)


class DeficiencyCounter(CountryScoped, SQLModel, table=True):
    """The last number given per country and year: taken with UPDATE … RETURNING in the filing
    transaction, so two filers queue on the row and a refused filing gives its number back."""

    __tablename__ = "deficiency_counter"
    __audit__ = False

    country_code: str = Field(foreign_key="country.code", max_length=2, primary_key=True)
    year: int = Field(primary_key=True)
    last: int = Field(default=0)


class DeficiencyMessage(StaffOnlyRows, CountryScoped, SQLModel, table=True):
    """One message of a report's conversation; `internal` ones are for staff eyes only."""

    __tablename__ = "deficiency_message"
    __table_args__ = (sa.Index("ix_deficiency_message_report", "report_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="deficiency_report.id")
    country_code: str = Field(max_length=2)
    internal: bool = Field(default=False)
    body: str = Field(max_length=8000)
    author_id: int | None = Field(default=None, foreign_key="app_user.id")
    author_name: str = Field(max_length=254)
    created_at: dt.datetime = utc_field(default_factory=utcnow)


class DeficiencyAttachment(CountryScoped, SQLModel, table=True):
    """A photo or PDF attached to a report; its type was read from its content."""

    __tablename__ = "deficiency_attachment"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="deficiency_report.id", index=True)
    country_code: str = Field(max_length=2)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=40)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: dt.datetime = utc_field(default_factory=utcnow)


class DeficiencyAttachmentFile(CountryScoped, SQLModel, table=True):
    """An attachment's bytes, apart from its metadata so that lists never load them."""

    __tablename__ = "deficiency_attachment_file"
    __audit__ = False  # the attachment row's audit entry records it (its sha256)

    attachment_id: int = Field(foreign_key="deficiency_attachment.id", primary_key=True)
    country_code: str = Field(max_length=2)
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


class CountrySla(Versioned, CountryScoped, SQLModel, table=True):
    """A country's targets: hours to acknowledge and days to resolve per severity, and the
    fleet availability it expects (percent). No row: the defaults of SPEC §9."""

    __tablename__ = "country_sla"

    country_code: str = Field(foreign_key="country.code", max_length=2, primary_key=True)
    critical_acknowledge_hours: int = Field(default=24)
    critical_resolve_days: int = Field(default=7)
    major_acknowledge_hours: int = Field(default=72)
    major_resolve_days: int = Field(default=30)
    minor_acknowledge_hours: int = Field(default=120)
    minor_resolve_days: int = Field(default=90)
    availability_target: float = Field(default=85.0)
    version: int = Field(default=1)


class UnitStatusChange(CountryScoped, SQLModel, table=True):
    """One change of a unit's status (the first row: its status since delivery), and when the
    unit's next change ended it (`ended_at`, none while it is the unit's status): each row is a
    span of the unit's life, so readiness reads the spans that touch a period by their ends
    alone, never a unit's history before it."""

    __tablename__ = "unit_status_change"
    __table_args__ = (
        sa.Index("ix_unit_status_change_unit_at", "unit_id", "at"),
        sa.Index("ix_unit_status_change_country_system_at", "country_code", "system_id", "at"),
        sa.Index("ix_unit_status_change_country_at", "country_code", "at"),  # readiness: returns in a period
        # readiness: the spans that end after a period's start (or have not ended), every country
        # or one, with what availability needs from them (read from the index alone)
        sa.Index("ix_unit_status_change_span", "ended_at", "at", "country_code", "system_id", "to_status"),
        sa.Index("ix_unit_status_change_country_span", "country_code", "ended_at", "at", "system_id",
                 "to_status"),
        # MTTR: the returns to a status in a period, every country, and a unit's latest departure
        sa.Index("ix_unit_status_change_to_at", "to_status", "at", "from_status", "unit_id", "country_code",
                 "system_id"),
        sa.Index("ix_unit_status_change_unit_from_at", "unit_id", "from_status", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    country_code: str = Field(max_length=2)
    system_id: int = Field(foreign_key="weapon_system.id")
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    at: dt.datetime = utc_field(default_factory=utcnow)
    ended_at: dt.datetime | None = utc_field(default=None)
    by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    by_label: str = Field(default="system", max_length=254)
    reason: str | None = Field(default=None, max_length=1000)
    report_id: int | None = Field(default=None, foreign_key="deficiency_report.id", index=True)
    replacement_serial: str | None = Field(default=None, max_length=64)
