"""Reading reports: the one list query (API and pages) and the units each report is about."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import DeficiencyReport, DeficiencyUnit, Unit, utcnow
from models.deficiencies import OPEN_DEFICIENCY_STATES
from service.domain.deficiencies import breaches, sla
from service.domain.lists import sorted_by

FILTERS = (("country", DeficiencyReport.country_code), ("system", DeficiencyReport.system_id),
           ("status", DeficiencyReport.status), ("severity", DeficiencyReport.severity),
           ("category", DeficiencyReport.category))


@dataclass
class ReportOut:
    """A report with its units and, for its reader, the moves they may make."""

    report: DeficiencyReport
    units: list[dict[str, Any]] = field(default_factory=list)
    now: dt.datetime = field(default_factory=utcnow)
    allowed: list[str] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.report, name)

    @property
    def overdue(self) -> bool:
        return sla.overdue(self.report, self.now)

    @property
    def paused(self) -> bool:
        return self.report.paused_since is not None


SORTS = {"submitted": DeficiencyReport.submitted_at, "number": DeficiencyReport.number,
         "severity": DeficiencyReport.severity, "status": DeficiencyReport.status,
         "title": DeficiencyReport.title, "country": DeficiencyReport.country_code}
DEFAULT_SORT = ("-submitted",)


def list_statement(query: dict[str, Any], now: dt.datetime | None = None) -> Any:
    """Reports matching the filters, newest first unless `sort` says otherwise."""
    stmt = sorted_by(select(DeficiencyReport), query.get("sort") or DEFAULT_SORT, SORTS,
                     tie=col(DeficiencyReport.id))
    return filtered(stmt, query, now)


def filtered(stmt: Any, query: dict[str, Any], now: dt.datetime | None = None) -> Any:
    """`stmt` kept to the reports the filters of `DeficiencyQuerySchema` describe (the list's and
    the staff queue's, in the API and on the pages)."""
    for key, column in FILTERS:
        if key in query:
            stmt = stmt.where(column == query[key])
    if "unit" in query:
        stmt = stmt.where(col(DeficiencyReport.id).in_(
            select(DeficiencyUnit.report_id).where(DeficiencyUnit.unit_id == query["unit"])))
    if "overdue" in query:
        clause = sla.overdue_clause(now or utcnow())
        stmt = stmt.where(clause if query["overdue"] else sa.not_(clause))
    if "from_" in query:
        stmt = stmt.where(DeficiencyReport.submitted_at >= query["from_"])
    if "to" in query:
        stmt = stmt.where(DeficiencyReport.submitted_at < query["to"])
    return stmt


def with_units(*, session: Session, reports: Sequence[DeficiencyReport],
               now: dt.datetime | None = None) -> list[ReportOut]:
    """The reports with their units' serials: one query for the whole page. A report seen past
    a due time not told yet has its breach told now (`breaches.tell_seen`), as the daily job
    would (SPEC §9: "the daily job, and the moment it is seen")."""
    now = now or utcnow()
    if breaches.tell_seen(reports=reports, now=now):
        # stamped (a new version) in a transaction of its own: the answer shows what is stored,
        # so its ETag is current (a new read transaction, or SQLite's snapshot is the old one)
        session.commit()
        for report in reports:
            session.refresh(report)
    out = {r.id: ReportOut(r, now=now) for r in reports}
    for report_id, uid, serial in session.execute(
        select(DeficiencyUnit.report_id, Unit.id, Unit.serial)
        .join(Unit, col(Unit.id) == DeficiencyUnit.unit_id)
        .where(col(DeficiencyUnit.report_id).in_(out)).order_by(Unit.serial)
    ):
        out[report_id].units.append({"id": uid, "serial": serial})
    return list(out.values())


def queue_statement(query: dict[str, Any] | None = None, now: dt.datetime | None = None) -> Any:
    """Open reports across countries by their next due time (so overdue first); paused last;
    kept to the filters of `query` (its order aside)."""
    r = DeficiencyReport
    due = sa.case((col(r.acknowledged_at).is_(None), col(r.acknowledge_due_at)), else_=col(r.resolve_due_at))
    paused = sa.case((col(r.paused_since).is_(None), 0), else_=1)
    return filtered(select(r).where(col(r.status).in_(OPEN_DEFICIENCY_STATES))
                    .order_by(paused, due, col(r.id)), query or {}, now)


def next_due(report: DeficiencyReport) -> dt.datetime | None:
    """The due time the clock runs toward now (None: paused or no longer open)."""
    if report.status not in OPEN_DEFICIENCY_STATES or report.paused_since is not None:
        return None
    return report.acknowledge_due_at if report.acknowledged_at is None else report.resolve_due_at
