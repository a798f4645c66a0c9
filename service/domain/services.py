"""Follow-up services: scheduling, re-scheduling, the lifecycle, and staff members.

Lifecycle (SPEC §2): planned -> confirmed -> in_progress -> completed; planned and confirmed
may be postponed, and a postponed service goes back to planned; any state but completed may
be cancelled, with a reason. A postponed service keeps holding its people and units (it is
not cancelled), so bringing it back to planned can never create a double booking.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from models import (
    Country,
    EventStaff,
    EventStatus,
    EventUnit,
    ServiceEvent,
    StaffMember,
    Unit,
    WeaponSystem,
    utcnow,
)
from service.core.db import audit_note
from service.domain import mail, outbox, recurrence
from service.domain.conflicts import Window, find_conflicts, lock_resources
from service.domain.errors import Conflict, Invalid
from service.domain.lists import Composite, sorted_by, where_given

S = EventStatus
ALLOWED: dict[str, list[str]] = {
    S.planned: [S.confirmed, S.postponed, S.cancelled],
    S.confirmed: [S.in_progress, S.postponed, S.cancelled],
    S.in_progress: [S.completed, S.cancelled],
    S.postponed: [S.planned, S.cancelled],
    S.completed: [],
    S.cancelled: [],
}
FROZEN = {S.completed.value, S.cancelled.value}
SCHEDULE_FIELDS = {"starts_at", "ends_at", "staff", "unit_ids"}


class EventOut:
    """An event's columns as plain attributes, with its staff and units, ready for
    `EventSchema` and the pages (plain attributes: serialising 50 of them is cheap, where
    falling through to the ORM row on every look-up cost more than the queries)."""

    id: int  # among the columns copied from the row
    title: str
    status: str
    version: int

    def __init__(self, event: Any) -> None:  # a ServiceEvent, or a row of its columns
        if isinstance(event, sa.Row):  # a row's own dict: its attributes are slow to look up one by one
            self.__dict__.update(event._asdict())
        else:
            self.__dict__.update({key: getattr(event, key) for key in _COLUMNS})
        self.staff: list[dict[str, Any]] = []
        self.units: list[dict[str, Any]] = []
        self.series_event_ids: list[int] | None = None  # set only in the answer that created a series


_COLUMNS = tuple(attr.key for attr in sa.inspect(ServiceEvent).column_attrs)
EVENT_COLUMNS = tuple(getattr(ServiceEvent, key) for key in _COLUMNS)


# --- staff members ---------------------------------------------------------------------------


def create_staff(*, session: Session, data: dict[str, Any]) -> StaffMember:
    staff = StaffMember(**data)
    session.add(staff)
    session.commit()
    return staff


def update_staff(*, session: Session, staff: StaffMember, changes: dict[str, Any]) -> StaffMember:
    for key, value in changes.items():
        setattr(staff, key, value)
    session.commit()
    return staff


# --- reading ---------------------------------------------------------------------------------

FILTERS = (("country", ServiceEvent.country_code), ("kind", ServiceEvent.kind),
           ("status", ServiceEvent.status), ("system", ServiceEvent.system_id),
           ("series", ServiceEvent.series_id), ("request", ServiceEvent.request_id))


def _upcoming_first() -> list[Any]:
    """The services still to end first, the next to start first; then the past ones, the latest
    first."""
    past = col(ServiceEvent.ends_at) < utcnow()
    return [sa.case((past, 1), else_=0),
            sa.case((sa.not_(past), col(ServiceEvent.starts_at))).asc().nulls_last(),
            col(ServiceEvent.starts_at).desc()]


SORTS: dict[str, Any] = {
    "upcoming": Composite(_upcoming_first), "start": ServiceEvent.starts_at, "end": ServiceEvent.ends_at,
    "title": ServiceEvent.title, "kind": ServiceEvent.kind, "status": ServiceEvent.status,
    "country": ServiceEvent.country_code}


def events_query(query: dict[str, Any], *, columns: bool = False) -> Any:
    """The events a list shows for `query` (an `EventQuerySchema` load), by start time unless
    `sort` says otherwise: the one statement behind `GET /api/v1/events`, the services page and
    the calendar. With `columns`, rows of the event's columns rather than ORM objects (a page to
    show needs no identity map, no change tracking: building 50 instances cost more than the
    query)."""
    what = select(*EVENT_COLUMNS) if columns else select(ServiceEvent)
    stmt = where_given(what.order_by(col(ServiceEvent.starts_at), col(ServiceEvent.id)), query, FILTERS)
    if "from_" in query:
        stmt = stmt.where(ServiceEvent.ends_at > query["from_"])
    if "to" in query:
        stmt = stmt.where(ServiceEvent.starts_at < query["to"])
    if query.get("sort"):
        stmt = sorted_by(stmt, query["sort"], SORTS, tie=col(ServiceEvent.id))
    return stmt


_PAGE_IDS: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
ASSIGNMENTS: sa.CompoundSelect[Any] = sa.union_all(  # a page's staff and units in one statement, built once
    sa.select(col(EventStaff.event_id), sa.literal_column("'staff'", sa.String).label("what"),
              col(StaffMember.id), col(StaffMember.name).label("label"), col(EventStaff.is_lead))
    .join(StaffMember, col(StaffMember.id) == EventStaff.staff_id)
    .where(col(EventStaff.event_id).in_(_PAGE_IDS)),
    sa.select(col(EventUnit.event_id), sa.literal_column("'unit'", sa.String), col(Unit.id), col(Unit.serial),
              sa.null())
    .join(Unit, col(Unit.id) == EventUnit.unit_id)
    .where(col(EventUnit.event_id).in_(_PAGE_IDS)),
)


def with_assignments(*, session: Session, events: Sequence[Any]) -> list[EventOut]:
    """The events with their staff (lead first, then by name) and units (by serial): one
    statement for the whole page, the same for an empty page as for a full one."""
    out = {e.id: EventOut(e) for e in events}
    staff, units = [], []
    for event_id, what, key, name, lead in session.execute(ASSIGNMENTS, {"ids": list(out)}):
        if what == "staff":
            staff.append((not lead, name, event_id, {"id": key, "name": name, "is_lead": lead}))
        else:
            units.append((name, event_id, {"id": key, "serial": name}))
    for *_order, event_id, item in sorted(staff, key=lambda s: s[:2]):
        out[event_id].staff.append(item)
    for *_order, event_id, unit in sorted(units, key=lambda u: u[0]):
        out[event_id].units.append(unit)
    return list(out.values())


# --- scheduling ------------------------------------------------------------------------------


def _check_staff(session: Session, staff: list[dict[str, Any]]) -> None:
    ids = {s["id"] for s in staff}
    found = {m.id: m for m in session.exec(select(StaffMember).where(col(StaffMember.id).in_(ids)))}
    problems = [_l("unknown staff member %(id)s", id=i) for i in sorted(ids - set(found))]
    problems += [_l("staff member %(id)s (%(name)s) is inactive", id=i, name=m.name)
                 for i, m in sorted(found.items()) if not m.active]
    if problems:
        raise Invalid(_l("Unknown or inactive staff"), {"staff": problems})


def _check_units(session: Session, unit_ids: list[int], country_code: str, system_id: int) -> None:
    found = {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_(unit_ids)))}
    problems = [_l("unknown unit %(id)s", id=i) for i in sorted(set(unit_ids) - set(found))]
    problems += [_l("unit %(serial)s is not a unit of this country and system", serial=u.serial)
                 for u in found.values() if u.country_code != country_code or u.system_id != system_id]
    if problems:
        raise Invalid(_l("Units must belong to the service's country and system"), {"unit_ids": problems})


def _refuse_conflicts(session: Session, *, windows: list[Window], staff_ids: list[int],
                      unit_ids: list[int], exclude: Sequence[int] = ()) -> None:
    lock_resources(session, staff_ids=staff_ids, unit_ids=unit_ids)
    clashes = find_conflicts(session, windows=windows, staff_ids=staff_ids, unit_ids=unit_ids,
                             exclude_event_ids=exclude)
    if clashes:
        errors: dict[str, list[Any]] = {}
        for c in clashes:
            key = "staff" if c["resource"] == "staff" else "unit_ids"
            errors.setdefault(key, []).append(
                _l("%(name)s is booked for service %(id)s", name=c["name"], id=c["event_id"]))
        raise Conflict(_l("Double booking: a staff member or unit is already booked then"),
                       errors, conflicts=clashes)


def _assign(session: Session, event_id: int, staff: list[dict[str, Any]], unit_ids: list[int]) -> None:
    for s in staff:
        session.add(EventStaff(event_id=event_id, staff_id=s["id"], is_lead=bool(s.get("is_lead"))))
    for uid in unit_ids:
        session.add(EventUnit(event_id=event_id, unit_id=uid))


def schedule_event(*, session: Session, data: dict[str, Any]) -> tuple[EventOut, list[int]]:
    """Create a planned event, or a series of them (`recurrence`); returns the first and all ids.

    Every occurrence is checked for double bookings before anything is written; commits.
    """
    first, ids = create_events(session=session, data=data)
    session.commit()
    return first, ids


def create_events(*, session: Session, data: dict[str, Any], request_id: int | None = None,
                  ) -> tuple[EventOut, list[int]]:
    """`schedule_event` without the commit, for callers that write more in the same transaction."""
    data = dict(data)
    country = session.get(Country, data["country_code"])
    if country is None:
        raise Invalid(_l("Unknown country"), {"country": [_l("no such buyer country is registered")]})
    if session.get(WeaponSystem, data["system_id"]) is None:
        raise Invalid(_l("Unknown system"), {"system_id": [_l("no such system in the catalogue")]})
    staff, unit_ids = data.pop("staff", []) or [], data.pop("unit_ids", []) or []
    rule = data.pop("recurrence", None)
    data.setdefault("timezone", country.timezone)
    _check_staff(session, staff)
    _check_units(session, unit_ids, country.code, data["system_id"])
    windows = (recurrence.expand(rule=rule, starts_at=data["starts_at"], ends_at=data["ends_at"],
                                 timezone=data["timezone"])
               if rule else [(data["starts_at"], data["ends_at"])])
    _refuse_conflicts(session, windows=windows, staff_ids=[s["id"] for s in staff], unit_ids=unit_ids)
    series_id = str(uuid.uuid4()) if rule else None
    now = utcnow()
    events = [ServiceEvent(**{**data, "starts_at": start, "ends_at": end}, series_id=series_id,
                           request_id=request_id, status=S.planned.value, created_at=now,
                           updated_at=now) for start, end in windows]
    session.add_all(events)
    session.flush()
    for event in events:
        _assign(session, event.id or 0, staff, unit_ids)
    session.flush()
    first = with_assignments(session=session, events=events[:1])[0]
    ids = [e.id or 0 for e in events]
    return first, ids


def update_event(*, session: Session, event: ServiceEvent, changes: dict[str, Any]) -> EventOut:
    """Change an event's fields, times or assignments (double bookings refused); commits."""
    if event.status in FROZEN and SCHEDULE_FIELDS & set(changes):
        raise Conflict(_l("A %(status)s service cannot be rescheduled or re-assigned", status=event.status),
                       {f: [_l("the service is %(status)s", status=event.status)]
                        for f in SCHEDULE_FIELDS & set(changes)})
    starts, ends = changes.get("starts_at", event.starts_at), changes.get("ends_at", event.ends_at)
    if ends <= starts:
        name = "ends_at" if "ends_at" in changes else "starts_at"
        raise Invalid(_l("The service must end after it starts"),
                      {name: [_l("ends_at must be after starts_at")]})
    cap = changes.get("capacity", event.capacity)
    planned = changes.get("participants_planned", event.participants_planned)
    if cap is not None and planned is not None and planned > cap:
        raise Invalid(_l("More participants than places"),
                      {"participants_planned": [_l("cannot exceed capacity")]})
    if "capacity" in changes and cap is not None:
        from service.domain.training.nominations import seats_taken

        if (taken := seats_taken(session, event.id or 0)) > cap:
            raise Invalid(_l("Fewer places than nominees"),
                          {"capacity": [_l("%(count)s trainees are nominated; withdraw some first",
                                           count=taken)]})
    staff, unit_ids = changes.pop("staff", None), changes.pop("unit_ids", None)
    if staff is not None:
        _check_staff(session, staff)
    if unit_ids is not None:
        _check_units(session, unit_ids, event.country_code, event.system_id)
    current_staff = {s.staff_id: s for s in
                     session.exec(select(EventStaff).where(EventStaff.event_id == event.id))}
    current_units = {u.unit_id: u for u in
                     session.exec(select(EventUnit).where(EventUnit.event_id == event.id))}
    if {"starts_at", "ends_at"} & set(changes) or staff is not None or unit_ids is not None:
        staff_ids = [s["id"] for s in staff] if staff is not None else list(current_staff)
        units = unit_ids if unit_ids is not None else list(current_units)
        _refuse_conflicts(session, windows=[(starts, ends)], staff_ids=staff_ids, unit_ids=units,
                          exclude=[event.id or 0])
    if staff is not None:
        wanted = {s["id"]: bool(s.get("is_lead")) for s in staff}
        for sid, link in current_staff.items():
            if sid not in wanted:
                session.delete(link)
            elif link.is_lead != wanted[sid]:
                link.is_lead = wanted[sid]
        _assign(session, event.id or 0, [{"id": i, "is_lead": lead} for i, lead in wanted.items()
                                         if i not in current_staff], [])
    if unit_ids is not None:
        for uid, unit_link in current_units.items():
            if uid not in unit_ids:
                session.delete(unit_link)
        _assign(session, event.id or 0, [], [u for u in unit_ids if u not in current_units])
    for key, value in changes.items():
        setattr(event, key, value)
    event.updated_at = utcnow()  # assignment-only edits still make a new version
    session.commit()
    return with_assignments(session=session, events=[event])[0]


