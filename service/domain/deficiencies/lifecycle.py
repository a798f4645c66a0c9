"""The lifecycle of a deficiency report (SPEC §9) and who may make each move.

submitted -> acknowledged -> investigating -> resolved -> closed; investigating <-> awaiting_buyer
(the SLA clock stops); the filer may withdraw before acknowledgement; the buyer accepts a
resolution (closed) or reopens it once within 30 days (back to investigating); a resolution
nobody answers closes itself after 30 days. Every move is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlmodel import Session, col, select

from models import DeficiencyReport, DeficiencyUnit, Unit, User, utcnow
from service.core.auth import Principal
from service.core.db import add_audit_entry
from service.domain import outbox, surveys
from service.domain.deficiencies import history, mail, sla
from service.domain.errors import Conflict, Invalid

Who = Literal["staff", "buyer", "filer", "anyone"]
MOVES: dict[str, dict[str, Who]] = {
    "submitted": {"acknowledged": "staff", "withdrawn": "filer"},
    "acknowledged": {"investigating": "staff"},
    "investigating": {"awaiting_buyer": "staff", "resolved": "staff"},
    "awaiting_buyer": {"investigating": "anyone"},  # the buyer answered, or staff go on
    "resolved": {"closed": "buyer", "investigating": "buyer"},  # accept, or reopen once
    "closed": {},
    "withdrawn": {},
}
REOPEN_WITHIN = dt.timedelta(days=30)
AUTO_CLOSE_AFTER = dt.timedelta(days=30)
RETURNS_UNITS = {"repaired", "replaced"}


def _may(who: Who, report: DeficiencyReport, actor: Principal | None) -> bool:
    if actor is None:  # the system (the daily job)
        return False
    if who == "anyone":
        return True
    if who == "staff":
        return not actor.is_liaison
    if who == "buyer":
        return actor.is_liaison
    return actor.user_id == report.filed_by  # the filer


def allowed(report: DeficiencyReport, actor: Principal | None, now: dt.datetime | None = None) -> list[str]:
    """The moves `actor` may make on `report` now."""
    now = now or utcnow()
    out = [to for to, who in MOVES[report.status].items() if _may(who, report, actor)]
    if report.status == "resolved" and "investigating" in out and (
            report.reopened or report.resolved_at is None or now - report.resolved_at > REOPEN_WITHIN):
        out.remove("investigating")
    return out


def transition(*, session: Session, report: DeficiencyReport, actor: Principal, status: str,
               reason: str | None = None, disposition: str | None = None,
               resolution: str | None = None, unit_status: str | None = None,
               replacement_serial: str | None = None, now: dt.datetime | None = None) -> DeficiencyReport:
    """Make one move; an illegal one is 409 with the allowed ones; commits."""
    now = now or utcnow()
    moves = allowed(report, actor, now)
    if status not in moves:
        raise Conflict(f"A {report.status} report cannot become {status}",
                       {"status": [f"allowed from {report.status}: {', '.join(moves) or 'none'}"]},
                       allowed=moves)
    if unit_status is not None and actor.is_liaison:
        raise Invalid("Only staff set the units' status", {"unit_status": ["staff only"]})
    if status == "resolved" and (not disposition or not resolution):
        raise Invalid("Resolving needs a disposition and a resolution",
                      {f: ["required to resolve"] for f, v in
                       (("disposition", disposition), ("resolution", resolution)) if not v})
    if disposition is not None and status != "resolved":
        raise Invalid("A disposition is given when resolving", {"disposition": ["only when resolving"]})
    if replacement_serial is not None and disposition != "replaced":
        raise Invalid("A replacement serial is given when resolving as replaced",
                      {"replacement_serial": ["only with the disposition replaced"]})
    before = report.status
    _apply(report, before, status, now, disposition, resolution)
    if status == "resolved" and disposition in RETURNS_UNITS and unit_status is None:
        unit_status = "operational"
    if unit_status is not None:
        _set_units(session, report, unit_status, reason or history.move_reason(report, status),
                   replacement_serial)
    _audit(session, report, before, status, reason)
    _tell(session, report, actor)
    if status == "closed":  # the buyer accepted: how was it handled? (SPEC §9)
        surveys.open_handling_survey(session=session, report=report, now=now)
    session.commit()
    return report


def _apply(report: DeficiencyReport, before: str, status: str, now: dt.datetime,
           disposition: str | None, resolution: str | None) -> None:
    if before == "awaiting_buyer":
        sla.resume(report, now)
    if status == "awaiting_buyer":
        sla.pause(report, now)
    elif status == "acknowledged":
        report.acknowledged_at = now
    elif status == "resolved":
        report.resolved_at, report.disposition, report.resolution = now, disposition, resolution
    elif status == "closed":
        report.closed_at = now
    elif status == "investigating" and before == "resolved":  # reopened, once
        report.reopened, report.resolved_at, report.disposition = True, None, None
    report.status = status
    report.updated_at = now


def _set_units(session: Session, report: DeficiencyReport, status: str, reason: str,
               replacement_serial: str | None = None) -> None:
    units = session.exec(select(Unit).join(DeficiencyUnit, col(DeficiencyUnit.unit_id) == Unit.id)
                         .where(col(DeficiencyUnit.report_id) == report.id).order_by(col(Unit.id)))
    for unit in units:
        history.set_status(session=session, unit=unit, status=status, reason=reason,
                           report_id=report.id, replacement_serial=replacement_serial)


def _audit(session: Session, report: DeficiencyReport, before: str, status: str,
           reason: str | None) -> None:
    add_audit_entry(session, action="transition", entity="deficiency_report", entity_id=str(report.id),
                    changes={"status": [before, status], "reason": reason})


def _tell(session: Session, report: DeficiencyReport, actor: Principal | None) -> None:
    """The other side hears of the move: the country's liaisons, or staff."""
    to: list[User] = (outbox.staff_and_admins(session=session) if actor and actor.is_liaison
                      else outbox.liaisons_of(session=session, country_code=report.country_code))
    outbox.notify(session=session, messages=[{
        "key": f"deficiency-status:{report.id}:{report.version}:{report.status}:user:{u.id}",
        "kind": "deficiency_status", "user_id": u.id, "recipient": u.email,
        "country_code": report.country_code,
        **mail.render_to(session, u, "deficiency_status", report=report),
        "data": {"deficiency_id": report.id},
    } for u in to])


def auto_close(*, session: Session, now: dt.datetime | None = None) -> list[int]:
    """Close every report resolved 30 days ago or more that nobody answered; no commit."""
    now = now or utcnow()
    due = session.exec(select(DeficiencyReport).where(
        DeficiencyReport.status == "resolved",
        col(DeficiencyReport.resolved_at) <= now - AUTO_CLOSE_AFTER).order_by(col(DeficiencyReport.id))).all()
    for report in due:
        _apply(report, "resolved", "closed", now, None, None)
        _audit(session, report, "resolved", "closed", "no answer within 30 days of the resolution")
        _tell(session, report, None)
        surveys.open_handling_survey(session=session, report=report, now=now)
    return [r.id or 0 for r in due]
