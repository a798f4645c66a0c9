"""The monthly job: every active country's report and the HQ report for the month just ended.

It runs at 02:00 on the 1st in SCHEDULER_TIMEZONE. It also looks one month further back, so
a report that failed, or a month-end missed beyond the coalesced run, is produced by the next
run; reports already final for their period are skipped, so running it twice (or in two
processes at once) produces each report once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from zoneinfo import ZoneInfo

from flask import Flask

from models import utcnow
from schedules import retry
from service.core.db import get_engine
from service.domain import periods
from service.domain.reports import SCHEDULER, Options, Outcome, generate_period

log = logging.getLogger(__name__)
LOOKBACK_MONTHS = 2


def month_just_ended(now: dt.datetime, timezone: str) -> str:
    """The month before `now`'s month, as seen in `timezone`."""
    return periods.shift(periods.of(now.astimezone(ZoneInfo(timezone)).date()), -1)


def periods_due(now: dt.datetime, timezone: str, lookback: int = LOOKBACK_MONTHS) -> list[str]:
    last = month_just_ended(now, timezone)
    return [periods.shift(last, -back) for back in reversed(range(lookback))]


def run_for(app: Flask, *, now: dt.datetime | None = None) -> list[Outcome]:
    """Produce the due reports; returns what happened to each (generated/skipped/failed)."""
    now = now or utcnow()
    options = Options.from_config(app.config)
    outcomes: list[Outcome] = []
    for period in periods_due(now, options.timezone):

        def progress(scope: str, outcome: Outcome, period: str = period) -> None:
            log.info("report %s %s: %s", scope, period, outcome.action)

        def reports(period: str = period, progress: Callable[[str, Outcome], None] = progress,
                    ) -> list[Outcome]:
            return generate_period(engine=get_engine(app), period=period, actor=(None, SCHEDULER),
                                   options=options, now=now, scheduled=True, progress=progress)

        # Run again should a report meet a locked database: what was made is final, and skipped.
        outcomes += retry.when_locked(f"monthly reports {period}", reports)
    log.info("monthly reports: %s", dict(Counter(o.action for o in outcomes)))
    return outcomes


def run(app: Flask) -> None:
    """The scheduled entry point: the month just ended's reports."""
    run_for(app)
