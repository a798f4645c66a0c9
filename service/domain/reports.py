"""Generating and storing the monthly PDF reports (SPEC §6), once per (kind, scope, period).

Each report is generated in one transaction that holds a lock on its key: on PostgreSQL a
transaction-level advisory lock, on SQLite the write lock taken by BEGIN IMMEDIATE. Inside it
the row is read again, so two processes (or threads) generating the same report produce one
row; metadata and bytes are written together or not at all. A render failure is recorded on
the row (error, attempts) and the previous PDF, if any, is kept; the next run retries it.

On SQLite the write lock covers the whole database, so a generation asked for by hand (API,
command, a pool of processes) gathers and renders first, in a read transaction, and takes the
lock only to write (the render is redone under it in the rare case another process stored a
new revision of the same report meanwhile): parallel generations and the API do not queue
behind a render. Such a PDF shows the data as they were when its gathering began (one read
transaction), as any report generated at that moment would; a write committed during the
render is in the next revision. The
scheduler keeps rendering under the lock, so two schedulers started by mistake render once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import Country, Report, ReportFile, ReportKind, ReportStatus, utcnow
from service.core.db import session_scope
from service.domain import periods, report_data
from service.domain.errors import Invalid, Unavailable
from service.domain.lists import sorted_by, where_given
from service.domain.pdf import render_document

log = logging.getLogger(__name__)
SCHEDULER = "scheduler"
HQ = "HQ"
TEMPLATES = {ReportKind.country_monthly.value: "country_monthly.html",
             ReportKind.hq_monthly.value: "hq_monthly.html"}


class RenderFailed(Unavailable):
    """The PDF could not be rendered; the failure is recorded on the report row."""


@dataclass(frozen=True)
class Options:
    """Settings the reports read: the marking line, the HQ report's timezone and language (a
    country's report is in its own `report_language`).

    `test_delay_ms` (REPORT_TEST_DELAY_MS, refused in production) holds each report's
    transaction open between writing its metadata and its PDF bytes, so that crash tests can
    kill the process at that moment (tests/test_report_faults.py).
    """

    marking: str = "UNCLASSIFIED"
    timezone: str = "Asia/Seoul"
    hq_language: str = "ko"
    test_delay_ms: int = 0

    @classmethod
    def from_config(cls, config: Any) -> Options:
        return cls(marking=config["REPORT_MARKING"], timezone=config["HQ_TIMEZONE"],
                   hq_language=config.get("HQ_REPORT_LANGUAGE", "ko"),
                   test_delay_ms=config.get("REPORT_TEST_DELAY_MS", 0))


@dataclass(frozen=True)
class Outcome:
    report: Report | None
    action: str  # generated | failed | skipped | busy
    seconds: float = 0.0


FILTERS = (("country", Report.country_code), ("period", Report.period), ("kind", Report.kind))


SORTS = {"period": Report.period, "kind": Report.kind, "country": Report.scope_key,
         "status": Report.status, "generated": Report.generated_at}
DEFAULT_SORT = ("-period", "kind", "country")


def reports_query(query: dict[str, Any]) -> Any:
    """The reports a list shows for `query` (a `ReportQuerySchema` load), newest period first
    unless `sort` says otherwise: the one statement behind `GET /api/v1/reports` and the reports
    page."""
    stmt = where_given(select(Report), query, FILTERS)
    return sorted_by(stmt, query.get("sort") or DEFAULT_SORT, SORTS, tie=col(Report.id))


def scope_key(country_code: str | None) -> str:
    return country_code or HQ


def lock_key(kind: str, scope: str, period: str) -> int:
    """A signed 64-bit key for PostgreSQL's advisory locks."""
    digest = hashlib.sha256(f"k-sustain:report:{kind}:{scope}:{period}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _lock(session: Session, key: int, *, wait: bool) -> bool:
    """Lock this report's key for the rest of the transaction; False when busy (no wait)."""
    if session.get_bind().dialect.name == "postgresql":
        fn = sa.func.pg_advisory_xact_lock if wait else sa.func.pg_try_advisory_xact_lock
        result = session.scalar(sa.select(fn(key)))
        return True if wait else bool(result)
    session.execute(sa.select(sa.literal(1)))  # SQLite: BEGIN IMMEDIATE happens here
    return True


def is_final(report: Report, period: str) -> bool:
    """A ready report the scheduler made, or one made after its month ended: never redone."""
    if report.status != ReportStatus.ready.value or report.sha256 is None:
        return False
    return report.generated_by == SCHEDULER or report.generated_at >= periods.bounds(period)[1]


def _check(session: Session, kind: str, period: str, country_code: str | None,
           now: dt.datetime) -> None:
    if kind not in TEMPLATES:
        raise Invalid("Unknown report kind", {"kind": [f"one of {sorted(TEMPLATES)}"]})
    try:
        periods.parse(period)
    except ValueError as exc:
        raise Invalid("Bad period", {"period": ["YYYY-MM"]}) from exc
    if period > periods.of(now.astimezone(dt.UTC)):
        raise Invalid("Future period", {"period": ["the month has not started yet"]})
    if kind == ReportKind.country_monthly.value:
        if not country_code or session.get(Country, country_code) is None:
            raise Invalid("Unknown country", {"country": ["no such buyer country is registered"]})
    elif country_code:
        raise Invalid("HQ report has no country", {"country": ["leave empty for the HQ report"]})


def _data(session: Session, kind: str, period: str, country_code: str | None, now: dt.datetime,
          revision: int, options: Options) -> dict[str, Any]:
    if kind == ReportKind.country_monthly.value:
        return report_data.country_monthly(session=session, country_code=country_code or "",
                                           period=period, now=now, revision=revision,
                                           marking=options.marking)
    return report_data.hq_monthly(session=session, period=period, now=now, revision=revision,
                                  marking=options.marking, timezone=options.timezone,
                                  language=options.hq_language)


@dataclass(frozen=True)
class _Prepared:
    """A render made before taking SQLite's write lock, for the revision it was made for."""

    revision: int
    rendered: Any  # RenderedPdf, or the exception the render raised


_FINAL = _Prepared(0, None)  # a scheduled run found the report final: nothing to render
PREPARE_ATTEMPTS = 3  # renders made outside the lock before one is made under it


def _prepare(engine: Engine, kind: str, period: str, country_code: str | None, now: dt.datetime,
             options: Options, scheduled: bool) -> _Prepared | None:
    """SQLite: gather and render outside the write lock (a read transaction).

    SQLite has one write lock for the whole database; holding it for a render would queue
    every other writer (the API, the daily survey job, a second report process) behind it past
    their busy timeout. Returns the render for the revision seen now (None when gathering
    failed: redone, and recorded, under the lock; `_FINAL` when a scheduled run skips it).
    """
    with Session(engine, expire_on_commit=False) as session:
        _check(session, kind, period, country_code, now)
        report = session.exec(select(Report).where(
            Report.kind == kind, Report.scope_key == scope_key(country_code),
            Report.period == period)).first()
        if scheduled and report is not None and is_final(report, period):
            return _FINAL
        revision = _next_revision(report)
        try:
            data = _data(session, kind, period, country_code, now, revision, options)
        except Exception:  # recorded when the same work is redone under the lock
            return None
    try:
        return _Prepared(revision, render_document(TEMPLATES[kind], data))
    except Exception as exc:  # noqa: BLE001 - recorded on the row under the lock
        return _Prepared(revision, exc)


def _next_revision(report: Report | None) -> int:
    if report is None:
        return 1
    return report.revision + 1 if report.sha256 else max(report.revision, 1)


def generate(*, engine: Engine, kind: str, period: str, country_code: str | None,
             actor: tuple[int | None, str], options: Options = Options(),
             now: dt.datetime | None = None, scheduled: bool = False) -> Outcome:
    """Generate one report; `scheduled` skips a final report and a key locked elsewhere.

    On SQLite the report is rendered before the write lock is taken; should another process
    have made a revision meanwhile, it is rendered again, outside the lock, up to
    PREPARE_ATTEMPTS times (then under it: the work still completes)."""
    now = now or utcnow()
    for attempt in range(1, PREPARE_ATTEMPTS + 1):
        prepared = None
        if engine.dialect.name == "sqlite":
            prepared = _prepare(engine, kind, period, country_code, now, options, scheduled)
        outcome = _write(engine=engine, kind=kind, period=period, country_code=country_code,
                         actor=actor, options=options, now=now, scheduled=scheduled,
                         prepared=prepared, last=attempt == PREPARE_ATTEMPTS)
        if outcome is not None:
            return outcome
    raise AssertionError("unreachable: the last attempt always writes")


def _write(*, engine: Engine, kind: str, period: str, country_code: str | None,
           actor: tuple[int | None, str], options: Options, now: dt.datetime, scheduled: bool,
           prepared: _Prepared | None, last: bool) -> Outcome | None:
    """Under the lock: record the prepared render, or None when it is stale (not `last`)."""
    scope = scope_key(country_code)
    started = time.perf_counter()
    with session_scope(engine, actor=actor) as session:
        if not _lock(session, lock_key(kind, scope, period), wait=not scheduled):
            return Outcome(None, "busy")
        _check(session, kind, period, country_code, now)
        report = session.exec(select(Report).where(
            Report.kind == kind, Report.scope_key == scope, Report.period == period)).first()
        if scheduled and report is not None and is_final(report, period):
            return Outcome(report, "skipped")
        revision = _next_revision(report)
        stale = prepared is not None and (prepared is _FINAL or prepared.revision != revision)
        if stale and not last:
            return None  # another process made a revision meanwhile: render again, unlocked
        if report is None:
            report = Report(kind=kind, country_code=country_code, scope_key=scope, period=period,
                            revision=0, status=ReportStatus.failed.value, generated_by=actor[1])
            session.add(report)
        report.attempts += 1
        try:
            if prepared is not None and prepared is not _FINAL and prepared.revision == revision:
                if isinstance(prepared.rendered, Exception):
                    raise prepared.rendered
                rendered = prepared.rendered
            else:  # PostgreSQL (the advisory lock blocks only this report), or a revision moved on
                data = _data(session, kind, period, country_code, now, revision, options)
                rendered = render_document(TEMPLATES[kind], data)
        except Exception as exc:  # a template or renderer failure: record it, keep the old PDF
            log.exception("report %s %s %s failed", kind, scope, period)
            report.error = f"{type(exc).__name__}: {exc}"[:2000]
            report.revision = max(report.revision, 1)
            session.commit()
            return Outcome(report, "failed", time.perf_counter() - started)
        report.revision = revision
        report.status = ReportStatus.ready.value
        report.error = None
        report.sha256 = hashlib.sha256(rendered.pdf).hexdigest()
        report.size = len(rendered.pdf)
        report.pages = rendered.pages
        report.generated_at = now
        report.generated_by = actor[1]
        report.generated_by_user_id = actor[0]
        session.flush()
        if options.test_delay_ms:  # crash tests: the row is written, its bytes not yet
            time.sleep(options.test_delay_ms / 1000)
        assert report.id is not None  # the flush above gave a new report its id
        stored = session.get(ReportFile, report.id)
        if stored is None:
            session.add(ReportFile(report_id=report.id, country_code=country_code, pdf=rendered.pdf))
        else:
            stored.pdf = rendered.pdf
        session.commit()
        return Outcome(report, "generated", time.perf_counter() - started)


def generate_report(*, engine: Engine, kind: str, period: str, country_code: str | None,
                    actor: tuple[int | None, str], options: Options = Options(),
                    now: dt.datetime | None = None) -> Report:
    """Generate (or regenerate, bumping the revision) one report now; RenderFailed on failure."""
    outcome = generate(engine=engine, kind=kind, period=period, country_code=country_code,
                       actor=actor, options=options, now=now)
    assert outcome.report is not None
    if outcome.action == "failed":
        raise RenderFailed("The report could not be rendered; the failure is recorded",
                           {"report": [outcome.report.error or "render failed"]},
                           report_id=outcome.report.id)
    return outcome.report


def active_countries(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(
            select(Country.code).where(col(Country.active).is_(True)).order_by(Country.code)))


def generate_period(*, engine: Engine, period: str, actor: tuple[int | None, str],
                    options: Options = Options(), now: dt.datetime | None = None,
                    scheduled: bool = False, countries: list[str] | None = None,
                    progress: Callable[[str, Outcome], Any] = lambda _scope, _o: None,
                    ) -> list[Outcome]:
    """Every active country's report and the HQ report for `period` (HQ last)."""
    outcomes = []
    targets: list[tuple[str, str | None]] = [
        (ReportKind.country_monthly.value, code)
        for code in (countries if countries is not None else active_countries(engine))]
    if countries is None:
        targets.append((ReportKind.hq_monthly.value, None))
    for kind, code in targets:
        outcome = generate(engine=engine, kind=kind, period=period, country_code=code, actor=actor,
                           options=options, now=now, scheduled=scheduled)
        progress(scope_key(code), outcome)
        outcomes.append(outcome)
    return outcomes
