"""The registry of what was sold to whom: countries, systems, contracts, delivered units."""


import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from models.base import CountryScoped, Versioned, utc_field, utcnow


class SystemCategory(StrEnum):
    land = "land"
    sea = "sea"
    air = "air"
    missile = "missile"
    c4i = "C4I"


class UnitStatus(StrEnum):
    operational = "operational"
    under_repair = "under_repair"
    non_operational = "non_operational"


class Country(Versioned, SQLModel, table=True):
    """A buyer country, by ISO 3166-1 alpha-2 code."""

    code: str = Field(primary_key=True, max_length=2)
    name: str = Field(max_length=120)
    timezone: str = Field(max_length=64)
    active: bool = Field(default=True)
    # the language of its monthly report and its liaisons' messages (SPEC §12)
    report_language: str = Field(default="en", sa_type=sa.String(5),
                                 sa_column_kwargs={"server_default": "en"})
    version: int = Field(default=1)
    created_at: dt.datetime = utc_field(default_factory=utcnow)


class WeaponSystem(Versioned, SQLModel, table=True):
    """A catalogue entry (not country-specific), e.g. K9A1 or FA-50."""

    __tablename__ = "weapon_system"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, sa_column_kwargs={"unique": True})
    name: str = Field(max_length=120)
    category: SystemCategory = Field(sa_type=sa.String(16))
    manufacturer: str = Field(max_length=120)
    version: int = Field(default=1)


class Contract(Versioned, CountryScoped, SQLModel, table=True):
    """A sale to one country, with lines of systems and quantities."""

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    country_code: str = Field(foreign_key="country.code", index=True, max_length=2)
    signed_on: dt.date
    value: Decimal = Field(sa_type=sa.Numeric(18, 2))
    currency: str = Field(max_length=3)
    version: int = Field(default=1)
    created_at: dt.datetime = utc_field(default_factory=utcnow)

    lines: list["ContractLine"] = Relationship(
        back_populates="contract",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "lazy": "selectin",
            "order_by": "ContractLine.id",
        },
    )


class ContractLine(SQLModel, table=True):
    """One system and its contracted quantity within a contract."""

    __tablename__ = "contract_line"
    __table_args__ = (sa.UniqueConstraint("contract_id", "system_id"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    system_id: int = Field(foreign_key="weapon_system.id", index=True)
    quantity: int

    contract: Optional["Contract"] = Relationship(back_populates="lines")


class Unit(Versioned, CountryScoped, SQLModel, table=True):
    """One delivered item, identified by its serial number within its system."""

    __table_args__ = (
        sa.UniqueConstraint("system_id", "serial"),
        sa.Index("ix_unit_country_system", "country_code", "system_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    serial: str = Field(max_length=64)
    system_id: int = Field(foreign_key="weapon_system.id")
    contract_id: int = Field(foreign_key="contract.id", index=True)
    country_code: str = Field(foreign_key="country.code", max_length=2)
    delivered_on: dt.date | None = None
    warranty_ends_on: dt.date | None = None
    status: UnitStatus = Field(default=UnitStatus.operational, sa_type=sa.String(20))
    version: int = Field(default=1)
    created_at: dt.datetime = utc_field(default_factory=utcnow)
