"""Months as `YYYY-MM` periods: parsing, ranges, neighbours."""

from __future__ import annotations

import datetime as dt
import re

PERIOD_RE = re.compile(r"^(20\d{2})-(0[1-9]|1[0-2])$")  # what callers may ask for: 2000-01 … 2099-12
_ANY_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")  # arithmetic may step outside that range


def parse(period: str) -> tuple[int, int]:
    m = _ANY_PERIOD.match(period)
    if not m:
        raise ValueError(f"not a YYYY-MM period: {period!r}")
    return int(m.group(1)), int(m.group(2))


def of(moment: dt.date | dt.datetime) -> str:
    """The period a date (or a UTC datetime) falls in."""
    return f"{moment.year:04d}-{moment.month:02d}"


def shift(period: str, months: int) -> str:
    year, month = parse(period)
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def between(first: str, last: str) -> list[str]:
    """Every period from `first` to `last`, inclusive (empty when reversed)."""
    out, p = [], first
    while p <= last:
        out.append(p)
        p = shift(p, 1)
    return out


def bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the period in UTC."""
    year, month = parse(period)
    start = dt.datetime(year, month, 1, tzinfo=dt.UTC)
    nyear, nmonth = parse(shift(period, 1))
    return start, dt.datetime(nyear, nmonth, 1, tzinfo=dt.UTC)


def current(today: dt.date | None = None) -> str:
    return of(today or dt.datetime.now(dt.UTC).date())
