"""Unit status history: every change of a unit's status goes through `set_status`, which
writes the row that availability and MTTR are computed from."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import (
    DeficiencyReport,
    DeficiencyUnit,
    EventUnit,
    ServiceEvent,
    Unit,
    UnitStatusChange,
    utcnow,
)
from service.core.db import ACTOR_KEY


def record_start(*, session: Session, unit: Unit) -> None:
    """A new unit's first history row: its status since delivery (or since now, undelivered)."""
    session.flush()  # the unit's id
    since = (dt.datetime.combine(unit.delivered_on, dt.time(), dt.UTC) if unit.delivered_on
             else utcnow())
    from service.domain import actions

    _write(session, unit, None, since, reason=actions.written("delivered"), report_id=None,
           replacement_serial=None)


def set_status(*, session: Session, unit: Unit, status: str, reason: str | None = None,
               report_id: int | None = None, replacement_serial: str | None = None,
               at: dt.datetime | None = None) -> bool:
    """Give `unit` a new status and record the change; False (nothing written) if it has it."""
    before = str(unit.status)
    if before == status and replacement_serial is None:
        return False
    unit.status = status  # type: ignore[assignment]  # UnitStatus is a StrEnum of these strings
    _write(session, unit, before, at or utcnow(), reason=reason, report_id=report_id,
           replacement_serial=replacement_serial)
    return True


def _write(session: Session, unit: Unit, before: str | None, at: dt.datetime, *,
           reason: str | None, report_id: int | None, replacement_serial: str | None) -> None:
    """The change, as the span from `at` to the unit's next change (none: it is the unit's status
    now), ending the span it follows in the unit's history (ordered by time, then by row)."""
    user_id, label = session.info.get(ACTOR_KEY, (None, "system"))
    usc = UnitStatusChange
    ends = session.scalar(select(sa.func.min(col(usc.at))).where(usc.unit_id == unit.id, col(usc.at) > at))
    session.execute(sa.update(usc).where(col(usc.unit_id) == unit.id, col(usc.at) <= at,
                                         sa.or_(col(usc.ended_at).is_(None), col(usc.ended_at) > at))
                    .values(ended_at=at))
    session.add(UnitStatusChange(
        unit_id=unit.id or 0, country_code=unit.country_code, system_id=unit.system_id,
        from_status=before, to_status=str(unit.status), at=at, ended_at=ends, by_user_id=user_id,
        by_label=label, reason=reason, report_id=report_id, replacement_serial=replacement_serial))


def move_reason(report: DeficiencyReport, status: str) -> str:
    """The reason a report's move writes on its units' history when the move gave none (a page
    words it in its language: `actions.in_words`)."""
    from service.domain import actions

    return actions.written("unit_move", number=report.number, state=status)


def unit_life(*, session: Session, unit: Unit) -> dict[str, list[Any]]:
    """The unit's whole life: status changes, deficiency reports, services it was used in
    (three queries, oldest first)."""
    changes = session.exec(select(UnitStatusChange).where(UnitStatusChange.unit_id == unit.id)
                           .order_by(col(UnitStatusChange.at), col(UnitStatusChange.id))).all()
    reports = session.exec(select(DeficiencyReport)
                           .join(DeficiencyUnit, col(DeficiencyUnit.report_id) == DeficiencyReport.id)
                           .where(DeficiencyUnit.unit_id == unit.id)
                           .order_by(col(DeficiencyReport.submitted_at))).all()
    services = session.exec(select(ServiceEvent)
                            .join(EventUnit, col(EventUnit.event_id) == ServiceEvent.id)
                            .where(EventUnit.unit_id == unit.id)
                            .order_by(col(ServiceEvent.starts_at))).all()
    return {"status_changes": list(changes), "deficiencies": list(reports), "services": list(services)}
