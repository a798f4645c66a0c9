"""A country's roster of trainees: list, add, correct, anonymise (staff, on request)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from models import AuditEntry, Country, Trainee, utcnow
from service.core.auth import Principal
from service.core.db import audit_note
from service.domain.errors import Conflict, Invalid, NotFound
from service.domain.lists import where_given

ANONYMOUS = "Anonymised trainee"
FILTERS = (("country", Trainee.country_code),)


def trainees_query(query: dict[str, Any]) -> Any:
    """The roster a list shows for `query`, by name: behind `GET /trainees` and the page."""
    stmt = where_given(select(Trainee).order_by(col(Trainee.name), col(Trainee.id)), query, FILTERS)
    if query.get("q"):
        stmt = stmt.where(col(Trainee.name).ilike(f"%{query['q']}%"))
    return stmt


def country_for(*, session: Session, named: str | None, actor: Principal) -> str:
    """The country a write is for: a liaison's own (another is as if missing), or the one staff name."""
    if actor.is_liaison:
        if named is not None and named != actor.country_code:
            raise NotFound(f"Country {named} not found")
        return actor.country_code or ""
    if named is None:
        raise Invalid("Name the country", {"country": ["required when staff write for a country"]})
    if session.get(Country, named) is None:
        raise Invalid("Unknown country", {"country": ["no such buyer country is registered"]})
    return named


def add_trainee(*, session: Session, data: dict[str, Any], actor: Principal) -> Trainee:
    """A new trainee on the roster of the liaison's country (staff: the named one); commits."""
    data = dict(data)
    code = country_for(session=session, named=data.pop("country_code", None), actor=actor)
    trainee = Trainee(**data, country_code=code)
    session.add(trainee)
    session.commit()
    return trainee


def update_trainee(*, session: Session, trainee: Trainee, changes: dict[str, Any]) -> Trainee:
    """Correct a trainee's rank, organisation, name or service number; commits."""
    if trainee.anonymised_at is not None:
        raise Conflict("An anonymised trainee cannot be changed",
                       {key: ["the trainee was anonymised"] for key in changes})
    for key, value in changes.items():
        setattr(trainee, key, value)
    session.commit()
    return trainee


def anonymise(*, session: Session, trainee: Trainee, reason: str) -> Trainee:
    """Replace the name and service number (history, results and certificates are kept); the
    audit entry keeps the reason, never the old name."""
    if trainee.anonymised_at is not None:
        raise Conflict("Already anonymised", {"status": ["the trainee was anonymised already"]})
    trainee.name = f"{ANONYMOUS} {trainee.id}"
    trainee.service_number = None
    trainee.rank = ""
    trainee.anonymised_at = utcnow()
    audit_note(session, trainee, reason=reason)
    session.flush()
    _scrub_audit(session, trainee.id or 0)
    session.commit()
    return trainee


PERSONAL = ("name", "service_number", "rank")


def _scrub_audit(session: Session, trainee_id: int) -> None:
    """Blank the personal values in the trainee's audit entries (this change's included): the
    trail keeps who changed what and when, no longer the person's name."""
    entries = session.exec(select(AuditEntry).where(AuditEntry.entity == "trainee",
                                                    AuditEntry.entity_id == str(trainee_id)))
    for entry in entries:
        if entry.changes and any(key in entry.changes for key in PERSONAL):
            entry.changes = {k: ("***" if k in PERSONAL else v) for k, v in entry.changes.items()}
