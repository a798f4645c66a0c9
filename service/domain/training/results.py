"""Results on completion: each nominee's attendance and result, and the certificates they earn.

Called by `service.domain.services.transition` when a training service is completed: when the
service has nominees, every one needs a result (`passed`, `failed`, `attended`, or `absent`),
and `participants_actual` is the number who were there.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from models import Nomination, NominationStatus, ServiceEvent, TrainingResult
from service.domain.errors import Invalid
from service.domain.training import certificates

PRESENT = (TrainingResult.passed.value, TrainingResult.failed.value, TrainingResult.attended.value)


def record(*, session: Session, event: ServiceEvent, results: list[dict[str, Any]]) -> int | None:
    """Write the given results onto the event's nominations; the participants who attended, or
    None when the service has no nominees (then `participants_actual` is given by hand)."""
    active = {n.id: n for n in session.exec(select(Nomination).where(
        Nomination.event_id == event.id, Nomination.status == NominationStatus.nominated.value))}
    if not active:
        if results:
            raise Invalid("This service has no nominees", {"results": ["no nominations to record"]})
        return None
    problems: dict[str, list[str]] = {}
    for item in results:
        nomination = active.get(item["nomination_id"])
        if nomination is None:
            problems.setdefault("results", []).append(
                f"nomination {item['nomination_id']} is not an active nomination of this service")
            continue
        nomination.result = item["result"]
        nomination.score = item.get("score")
    missing = sorted(i or 0 for i, n in active.items() if n.result is None)
    if missing:
        problems.setdefault("results", []).append(
            "every nominee needs a result; missing for nomination(s) "
            + ", ".join(str(i) for i in missing))
    if problems:
        raise Invalid("Completing needs each nominee's result", problems)
    return sum(1 for n in active.values() if n.result in PRESENT)


def issue_certificates(*, session: Session, event: ServiceEvent) -> int:
    """A certificate for every nominee who passed the completed `event`; returns how many."""
    passed = list(session.execute(select(Nomination.id, Nomination.trainee_id).where(
        Nomination.event_id == event.id, Nomination.status == NominationStatus.nominated.value,
        col(Nomination.result) == TrainingResult.passed.value).order_by(col(Nomination.id))).all())
    return len(certificates.issue(session=session, event=event,
                                  passed=[(n or 0, t) for n, t in passed]))