# --- the lifecycle ---------------------------------------------------------------------------


def transition(*, session: Session, event: ServiceEvent, status: str, reason: str | None = None,
               participants_actual: int | None = None, outcome: str | None = None,
               results: list[dict[str, Any]] | None = None,
               early: bool = False, now: dt.datetime | None = None) -> EventOut:
    """Move an event along its lifecycle; illegal moves are 409 with the allowed ones; commits.

    Completing a service with nominees records each one's result (`results`), and the
    participants are then the nominees who attended. Starting before `starts_at` or completing
    before `ends_at` is a 409 naming the time, unless `early` is given with a reason (kept in
    the audit entry)."""
    allowed = [str(s) for s in ALLOWED[S(event.status)]]
    if status not in allowed:
        raise Conflict(_l("A %(status)s service cannot become %(next)s", status=event.status, next=status),
                       {"status": [_l("allowed from %(status)s: %(allowed)s", status=event.status,
                                      allowed=", ".join(allowed) or _l("none"))]},
                       allowed=allowed)
    went_early = _time_guard(event, status, early=early, reason=reason, now=now or utcnow())
    if status == S.cancelled and not reason:
        raise Invalid(_l("Cancelling needs a reason"), {"reason": [_l("required to cancel")]})
    if status == S.completed:
        from service.domain.training import results as training_results

        if participants_actual is not None:
            event.participants_actual = participants_actual
        attended = training_results.record(session=session, event=event, results=results or [])
        if attended is not None:
            event.participants_actual = attended
        if outcome:
            event.outcome = outcome
        missing = {f: [_l("required to complete")] for f in ("participants_actual", "outcome")
                   if getattr(event, f) in (None, "")}
        if missing:
            raise Invalid(_l("Completing needs the participants and the outcome"), missing)
    event.status = status
    event.updated_at = utcnow()
    if status == S.cancelled:
        event.cancel_reason, event.cancelled_at = reason, event.updated_at
    if reason:  # kept on the row only when cancelling: the audit entry says it every time
        audit_note(session, event, reason=reason)
    if went_early:
        audit_note(session, event, early=True)
    if status == S.completed:
        on_event_completed(session=session, event=event)
    session.commit()
    return with_assignments(session=session, events=[event])[0]


