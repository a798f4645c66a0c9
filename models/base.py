"""Column types and mixins shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import declared_attr
from sqlmodel import Field


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware; naive values are refused."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("naive datetimes are never stored; give a timezone")
        value = value.astimezone(UTC)
        # SQLite keeps text; store it naive-UTC so that text comparisons order correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_field(**kwargs: Any) -> Any:
    """A `Field` holding a timezone-aware UTC datetime."""
    return Field(sa_type=UTCDateTime, **kwargs)


class CountryScoped:
    """Marker for tables whose rows belong to one buyer country (column `country_code`).

    The session scoping in `service.core.db` filters every SELECT of such a table by the
    caller's country, and refuses to write a row of another country.
    """

    country_code: str | None


class StaffOnlyRows:
    """Marker for tables some of whose rows are for staff eyes only (boolean column `internal`).

    The session scoping in `service.core.db` hides those rows from a country-scoped session (a
    liaison's) in every SELECT, and refuses to let one write such a row.
    """

    internal: bool


class Versioned:
    """Optimistic concurrency: an UPDATE matches only the version it read (else StaleDataError)."""

    version: int

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]  # SQLModel does not declare __table__


class ReleasedToCountries:
    """Marker for tables whose rows are seen by the set of countries a record is released to
    (a service bulletin, and its attachments, acknowledgements and compliance).

    `__released_key__` names the column holding the released record's id (`id` on the record
    itself, `bulletin_id` on its children). The session scoping in `service.core.db` lets a
    country-scoped session see such a row only while an active release of that record to its
    country exists, and refuses to let it write a row of a record not released to it.
    """

    __released_key__: str = "bulletin_id"
    __written_by_staff__: bool = False  # True: a scoped session never writes one, released or not


class CoversUnits:
    """Marker for a bulletin's serial ranges (`bulletin_id`, `serial_from`, `serial_to`): the
    session scoping in `service.core.db` shows a country-scoped session only the ranges that
    cover one of its country's units of the bulletin's system, so that another country's
    serials never reach it.
    """

    bulletin_id: int
    serial_from: str
    serial_to: str
