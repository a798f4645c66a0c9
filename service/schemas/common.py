"""Field validators and base schemas shared by the resource schemas."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from enum import Enum
from functools import cache
from typing import Any

import pycountry
from marshmallow import Schema, ValidationError, fields, validate


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_country_code(value: str) -> None:
    if len(value) != 2 or pycountry.countries.get(alpha_2=value.upper()) is None:
        raise ValidationError("Not an ISO 3166-1 alpha-2 country code.")


def validate_timezone(value: str) -> None:
    if value not in _timezones():
        raise ValidationError("Not an IANA timezone name (e.g. Europe/Warsaw).")


def validate_currency(value: str) -> None:
    if len(value) != 3 or pycountry.currencies.get(alpha_3=value.upper()) is None:
        raise ValidationError("Not an ISO 4217 currency code.")


class CountryCode(fields.String):
    """An ISO alpha-2 code, upper-cased on load."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate_country_code, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).upper()


class DateOrDateTime(fields.Field):
    """A date (midnight UTC) or an aware ISO 8601 datetime; a naive datetime is refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.datetime:
        if isinstance(value, str) and len(value) == 10:
            try:
                return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), dt.UTC)
            except ValueError as exc:
                raise ValidationError("Not a valid date.") from exc
        return fields.AwareDateTime(format="iso")._deserialize(value, attr, data, **kwargs)


class AwareDateTime(fields.AwareDateTime):
    """ISO 8601 with an offset; a naive value is refused, output is UTC."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value: dt.datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is not None:
            value = value.astimezone(dt.UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class AsBuilt(fields.Nested):
    """A nested list documented by its schema but answered as the domain built it: for rows
    whose every value is JSON already (numbers, text, booleans) and whose keys are the schema's
    fields (a test holds the two together), where dumping thousands of them field by field cost
    more than computing them."""

    def _serialize(self, nested_obj: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:  # type: ignore[override]  # Field and Nested name the value differently
        return nested_obj


def text(max_length: int, *, required: bool = True, min_length: int = 1, **kw: Any) -> fields.String:
    """A trimmed string field whose limits match its column; an empty one is refused in words
    ("Must not be empty.") rather than as a length between 1 and the column's."""
    checks: list[validate.Validator] = [validate.Length(max=max_length)]
    if min_length:
        checks.insert(0, validate.Length(min=min_length, error=EMPTY if min_length == 1 else None))
    return fields.String(required=required, validate=checks, **kw)


EMPTY = "Must not be empty."


class Base(Schema):
    """Unknown fields are an error (marshmallow's default), named in the response."""


class VersionedSchema(Base):
    version = fields.Integer(dump_only=True, metadata={"description": "send as If-Match"})


def choice(enum: type[Enum], **kwargs: Any) -> fields.String:
    """A string restricted to an enum's values (stored and returned as plain strings)."""
    values = [e.value for e in enum]
    return fields.String(validate=validate.OneOf(values), **kwargs)


def period_field(**kwargs: Any) -> fields.String:
    """A month as `YYYY-MM`."""
    from service.domain.periods import PERIOD_RE

    kwargs.setdefault("metadata", {"example": "2026-10"})
    return fields.String(validate=[validate.Length(min=7, max=7),
                                   validate.Regexp(PERIOD_RE, error="A YYYY-MM period.")], **kwargs)


class SortField(fields.String):
    """A list's order, as `?sort=due,-id`: its column names, comma-separated, each `-` for
    descending; an unknown name is a 422 naming the field and the columns it offers. Loads as a
    tuple of names (`("due", "-id")`), which `service.domain.lists.sorted_by` turns into SQL."""

    def __init__(self, columns: tuple[str, ...] | list[str], default: str,
                 one_way: tuple[str, ...] = (), **kwargs: Any) -> None:
        self.columns, self.one_way = tuple(columns), one_way
        description = (f"order: {', '.join(self.columns)}, comma-separated, '-' first for descending"
                       + (f" (not {', '.join(one_way)})" if one_way else "")
                       + f"; default {default}; ties always by id, so pages never repeat or skip a row")
        super().__init__(validate=validate.Length(max=200),
                         metadata={"description": description}, **kwargs)

    def _deserialize(  # type: ignore[override]  # loads a tuple of column names, not the string
            self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[str, ...]:
        raw = super()._deserialize(value, attr, data, **kwargs)
        keys = tuple(k.strip() for k in raw.split(",") if k.strip())
        unknown = [k for k in keys if k.removeprefix("-") not in self.columns]
        if not keys or unknown:
            raise ValidationError(f"Unknown column {', '.join(repr(k) for k in unknown) or repr(raw)}; "
                                  f"sort by one of: {', '.join(self.columns)}.")
        if reversed_ := [k for k in keys if k.removeprefix("-") in self.one_way and k.startswith("-")]:
            raise ValidationError(f"{', '.join(repr(k) for k in reversed_)} has one direction only.")
        return keys


def not_ahead(value: dt.date | dt.datetime) -> None:
    """An `as_of` is a day or a moment that has come: the figures of one to come are not known."""
    now = dt.datetime.now(dt.UTC)
    if value > (now if isinstance(value, dt.datetime) else now.date()):
        raise ValidationError("Cannot be in the future.")


def past_day(description: str) -> fields.Date:
    """A query's `as_of` day: the figures as they stood on it (today or before; default today)."""
    return fields.Date(validate=not_ahead, metadata={"description": description})
