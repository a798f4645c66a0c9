"""Recurring services: an RFC 5545 RRULE expanded into occurrence windows.

The rule is expanded in the event's own timezone, so a service at 09:00 in Warsaw stays at
09:00 local time after a daylight-saving change (its UTC instant moves by an hour).

Expansion is bounded, whatever the rule. dateutil checks UNTIL (and COUNT) only against
the candidates a rule yields, so a rule that yields nothing (`BYMONTH=2;BYMONTHDAY=30`)
walks every day up to the year 9999: 25 s of a worker. Here the rule runs on a calendar that
ends soon after the series may: the same dates moved to the last years before 9999 that have
exactly the same calendar (weekdays and leap years), where dateutil's own end of time stops
it, and the results are moved back. A series must end within HORIZON_YEARS of its start.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from service.domain.errors import Invalid
from service.schemas.services import MAX_OCCURRENCES

if TYPE_CHECKING:
    from dateutil.rrule import rrule

Window = tuple[dt.datetime, dt.datetime]
HORIZON_YEARS = 10
TOO_LONG = f"a series ends within {HORIZON_YEARS} years of its first event"


def _wall(local: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A naive wall-clock time in `tz` made aware (a time skipped by DST moves forward)."""
    aware = local.replace(tzinfo=tz)
    return aware.astimezone(dt.UTC).astimezone(tz)


def _leap_regular(first: int, last: int) -> bool:
    """No century year without 29 February (1900, 2100…) in first..last: within such a
    stretch the calendar repeats every 28 years."""
    return not any(y % 100 == 0 and y % 400 for y in range(first, last + 1))


def _same_calendar_near_the_end(year: int, span: int) -> int:
    """The latest year ≤ 9999 - span whose next `span` years have the very calendar of
    `year`'s (every date on the same weekday, the same years leap)."""
    last = dt.MAXYEAR - span
    if _leap_regular(year, year + span):  # the 28-year cycle; 9901..9999 are regular too
        jan1 = dt.date(year, 1, 1).weekday()
        for y in range(last, last - 28, -1):
            if y % 4 == year % 4 and dt.date(y, 1, 1).weekday() == jan1:
                return y
    return year + (last - year) // 400 * 400  # the Gregorian calendar's 400-year cycle


def _rule(text: str, start_local: dt.datetime, tz: ZoneInfo) -> rrule:
    """`text` as a rule over naive wall-clock times in `tz`, from `start_local`."""
    from dateutil.rrule import rrulestr  # here: a web worker starts without it (bench: worker start)

    try:
        return rrulestr(text, dtstart=start_local)
    except ValueError:  # UNTIL given in UTC: read it as the wall-clock time it is in `tz`
        aware = rrulestr(text, dtstart=start_local.replace(tzinfo=tz))
        until = aware._until.astimezone(tz).replace(tzinfo=None) if aware._until else None
        return aware.replace(dtstart=start_local, until=until)


def _occurrences(text: str, start_local: dt.datetime, tz: ZoneInfo) -> list[dt.datetime]:
    """The rule's starts (naive local), at most MAX_OCCURRENCES + 1, all before the horizon."""
    from dateutil.relativedelta import relativedelta

    rule = _rule(text, start_local, tz)
    horizon = start_local + relativedelta(years=HORIZON_YEARS)
    # dateutil keeps COUNT and UNTIL private; they say whether the series ends in time.
    count, until = rule._count, rule._until
    if rule._byeaster:  # dateutil's extension: Easter has no 400-year cycle
        raise Invalid("BYEASTER is not supported", {"recurrence": ["BYEASTER is not part of RFC 5545"]})
    if count is None and until is None:
        raise Invalid("Too many occurrences",
                      {"recurrence": [f"at most {MAX_OCCURRENCES} occurrences; add COUNT or UNTIL"]})
    if until is not None and until >= horizon:
        raise Invalid("The series is too long", {"recurrence": [TOO_LONG]})
    year = _same_calendar_near_the_end(start_local.year, HORIZON_YEARS + 1)
    shift = dt.datetime(year, 1, 1) - dt.datetime(start_local.year, 1, 1)
    moved = rule.replace(dtstart=start_local + shift, until=until + shift if until else None)
    found = [d - shift for d in itertools.islice(moved, MAX_OCCURRENCES + 1)]
    if not found:
        raise Invalid("The rule yields no occurrence", {"recurrence": ["yields no occurrence"]})
    if len(found) > MAX_OCCURRENCES:
        raise Invalid("Too many occurrences",
                      {"recurrence": [f"at most {MAX_OCCURRENCES} occurrences; add COUNT or UNTIL"]})
    if (count is not None and len(found) < count) or found[-1] >= horizon:
        raise Invalid("The series is too long", {"recurrence": [TOO_LONG]})
    return found


def expand(*, rule: str, starts_at: dt.datetime, ends_at: dt.datetime, timezone: str) -> list[Window]:
    """The UTC windows of every occurrence (the first is the event itself); at most
    MAX_OCCURRENCES, all starting within HORIZON_YEARS of the first."""
    tz = ZoneInfo(timezone)
    start_local = starts_at.astimezone(tz).replace(tzinfo=None)
    duration_wall = ends_at.astimezone(tz).replace(tzinfo=None) - start_local
    locals_ = _occurrences(rule, start_local, tz)
    windows = []
    for local in locals_:
        start = _wall(local, tz)
        end = _wall(local + duration_wall, tz)
        windows.append((start.astimezone(dt.UTC), end.astimezone(dt.UTC)))
    if windows[0][0] != starts_at.astimezone(dt.UTC):
        raise Invalid("The rule does not start with the service",
                      {"recurrence": ["starts_at must be the series' first occurrence"]})
    for (_s1, e1), (s2, _e2) in itertools.pairwise(windows):
        if s2 < e1:
            raise Invalid("Occurrences overlap", {"recurrence": ["occurrences overlap each other"]})
    return windows
