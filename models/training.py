"""People trained: a country's trainees, their nominations to services, the results recorded on
completion, the certificates issued for each pass, and the validity per course (SPEC §11)."""

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import CountryScoped, Versioned, utc_field, utcnow


class NominationStatus(StrEnum):
    nominated = "nominated"
    withdrawn = "withdrawn"


class TrainingResult(StrEnum):
    passed = "passed"
    failed = "failed"
    attended = "attended"
    absent = "absent"


class CertificateStatus(StrEnum):
    valid = "valid"
    expiring = "expiring"
    expired = "expired"


DEFAULT_VALIDITY_MONTHS = 24
EXPIRING_DAYS = 90


class Trainee(Versioned, CountryScoped, SQLModel, table=True):
    """A buyer-country person on their country's roster: the data SPEC §11 names and no more.

    Anonymising replaces the name and service number and keeps the history (nominations,
    results, certificates) under the anonymised name."""

    __table_args__ = (sa.Index("ix_trainee_country_name", "country_code", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    country_code: str = Field(foreign_key="country.code", max_length=2)
    name: str = Field(max_length=120)
    rank: str = Field(default="", max_length=60)
    organisation: str = Field(default="", max_length=120)
    service_number: str | None = Field(default=None, max_length=40)
    anonymised_at: dt.datetime | None = utc_field(default=None)
    version: int = Field(default=1)
    created_at: dt.datetime = utc_field(default_factory=utcnow)


class Nomination(Versioned, CountryScoped, SQLModel, table=True):
    """A trainee nominated for a training service of their country, and their result there."""

    __table_args__ = (
        sa.UniqueConstraint("event_id", "trainee_id"),
        sa.Index("ix_nomination_trainee", "trainee_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="service_event.id", index=True)
    trainee_id: int = Field(foreign_key="trainee.id")
    country_code: str = Field(foreign_key="country.code", max_length=2)
    status: str = Field(default=NominationStatus.nominated.value, max_length=12)
    result: str | None = Field(default=None, max_length=10)
    score: float | None = None
    nominated_by: int | None = Field(default=None, foreign_key="app_user.id")
    withdrawn_at: dt.datetime | None = utc_field(default=None)
    version: int = Field(default=1)
    created_at: dt.datetime = utc_field(default_factory=utcnow)


class CertificateValidity(SQLModel, table=True):
    """How long a certificate of one course (system and kind) stays valid, when not 24 months."""

    __tablename__ = "certificate_validity"

    system_id: int = Field(foreign_key="weapon_system.id", primary_key=True)
    kind: str = Field(max_length=20, primary_key=True)
    months: int


class Certificate(CountryScoped, SQLModel, table=True):
    """Issued to a trainee who passed a course; verifiable by anyone holding number and code."""

    __table_args__ = (
        sa.Index("ix_certificate_country_system_valid", "country_code", "system_id", "valid_until"),
        sa.Index("ix_certificate_valid_until", "valid_until"),
        # a country's certificates valid since a day, with what the qualified figures group by
        sa.Index("ix_certificate_country_valid", "country_code", "valid_until", "system_id", "trainee_id",
                 "issued_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, sa_column_kwargs={"unique": True})
    check_code: str = Field(max_length=16)
    trainee_id: int = Field(foreign_key="trainee.id", index=True)
    nomination_id: int = Field(foreign_key="nomination.id", sa_column_kwargs={"unique": True})
    event_id: int = Field(foreign_key="service_event.id")
    country_code: str = Field(foreign_key="country.code", max_length=2)
    system_id: int = Field(foreign_key="weapon_system.id")
    kind: str = Field(max_length=20)
    course: str = Field(max_length=200)
    issued_on: dt.date
    valid_until: dt.date
    created_at: dt.datetime = utc_field(default_factory=utcnow)
