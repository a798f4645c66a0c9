"""Nominating trainees for a country's planned or confirmed training service, up to its capacity.

The last seat is race-safe: the event's row is locked before the seats are counted (SELECT …
FOR UPDATE on PostgreSQL; on SQLite every writer already holds the write lock from BEGIN
IMMEDIATE), so two liaisons taking it at once get one 201 and one 409.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import (
    EventStatus,
    Nomination,
    NominationStatus,
    ServiceEvent,
    Trainee,
    utcnow,
)
from service.core.auth import Principal
from service.domain.errors import Conflict, Invalid

TRAINING_KINDS = ("joint_training", "tech_education")
OPEN_STATES = (EventStatus.planned.value, EventStatus.confirmed.value)
ACTIVE = NominationStatus.nominated.value


def nominees(*, session: Session, event: ServiceEvent) -> list[dict[str, Any]]:
    """The event's nominations with each trainee's name, rank and organisation, by name: one
    statement."""
    rows = session.execute(
        select(Nomination, Trainee.name, Trainee.rank, Trainee.organisation)
        .join(Trainee, col(Trainee.id) == Nomination.trainee_id)
        .where(Nomination.event_id == event.id)
        .order_by(col(Nomination.status), col(Trainee.name), col(Nomination.id)))
    return [{**{k: getattr(n, k) for k in ("id", "event_id", "trainee_id", "status", "result",
                                           "score", "version", "created_at", "withdrawn_at")},
             "country": n.country_code, "name": name, "rank": rank, "organisation": org}
            for n, name, rank, org in rows]


def seats_taken(session: Session, event_id: int) -> int:
    return session.scalar(select(sa.func.count()).select_from(Nomination).where(
        Nomination.event_id == event_id, Nomination.status == ACTIVE)) or 0


def _lock_event(session: Session, event: ServiceEvent) -> ServiceEvent:
    """The event re-read under a row lock (PostgreSQL), so its seats are counted alone."""
    if session.get_bind().dialect.name == "sqlite":
        session.refresh(event)
        return event
    locked = session.exec(select(ServiceEvent).where(ServiceEvent.id == event.id)
                          .with_for_update().execution_options(populate_existing=True)).one()
    return locked


def nominate(*, session: Session, event: ServiceEvent, trainee_id: int, actor: Principal,
             now: Any = None) -> dict[str, Any]:
    """Take a seat for a trainee of the event's country; 409 when the seats are gone; commits."""
    now = now or utcnow()
    trainee = session.get(Trainee, trainee_id)
    if trainee is None or trainee.country_code != event.country_code:
        raise Invalid("Unknown trainee", {"trainee_id": ["no such trainee of this service's country"]})
    if trainee.anonymised_at is not None:
        raise Invalid("Anonymised trainee", {"trainee_id": ["the trainee was anonymised"]})
    if event.kind not in TRAINING_KINDS:
        raise Conflict("Only joint trainings and technological educations take nominations",
                       {"event": [f"a {event.kind} takes no trainees"]})
    event = _lock_event(session, event)
    if event.status not in OPEN_STATES or event.starts_at <= now:
        raise Conflict("Nominations are open only before a planned or confirmed service starts",
                       {"event": [f"the service is {event.status}"]})
    existing = session.exec(select(Nomination).where(Nomination.event_id == event.id,
                                                     Nomination.trainee_id == trainee_id)).first()
    if existing is not None and existing.status == ACTIVE:
        raise Conflict("Already nominated", {"trainee_id": ["this trainee is nominated already"]})
    taken = seats_taken(session, event.id or 0)
    if event.capacity is not None and taken >= event.capacity:
        raise Conflict("No seat left", {"trainee_id": [f"all {event.capacity} seats are taken"]},
                       capacity=event.capacity, taken=taken)
    if existing is not None:  # withdrawn before: nominated again, the same row
        existing.status, existing.withdrawn_at, existing.nominated_by = ACTIVE, None, actor.user_id
        nomination = existing
    else:
        nomination = Nomination(event_id=event.id or 0, trainee_id=trainee_id,
                                country_code=event.country_code, nominated_by=actor.user_id)
        session.add(nomination)
    session.commit()
    return next(n for n in nominees(session=session, event=event) if n["id"] == nomination.id)


def withdraw(*, session: Session, event: ServiceEvent, nomination: Nomination,
             now: Any = None) -> dict[str, Any]:
    """Give the seat back, before the service starts; commits."""
    now = now or utcnow()
    if nomination.event_id != event.id:
        raise Invalid("Not a nomination of this service", {"nomination": ["unknown here"]})
    if nomination.status != ACTIVE:
        raise Conflict("Already withdrawn", {"status": ["the nomination was withdrawn"]})
    if event.starts_at <= now or event.status not in OPEN_STATES:
        raise Conflict("A nomination can be withdrawn only before the service starts",
                       {"status": [f"the service is {event.status}"]})
    nomination.status, nomination.withdrawn_at = NominationStatus.withdrawn.value, now
    session.commit()
    return next(n for n in nominees(session=session, event=event) if n["id"] == nomination.id)


def candidates(*, session: Session, event: ServiceEvent) -> list[tuple[int, str]]:
    """The trainees of the event's country who could take a seat (not nominated, not
    anonymised), as (id, "name, rank") for the page's select."""
    taken = select(Nomination.trainee_id).where(Nomination.event_id == event.id, Nomination.status == ACTIVE)
    rows = session.execute(select(Trainee.id, Trainee.name, Trainee.rank).where(
        col(Trainee.country_code) == event.country_code, col(Trainee.anonymised_at).is_(None),
        col(Trainee.id).not_in(taken)).order_by(col(Trainee.name)).limit(500))
    return [(i, f"{name}, {rank}" if rank else name) for i, name, rank in rows]
