"""Service bulletins: technical notices about a system, released to a set of countries, with
each country's acknowledgements and its units' compliance (SPEC §13)."""

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import CountryScoped, CoversUnits, ReleasedToCountries, Versioned, utc_field, utcnow


class BulletinKind(StrEnum):
    safety = "safety"
    mandatory = "mandatory"
    recommended = "recommended"
    information = "information"


class ComplianceStatus(StrEnum):
    pending = "pending"
    done = "done"
    not_applicable = "not_applicable"


COMPLIANCE_KINDS = ("safety", "mandatory")  # the kinds whose units record compliance


class ServiceBulletin(Versioned, ReleasedToCountries, SQLModel, table=True):
    """A notice numbered per system (`K9A1-SB-0003`), revised in place (`revision` counts up).

    Its applicability is every unit of the system, or the units whose serial falls in one of
    its `BulletinSerialRange` rows (`limited_to_ranges`: a liaison sees only the ranges covering
    their own units, so whether a bulletin has ranges is kept on the bulletin)."""

    __tablename__ = "service_bulletin"
    __released_key__ = "id"
    __written_by_staff__ = True
    __table_args__ = (sa.UniqueConstraint("system_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=48, sa_column_kwargs={"unique": True})
    system_id: int = Field(foreign_key="weapon_system.id", index=True)
    seq: int
    kind: str = Field(max_length=16)
    title: str = Field(max_length=200)
    body: str = Field(max_length=20000)
    compliance_due_days: int = Field(default=30)
    limited_to_ranges: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    revision: int = Field(default=1)
    revision_note: str | None = Field(default=None, max_length=1000)
    revised_at: dt.datetime | None = utc_field(default=None)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: dt.datetime = utc_field(default_factory=utcnow)
    updated_at: dt.datetime = utc_field(default_factory=utcnow)
    version: int = Field(default=1)


class BulletinSerialRange(CoversUnits, ReleasedToCountries, SQLModel, table=True):
    """Units `serial_from` to `serial_to` (inclusive, compared as text) are concerned; a range
    covers one country's units (its bounds are that country's serials)."""

    __tablename__ = "bulletin_serial_range"
    __written_by_staff__ = True

    id: int | None = Field(default=None, primary_key=True)
    bulletin_id: int = Field(foreign_key="service_bulletin.id", index=True)
    serial_from: str = Field(max_length=64)
    serial_to: str = Field(max_length=64)


class BulletinRelease(CountryScoped, SQLModel, table=True):
    """A bulletin released to one country; withdrawing keeps the row (`withdrawn_at`), and
    releasing again clears it. Every change is on the audit trail."""

    __tablename__ = "bulletin_release"
    __table_args__ = (sa.Index("ix_bulletin_release_country", "country_code", "withdrawn_at"),)

    bulletin_id: int = Field(foreign_key="service_bulletin.id", primary_key=True)
    country_code: str = Field(foreign_key="country.code", max_length=2, primary_key=True)
    released_at: dt.datetime = utc_field(default_factory=utcnow)
    released_by: int | None = Field(default=None, foreign_key="app_user.id")
    due_at: dt.datetime = utc_field()  # released_at + the bulletin's compliance_due_days
    withdrawn_at: dt.datetime | None = utc_field(default=None)
    withdrawn_by: int | None = Field(default=None, foreign_key="app_user.id")


class BulletinAcknowledgement(ReleasedToCountries, CountryScoped, SQLModel, table=True):
    """A country's acknowledgement of one revision of a bulletin: who and when (every
    revision's are kept)."""

    __tablename__ = "bulletin_acknowledgement"
    __table_args__ = (sa.UniqueConstraint("bulletin_id", "country_code", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    bulletin_id: int = Field(foreign_key="service_bulletin.id", index=True)
    country_code: str = Field(foreign_key="country.code", max_length=2)
    revision: int
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    user_name: str = Field(max_length=254)
    at: dt.datetime = utc_field(default_factory=utcnow)


class BulletinCompliance(Versioned, ReleasedToCountries, CountryScoped, SQLModel, table=True):
    """What a country recorded for one applicable unit (no row: still pending)."""

    __tablename__ = "bulletin_compliance"
    __table_args__ = (sa.Index("ix_bulletin_compliance_country", "country_code", "bulletin_id"),)

    bulletin_id: int = Field(foreign_key="service_bulletin.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    country_code: str = Field(foreign_key="country.code", max_length=2)
    status: str = Field(default=ComplianceStatus.pending.value, max_length=16)
    done_on: dt.date | None = None
    reason: str | None = Field(default=None, max_length=1000)
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")
    recorded_at: dt.datetime = utc_field(default_factory=utcnow)
    version: int = Field(default=1)


# The bulletins' history, for figures as of a past moment (a monthly report's end of month):
# each row is written with the change it records (`service.domain.bulletins.history`), never
# changed after, and left off the audit trail, which has the change itself.


class BulletinReleaseSpan(ReleasedToCountries, CountryScoped, SQLModel, table=True):
    """A time a bulletin was in force for a country with one due time: from `since` (its release,
    or the revision that moved its due time) to `until` (its withdrawal, or the next span; none:
    in force now). Releasing again after a withdrawal begins a new span."""

    __tablename__ = "bulletin_release_span"
    __written_by_staff__ = True
    __audit__ = False
    __table_args__ = (sa.Index("ix_bulletin_release_span_country", "country_code", "since"),)

    id: int | None = Field(default=None, primary_key=True)
    bulletin_id: int = Field(foreign_key="service_bulletin.id", index=True)
    country_code: str = Field(foreign_key="country.code", max_length=2)
    released_at: dt.datetime = utc_field()
    due_at: dt.datetime = utc_field()
    since: dt.datetime = utc_field()
    until: dt.datetime | None = utc_field(default=None)


class BulletinRevision(ReleasedToCountries, SQLModel, table=True):
    """When each revision of a bulletin took effect (revision 1: its publication), and the kind
    it gave the bulletin (whether its units track compliance from then on)."""

    __tablename__ = "bulletin_revision"
    __written_by_staff__ = True
    __audit__ = False

    bulletin_id: int = Field(foreign_key="service_bulletin.id", primary_key=True)
    revision: int = Field(primary_key=True)
    at: dt.datetime = utc_field()
    kind: str = Field(max_length=16)


class BulletinComplianceChange(ReleasedToCountries, CountryScoped, SQLModel, table=True):
    """A unit's compliance as recorded at `at` (the unit's status until its next change)."""

    __tablename__ = "bulletin_compliance_change"
    __audit__ = False
    __table_args__ = (sa.Index("ix_bulletin_compliance_change_unit", "bulletin_id", "unit_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    bulletin_id: int = Field(foreign_key="service_bulletin.id")
    unit_id: int = Field(foreign_key="unit.id")
    country_code: str = Field(foreign_key="country.code", max_length=2)
    status: str = Field(max_length=16)
    at: dt.datetime = utc_field()


class BulletinAttachment(ReleasedToCountries, SQLModel, table=True):
    """A drawing or PDF attached to a bulletin; its type was read from its content."""

    __tablename__ = "bulletin_attachment"
    __written_by_staff__ = True

    id: int | None = Field(default=None, primary_key=True)
    bulletin_id: int = Field(foreign_key="service_bulletin.id", index=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=40)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: dt.datetime = utc_field(default_factory=utcnow)


class BulletinAttachmentFile(ReleasedToCountries, SQLModel, table=True):
    """An attachment's bytes, apart from its metadata so that lists never load them."""

    __tablename__ = "bulletin_attachment_file"
    __written_by_staff__ = True
    __audit__ = False  # the attachment row's audit entry records it (its sha256)

    attachment_id: int = Field(foreign_key="bulletin_attachment.id", primary_key=True)
    bulletin_id: int = Field(foreign_key="service_bulletin.id")
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
