"""A contract's package lines and the state of each: delivered against promised, accepted, overdue.

A delivery counts unless the buyer disputes it (until staff answer the dispute). A line is
`accepted` when the accepted quantity covers it, `delivered` when the counted quantity does,
`overdue` when past its due date and not delivered, `in_progress` when something was delivered
or a service linked to it is scheduled, else `planned`. One grouped statement per list.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import (
    Contract,
    Delivery,
    DeliveryStatus,
    EventStatus,
    LineState,
    PackageEvent,
    PackageLine,
    ServiceEvent,
)
from service.domain.errors import Invalid

COUNTED = sa.case((col(Delivery.status) != DeliveryStatus.disputed.value, col(Delivery.quantity)), else_=0)
ACCEPTED = sa.case((col(Delivery.status) == DeliveryStatus.accepted.value, col(Delivery.quantity)), else_=0)
# Each line's deliveries and scheduled services, read per line (a seek on `ix_delivery_line`
# and `ix_package_event_line_id`), so a list reads the deliveries of its own lines only.


def _per_line(value: Any) -> Any:
    """A line's deliveries made by `:upto` (a past day's figures; else every one: a service
    completed early delivers on its end date)."""
    return (sa.select(sa.func.coalesce(sa.func.sum(value), 0))
            .where(col(Delivery.line_id) == col(PackageLine.id),
                   col(Delivery.delivered_on) <= sa.bindparam("upto", type_=sa.Date()))
            .correlate(PackageLine).scalar_subquery())


_SCHEDULED = (select(sa.func.count()).select_from(PackageEvent)
              .join(ServiceEvent, col(ServiceEvent.id) == PackageEvent.event_id)
              .where(col(PackageEvent.line_id) == col(PackageLine.id),
                     col(ServiceEvent.status).not_in([EventStatus.completed.value,
                                                      EventStatus.cancelled.value]))
              .correlate(PackageLine).scalar_subquery())
LINE_ROWS = (sa.select(PackageLine, _per_line(COUNTED), _per_line(ACCEPTED),
                       _per_line(sa.case((col(Delivery.status) == DeliveryStatus.disputed.value, 1),
                                         else_=0)),
                       _SCHEDULED)
             .order_by(col(PackageLine.due_on), col(PackageLine.id)))


def state_of(*, quantity: int, counted: int, accepted: int, scheduled: int, due_on: dt.date,
             today: dt.date, disputed: int = 0) -> str:
    if accepted >= quantity:
        return LineState.accepted.value
    if counted >= quantity:
        return LineState.delivered.value
    if due_on < today:
        return LineState.overdue.value
    if counted or scheduled or disputed:
        return LineState.in_progress.value
    return LineState.planned.value


def line_states(*, session: Session, today: dt.date, contract_id: int | None = None,
                line_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Lines (of one contract, or the given ones, or every visible one) with their figures."""
    stmt = LINE_ROWS
    if contract_id is not None:
        stmt = stmt.where(col(PackageLine.contract_id) == contract_id)
    if line_ids is not None:
        stmt = stmt.where(col(PackageLine.id).in_(line_ids))
    out = []
    for line, counted, accepted, disputed, scheduled in session.execute(stmt, {"upto": dt.date.max}):
        item = {k: getattr(line, k) for k in ("id", "contract_id", "kind", "system_id", "description",
                                              "language", "revision", "quantity", "due_on",
                                              "version")}
        item.update(country=line.country_code, delivered=int(counted), accepted=int(accepted),
                    disputed=int(disputed), scheduled_services=int(scheduled),
                    remaining=max(line.quantity - int(counted), 0),
                    state=state_of(quantity=line.quantity, counted=int(counted), accepted=int(accepted),
                                   scheduled=int(scheduled), due_on=line.due_on, today=today,
                                   disputed=int(disputed)))
        out.append(item)
    return out


def add_line(*, session: Session, contract: Contract, data: dict[str, Any]) -> PackageLine:
    """A new line of the contract's package; commits."""
    if data.get("system_id") is not None and data["system_id"] not in {
            line.system_id for line in contract.lines}:
        raise Invalid("Not a system of this contract", {"system_id": ["the contract has no such system"]})
    if data["kind"] != "publication" and (data.get("language") or data.get("revision")):
        raise Invalid("Only publications have a language and revision",
                      {"language": ["only for publication lines"]})
    line = PackageLine(**data, contract_id=contract.id or 0, country_code=contract.country_code)
    session.add(line)
    session.commit()
    return line


def summary(*, session: Session, today: dt.date, country: str | None = None,
            contract_id: int | None = None, as_of: bool = False) -> list[dict[str, Any]]:
    """Per contract: quantity promised and delivered (each line counted up to its promise), the
    share delivered with its n (lines), and its overdue lines on `today`; one statement. `as_of`:
    the figures of that past day, from the deliveries made by then (their acceptance or dispute
    as it stands)."""
    stmt = (LINE_ROWS.join(Contract, col(Contract.id) == PackageLine.contract_id)
            .add_columns(col(Contract.number)))
    if country is not None:
        stmt = stmt.where(col(PackageLine.country_code) == country)
    if contract_id is not None:
        stmt = stmt.where(col(PackageLine.contract_id) == contract_id)
    contracts: dict[int, dict[str, Any]] = {}
    upto = today if as_of and today < dt.datetime.now(dt.UTC).date() else dt.date.max  # today: all
    for line, counted, accepted, disputed, scheduled, number in session.execute(stmt, {"upto": upto}):
        c = contracts.setdefault(line.contract_id, {
            "contract_id": line.contract_id, "number": number,
            "country": line.country_code, "lines": 0, "promised": 0, "delivered": 0,
            "lines_delivered": 0, "overdue": 0})
        state = state_of(quantity=line.quantity, counted=int(counted), accepted=int(accepted),
                         scheduled=int(scheduled), due_on=line.due_on, today=today, disputed=int(disputed))
        c["lines"] += 1
        c["promised"] += line.quantity
        c["delivered"] += min(int(counted), line.quantity)
        c["lines_delivered"] += state in (LineState.delivered.value, LineState.accepted.value)
        c["overdue"] += state == LineState.overdue.value
    for c in contracts.values():
        c["share_delivered"] = round(100 * c["delivered"] / c["promised"], 1) if c["promised"] else None
    return sorted(contracts.values(), key=lambda c: (c["country"], c["number"] or ""))
