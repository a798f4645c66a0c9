"""Filing a deficiency report and changing its details: the country, system and units it is
about, the severity rules (`safety` is always `critical`), its number and its due times."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models import Country, DeficiencyReport, DeficiencyUnit, Unit, WeaponSystem, utcnow
from service.core.auth import Principal
from service.domain import outbox
from service.domain.deficiencies import mail, numbering, sla
from service.domain.errors import Conflict, Invalid, NotFound


def _severity(category: str, severity: str | None) -> str:
    if category == "safety":
        if severity not in (None, "critical"):
            raise Invalid("A safety deficiency is always critical",
                          {"severity": ["must be critical for the safety category"]})
        return "critical"
    if severity is None:
        raise Invalid("Give the severity", {"severity": ["required for this category"]})
    return severity


def _country(session: Session, named: str | None, actor: Principal) -> Country:
    if actor.is_liaison:
        if named is not None and named != actor.country_code:
            # Another country is invisible to a liaison: the same answer as for a missing one.
            raise NotFound(f"Country {named} not found")
        named = actor.country_code
    elif named is None:
        raise Invalid("Name the country", {"country": ["required when staff file a report"]})
    country = session.get(Country, named)
    if country is None:
        raise Invalid("Unknown country", {"country": ["no such buyer country is registered"]})
    return country


def _units(session: Session, unit_ids: list[int], country_code: str, system_id: int) -> list[Unit]:
    """The report's units; one of another country is not found, exactly like a missing one."""
    found = {u.id: u for u in session.exec(
        select(Unit).where(col(Unit.id).in_(unit_ids), Unit.country_code == country_code))}
    if missing := [i for i in unit_ids if i not in found]:
        raise NotFound(f"Unit {missing[0]} not found",
                       {"unit_ids": [f"unit {i} not found" for i in missing]})
    if wrong := [u.serial for u in found.values() if u.system_id != system_id]:
        raise Invalid("The units must be of the report's system",
                      {"unit_ids": [f"unit {s} is not of this system" for s in wrong]})
    return [found[i] for i in unit_ids]


def file_report(*, session: Session, data: dict[str, Any], actor: Principal,
                now: dt.datetime | None = None) -> DeficiencyReport:
    """A new submitted report with its number and due times; tells staff; commits.

    Everything is checked before the number is taken, and a refusal rolls back: a refused
    filing uses no number.
    """
    data = dict(data)
    now = now or utcnow()
    country = _country(session, data.pop("country_code", None), actor)
    if session.get(WeaponSystem, data["system_id"]) is None:
        raise Invalid("Unknown system", {"system_id": ["no such system in the catalogue"]})
    units = _units(session, data.pop("unit_ids"), country.code, data["system_id"])
    data["severity"] = _severity(data["category"], data.get("severity"))
    year = now.astimezone(ZoneInfo(country.timezone)).year  # the year as the country counts it
    seq = numbering.take(session=session, country_code=country.code, year=year)
    ack_due, resolve_due = sla.due_times(sla.targets(session=session, country_code=country.code),
                                         data["severity"], now)
    report = DeficiencyReport(**data, country_code=country.code, year=year, seq=seq,
                              number=numbering.format_number(country.code, year, seq),
                              filed_by=actor.user_id, submitted_at=now, updated_at=now,
                              acknowledge_due_at=ack_due, resolve_due_at=resolve_due)
    session.add(report)
    session.flush()
    session.add_all([DeficiencyUnit(report_id=report.id or 0, unit_id=u.id or 0,
                                    country_code=country.code) for u in units])
    outbox.notify(session=session, messages=[{
        "key": f"deficiency-filed:{report.id}:user:{u.id}", "kind": "deficiency_filed",
        "user_id": u.id, "recipient": u.email, "country_code": country.code,
        **mail.render_to(session, u, "deficiency_filed", report=report, country=country,
                         units=len(units), ack_due=ack_due),
        "data": {"deficiency_id": report.id},
    } for u in outbox.staff_and_admins(session=session)])
    session.commit()
    return report


def update_report(*, session: Session, report: DeficiencyReport, changes: dict[str, Any]) -> DeficiencyReport:
    """Change a report's details (a new severity moves its due times); commits."""
    changes = dict(changes)
    if report.status in ("closed", "withdrawn"):
        raise Conflict(f"A {report.status} report is not changed any more",
                      {"status": [f"the report is {report.status}"]})
    category = changes.pop("category", report.category)
    severity = _severity(category, changes.pop("severity", report.severity)
                         if category != "safety" or "severity" in changes else None)
    report.category = category
    if severity != report.severity:
        sla.change_severity(session=session, report=report, severity=severity)
    for key, value in changes.items():
        setattr(report, key, value)
    report.updated_at = utcnow()
    session.commit()
    return report
