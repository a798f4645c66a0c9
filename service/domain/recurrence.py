"""Recurring services: an RFC 5545 RRULE expanded into occurrence windows.

The rule is expanded in the event's own timezone, so a service at 09:00 in Warsaw stays at
09:00 local time after a daylight-saving change (its UTC instant moves by an hour).
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from service.domain.errors import Invalid
from service.schemas.services import MAX_OCCURRENCES

Window = tuple[dt.datetime, dt.datetime]


def _wall(local: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A naive wall-clock time in `tz` made aware (a time skipped by DST moves forward)."""
    aware = local.replace(tzinfo=tz)
    return aware.astimezone(dt.UTC).astimezone(tz)


def expand(*, rule: str, starts_at: dt.datetime, ends_at: dt.datetime, timezone: str) -> list[Window]:
    """The UTC windows of every occurrence (the first is the event itself); at most MAX_OCCURRENCES."""
    tz = ZoneInfo(timezone)
    start_local = starts_at.astimezone(tz).replace(tzinfo=None)
    duration_wall = ends_at.astimezone(tz).replace(tzinfo=None) - start_local
    try:
        starts = rrulestr(rule, dtstart=start_local)
    except ValueError:  # UNTIL given in UTC: expand with an aware start instead
        aware = rrulestr(rule, dtstart=starts_at.astimezone(tz))
        starts = (d.replace(tzinfo=None) for d in aware)  # type: ignore[assignment]
    locals_ = list(itertools.islice(starts, MAX_OCCURRENCES + 1))
    if not locals_:
        raise Invalid("The rule yields no occurrence", {"recurrence": ["yields no occurrence"]})
    if len(locals_) > MAX_OCCURRENCES:
        raise Invalid("Too many occurrences",
                      {"recurrence": [f"at most {MAX_OCCURRENCES} occurrences; add COUNT or UNTIL"]})
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
