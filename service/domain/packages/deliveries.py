"""Deliveries against a package line: goods recorded by staff, services counted on completion,
and the buyer's acceptance or dispute (a dispute tells staff; staff answer it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from models import (
    Delivery,
    DeliveryStatus,
    PackageEvent,
    PackageLine,
    ServiceEvent,
    utcnow,
)
from service.core.auth import Principal
from service.domain import mail, outbox
from service.domain.errors import Conflict, Forbidden, Invalid

D = DeliveryStatus
SESSION_KINDS = {"tech_education", "trial_run"}  # a completed one counts as one session


def deliveries_of(*, session: Session, line_ids: list[int]) -> list[Delivery]:
    return list(session.exec(select(Delivery).where(col(Delivery.line_id).in_(line_ids))
                             .order_by(col(Delivery.delivered_on), col(Delivery.id))))


def record_goods(*, session: Session, line: PackageLine, data: dict[str, Any], actor: Principal) -> Delivery:
    """Staff record goods (or assistance) delivered against a line; commits."""
    if line.kind in ("training", "tech_education", "trial_run"):
        raise Invalid("A service line is delivered by completing its services",
                      {"kind": [f"{line.kind} lines count completed services"]})
    delivery = Delivery(**data, line_id=line.id or 0, country_code=line.country_code,
                        recorded_by=actor.user_id)
    session.add(delivery)
    session.flush()
    _tell_liaisons(session, line, delivery)
    session.commit()
    return delivery


def link_event(*, session: Session, line: PackageLine, event: ServiceEvent) -> None:
    """Make `event` deliver `line` (no commit)."""
    session.add(PackageEvent(event_id=event.id or 0, line_id=line.id or 0, country_code=line.country_code))


def on_service_completed(*, session: Session, event: ServiceEvent) -> None:
    """A completed service linked to a line is a delivery: seats for a training line, one
    session otherwise (inside the completing transaction)."""
    link = session.get(PackageEvent, event.id)
    if link is None:
        return
    line = session.get(PackageLine, link.line_id)
    if line is None:
        return
    quantity = 1 if line.kind in SESSION_KINDS else int(event.participants_actual or 0)
    from zoneinfo import ZoneInfo

    delivery = Delivery(line_id=line.id or 0, country_code=line.country_code, event_id=event.id,
                        quantity=quantity,
                        delivered_on=event.ends_at.astimezone(ZoneInfo(event.timezone)).date(),
                        note=event.title[:1000])
    session.add(delivery)
    session.flush()
    _tell_liaisons(session, line, delivery)


def _tell_liaisons(session: Session, line: PackageLine, delivery: Delivery) -> None:
    outbox.notify(session=session, messages=[{
        "key": f"delivery:{delivery.id}:user:{u.id}", "kind": "package_delivery",
        "user_id": u.id, "recipient": u.email, "country_code": line.country_code,
        **mail.render_to(session, u, "package_delivery", delivery=delivery, line=line),
        "data": {"delivery_id": delivery.id, "line_id": line.id},
    } for u in outbox.liaisons_of(session=session, country_code=line.country_code)])


def _decidable(delivery: Delivery) -> None:
    if delivery.status not in (D.pending.value, D.answered.value):
        raise Conflict(f"A {delivery.status} delivery cannot be decided again",
                       {"status": [f"the delivery is {delivery.status}"]})


def accept(*, session: Session, delivery: Delivery, actor: Principal,
           now: dt.datetime | None = None) -> Delivery:
    """The buyer's liaison accepts a delivery; commits."""
    _buyer(actor)
    _decidable(delivery)
    delivery.status, delivery.decided_by = D.accepted.value, actor.user_id
    delivery.decided_at = now or utcnow()
    session.commit()
    return delivery


def dispute(*, session: Session, delivery: Delivery, reason: str, actor: Principal,
            now: dt.datetime | None = None) -> Delivery:
    """The buyer's liaison disputes a delivery with a reason; staff are told; commits."""
    _buyer(actor)
    _decidable(delivery)
    delivery.status, delivery.dispute_reason = D.disputed.value, reason
    delivery.decided_by, delivery.decided_at = actor.user_id, now or utcnow()
    session.flush()
    outbox.notify(session=session, messages=[{
        "key": f"delivery-disputed:{delivery.id}:{delivery.version}:user:{u.id}",
        "kind": "delivery_disputed", "user_id": u.id, "recipient": u.email,
        "country_code": delivery.country_code,
        **mail.render_to(session, u, "delivery_disputed", delivery=delivery, reason=reason),
        "data": {"delivery_id": delivery.id, "line_id": delivery.line_id},
    } for u in outbox.staff_and_admins(session=session)])
    session.commit()
    return delivery


def answer(*, session: Session, delivery: Delivery, answer: str, actor: Principal) -> Delivery:
    """Staff answer a dispute: the delivery counts again and waits for the buyer; commits."""
    if delivery.status != D.disputed.value:
        raise Conflict("Only a disputed delivery is answered",
                       {"status": [f"the delivery is {delivery.status}"]})
    delivery.status, delivery.answer = D.answered.value, answer
    session.flush()
    outbox.notify(session=session, messages=[{
        "key": f"delivery-answered:{delivery.id}:{delivery.version}:user:{u.id}",
        "kind": "delivery_answered", "user_id": u.id, "recipient": u.email,
        "country_code": delivery.country_code,
        **mail.render_to(session, u, "delivery_answered", delivery=delivery, answer=answer),
        "data": {"delivery_id": delivery.id},
    } for u in outbox.liaisons_of(session=session, country_code=delivery.country_code)])
    session.commit()
    return delivery


def _buyer(actor: Principal) -> None:
    if not actor.is_liaison:
        raise Forbidden("Only the buyer's liaison accepts or disputes a delivery",
                       {"status": ["staff answer disputes instead"]})
