"""Monthly PDF service reports, stored in the database so every web host can serve them."""

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import CountryScoped, utc_field, utcnow


class ReportKind(StrEnum):
    country_monthly = "country_monthly"
    hq_monthly = "hq_monthly"


class ReportStatus(StrEnum):
    ready = "ready"
    failed = "failed"


class Report(CountryScoped, SQLModel, table=True):
    """One report per (kind, country, period); generating again bumps `revision`.

    `scope_key` is the country code, or "HQ" for the headquarters report, so that the
    uniqueness holds on every engine (NULLs never collide in a UNIQUE constraint).
    """

    __table_args__ = (sa.UniqueConstraint("kind", "scope_key", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    country_code: str | None = Field(default=None, foreign_key="country.code", max_length=2, index=True)
    scope_key: str = Field(max_length=8)
    period: str = Field(max_length=7, index=True)
    revision: int = Field(default=1)
    status: str = Field(default=ReportStatus.ready.value, max_length=12)
    sha256: str | None = Field(default=None, max_length=64)
    pages: int | None = None
    size: int | None = None
    error: str | None = Field(default=None, max_length=2000)
    attempts: int = Field(default=0)
    generated_at: dt.datetime = utc_field(default_factory=utcnow)
    generated_by: str = Field(max_length=254)
    generated_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")


class ReportFile(CountryScoped, SQLModel, table=True):
    """The PDF bytes of a report, apart from its metadata so that lists never load them."""

    __tablename__ = "report_file"
    __audit__ = False  # the Report row's audit entry records each new file (its sha256)

    report_id: int = Field(foreign_key="report.id", primary_key=True)
    country_code: str | None = Field(default=None, max_length=2)
    pdf: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