GUARDED = {S.in_progress.value: ("starts_at", "start"), S.completed.value: ("ends_at", "complete")}


def _early_texts(field: str, local: str) -> tuple[Any, Any, Any]:
    """What a refused early move says (the refusal, its field text, the missing reason's text),
    `local` the time it would come before, in the country's zone."""
    if field == "starts_at":
        return (_l("The service starts at %(time)s: to start it before then, send \"early\": true "
                   "with a reason", time=local),
                _l("cannot start before starts_at %(time)s without \"early\" and a reason", time=local),
                _l("required to start before %(time)s", time=local))
    return (_l("The service ends at %(time)s: to complete it before then, send \"early\": true "
               "with a reason", time=local),
            _l("cannot complete before ends_at %(time)s without \"early\" and a reason", time=local),
            _l("required to complete before %(time)s", time=local))


def _time_guard(event: ServiceEvent, status: str, *, early: bool, reason: str | None,
                now: dt.datetime) -> bool:
    """Refuse to start a service before it starts or complete it before it ends, unless asked
    to with a reason; whether this move goes early."""
    if status not in GUARDED:
        return False
    field, _verb = GUARDED[status]
    due: dt.datetime = getattr(event, field)
    if now >= due:
        return False
    local = due.astimezone(ZoneInfo(event.timezone)).isoformat()
    message, field_text, reason_text = _early_texts(field, local)
    if not early:
        raise Conflict(message, {"status": [field_text]}, **{field: due.isoformat()})
    if not reason:
        raise Invalid(_l("Going early needs a reason"), {"reason": [reason_text]})
    return True


def on_event_completed(*, session: Session, event: ServiceEvent) -> None:
    """What completing a service sets off, inside the transition's own transaction.

    Stamps `completed_at`, tells the country's liaisons, and opens the event's survey (its
    invitation goes out through the outbox in the same transaction).
    """
    from service.domain import surveys
    from service.domain.packages import deliveries
    from service.domain.training import results

    event.completed_at = utcnow()
    session.flush()
    results.issue_certificates(session=session, event=event)
    deliveries.on_service_completed(session=session, event=event)
    surveys.open_survey(session=session, event=event, now=event.completed_at)
    liaisons = outbox.liaisons_of(session=session, country_code=event.country_code)
    outbox.notify(session=session, messages=[{
        "key": f"event-completed:event:{event.id}:user:{u.id}", "kind": "event_completed",
        "user_id": u.id, "recipient": u.email, "country_code": event.country_code,
        **mail.render_to(session, u, "event_completed", event=event),
        "data": {"event_id": event.id},
    } for u in liaisons])
