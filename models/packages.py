"""What a contract promised besides its systems (its support package) and what was delivered
against each line: services counted on completion, goods recorded by staff (SPEC §11)."""

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import CountryScoped, Versioned, utc_field, utcnow


class LineKind(StrEnum):
    training = "training"
    tech_education = "tech_education"
    trial_run = "trial_run"
    spares = "spares"
    publication = "publication"
    support_equipment = "support_equipment"
    technical_assistance = "technical_assistance"


class LineState(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    delivered = "delivered"
    accepted = "accepted"
    overdue = "overdue"


class DeliveryStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    disputed = "disputed"
    answered = "answered"


# The service kind that delivers each service line.
SERVICE_LINES = {"training": "joint_training", "tech_education": "tech_education",
                 "trial_run": "trial_run"}


class PackageLine(Versioned, CountryScoped, SQLModel, table=True):
    """One promise of a contract's support package: a kind, a quantity, a due date."""

    __tablename__ = "package_line"
    __table_args__ = (sa.Index("ix_package_line_country_due", "country_code", "due_on"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    country_code: str = Field(foreign_key="country.code", max_length=2)
    kind: str = Field(max_length=24)
    system_id: int | None = Field(default=None, foreign_key="weapon_system.id")
    description: str = Field(default="", max_length=300)
    language: str | None = Field(default=None, max_length=16)
    revision: str | None = Field(default=None, max_length=32)
    quantity: int
    due_on: dt.date
    version: int = Field(default=1)
    created_at: dt.datetime = utc_field(default_factory=utcnow)


class PackageEvent(CountryScoped, SQLModel, table=True):
    """A service that delivers a package line: completing it records a delivery."""

    __tablename__ = "package_event"

    event_id: int = Field(foreign_key="service_event.id", primary_key=True)
    line_id: int = Field(foreign_key="package_line.id", index=True)
    country_code: str = Field(max_length=2)


class Delivery(Versioned, CountryScoped, SQLModel, table=True):
    """A quantity delivered against a line (a completed service or goods), and the buyer's word."""

    __table_args__ = (sa.Index("ix_delivery_line", "line_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="package_line.id")
    country_code: str = Field(foreign_key="country.code", max_length=2)
    event_id: int | None = Field(default=None, foreign_key="service_event.id",
                                 sa_column_kwargs={"unique": True})
    quantity: int
    delivered_on: dt.date
    note: str = Field(default="", max_length=1000)
    status: str = Field(default=DeliveryStatus.pending.value, max_length=10)
    dispute_reason: str | None = Field(default=None, max_length=2000)
    answer: str | None = Field(default=None, max_length=2000)
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")
    decided_by: int | None = Field(default=None, foreign_key="app_user.id")
    decided_at: dt.datetime | None = utc_field(default=None)
    version: int = Field(default=1)
    created_at: dt.datetime = utc_field(default_factory=utcnow)
