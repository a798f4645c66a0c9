"""Corrective actions: opened by a poor answer, worked by staff, escalated when overdue.

Lifecycle: open -> in_progress -> closed. Work can be handed back (in_progress -> open) and
a closed action can be reopened (closed -> in_progress) when the fix did not hold; closing
always needs a resolution sent with the closing request.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlmodel import Session, col, select

from models import (
    ActionComment,
    ActionStatus,
    CorrectiveAction,
    EventStaff,
    ServiceEvent,
    StaffMember,
    SurveyResponse,
    utcnow,
)
from models.surveys import OPEN_ACTION_STATES
from service.domain import conversations, mail, outbox
from service.domain.errors import Conflict, Invalid
from service.domain.lists import Composite, sorted_by, where_given

RATINGS = ("overall", "instructors", "timeliness", "documentation", "equipment")
POOR_RATING = 2  # a rating at or below this opens an action
POOR_RECOMMEND = 6  # a detractor (0-6) opens an action

TRANSITIONS: dict[str, tuple[str, ...]] = {
    ActionStatus.open: (ActionStatus.in_progress.value,),
    ActionStatus.in_progress: (ActionStatus.open.value, ActionStatus.closed.value),
    ActionStatus.closed: (ActionStatus.in_progress.value,),
}


FILTERS = (("country", CorrectiveAction.country_code), ("status", CorrectiveAction.status))


def _open_first() -> list[Any]:
    return [sa.case((col(CorrectiveAction.status) == ActionStatus.closed.value, 1), else_=0)]


SORTS: dict[str, Any] = {
    "open": Composite(_open_first), "due": CorrectiveAction.due_on, "status": CorrectiveAction.status,
    "title": CorrectiveAction.title, "country": CorrectiveAction.country_code,
    "opened": CorrectiveAction.opened_at}
DEFAULT_SORT = ("open", "due")


def actions_query(query: dict[str, Any], *, today: dt.date) -> Any:
    """The actions a list shows for `query` (an `ActionQuerySchema` load), the open ones first,
    soonest due first, unless `sort` says otherwise: the one statement behind
    `GET /api/v1/actions` and the actions page."""
    stmt = where_given(select(CorrectiveAction), query, FILTERS)
    stmt = sorted_by(stmt, query.get("sort") or DEFAULT_SORT, SORTS, tie=col(CorrectiveAction.id))
    if "overdue" in query:
        late = overdue(today)
        stmt = stmt.where(late if query["overdue"] else sa.not_(late))
    return stmt


def opening_answer(*, session: Session, action: CorrectiveAction) -> dict[str, Any] | None:
    """The survey answer that opened `action` (none for a deficiency's): its ratings in the order
    the survey asks them, the recommendation, the comment, and the survey it answered."""
    response = session.get(SurveyResponse, action.response_id) if action.response_id else None
    if response is None:
        return None
    return {"survey_id": response.survey_id, "answered_at": response.answered_at,
            "ratings": [(name, value) for name in RATINGS if (value := getattr(response, name)) is not None],
            "recommend": response.recommend, "comment": response.comment}


def N_(message: str) -> str:
    """Marks a message for the catalogues (Babel extracts `N_`); it is written in English."""
    return message


# The titles and reasons the service writes itself (corrective actions, a handling survey's
# subject, a unit history's reasons), each one message: `written` writes it in
# English, as it is stored and as the API answers it; `in_words` reads it back in a page's, a
# message's or a report's language. The values in `WORDED` are codes worded by their label.
WRITTEN = {
    "rated": N_("%(question)s rated %(value)s of 5"),
    "recommend": N_("recommend %(value)s of 10"),
    "overdue_reason": N_("critical deficiency report past its due time"),
    "overdue_title": N_("Overdue critical deficiency %(number)s: %(title)s"),
    "moved": N_("State: %(before)s → %(after)s"),
    "closed": N_("State: %(before)s → %(after)s. Resolution: %(resolution)s"),
    "report_subject": N_("Deficiency report %(number)s: %(title)s"),  # a handling survey's subject
    "poor_title": N_("Poor feedback on %(service)s"),
    "unit_move": N_("deficiency %(number)s %(state)s"),  # a unit history's reason for a report's move
    "delivered": N_("delivered"),  # a unit history's first reason
}
WORDED = {  # a value's code (as written) and its label's words
    "question": {"overall": "Overall", "instructors": "Instructors", "timeliness": "Timeliness",
                 "documentation": "Documentation", "equipment": "Equipment"},
    "before": {"open": "Open", "in progress": "In progress", "closed": "Closed"},
}
WORDED["after"] = WORDED["before"]
WORDED["state"] = {"submitted": "Submitted", "acknowledged": "Acknowledged", "investigating": "Investigating",
                   "awaiting_buyer": "Awaiting buyer", "resolved": "Resolved", "closed": "Closed",
                   "withdrawn": "Withdrawn"}
_IN_PROSE = ("before", "after", "state")  # worded in lower case, as written


def _pattern(message: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)s", message)  # text, name, text, name, ..., text
    return re.compile("".join(
        re.escape(part) if i % 2 == 0
        else f"(?P<{part}>{'|'.join(map(re.escape, WORDED[part]))})" if part in WORDED
        else f"(?P<{part}>.+)" for i, part in enumerate(parts)), re.S)


_PATTERNS = [(message, _pattern(message)) for message in WRITTEN.values()]


def written(kind: str, **values: Any) -> str:
    """The message `kind` of WRITTEN with its values, in English (as stored)."""
    return WRITTEN[kind] % values


def in_words(text: str, translations: Any) -> str:
    """A title or reason the service wrote (`WRITTEN`) in the language of `translations`
    (`service.core.i18n.catalogue`); a text someone typed as it is."""
    for message, pattern in _PATTERNS:
        if m := pattern.fullmatch(text):
            values = {k: translations.pgettext("label", WORDED[k][v]).lower() if k in _IN_PROSE
                      else translations.pgettext("label", WORDED[k][v]) if k in WORDED else v
                      for k, v in m.groupdict().items()}
            return translations.gettext(message) % values
    return text


def reasons_for(response: SurveyResponse) -> list[str]:
    """Which answers make a response poor, in words; empty for a good response."""
    out = [written("rated", question=name, value=value) for name in RATINGS
           if (value := getattr(response, name)) is not None and value <= POOR_RATING]
    if response.recommend <= POOR_RECOMMEND:
        out.append(written("recommend", value=response.recommend))
    return out


def default_owner(*, session: Session, event_id: int | None) -> int | None:
    """The event's lead staff member, else DEFAULT_ACTION_OWNER_STAFF_ID (if it exists)."""
    lead = session.scalar(
        select(col(EventStaff.staff_id))
        .where(col(EventStaff.event_id) == event_id, col(EventStaff.is_lead).is_(True))
        .order_by(col(EventStaff.staff_id))
    )
    if lead is not None:
        return int(lead)
    fallback = current_app.config.get("DEFAULT_ACTION_OWNER_STAFF_ID")
    return fallback if fallback and session.get(StaffMember, fallback) is not None else None


def open_if_poor(*, session: Session, response: SurveyResponse,
                 now: dt.datetime) -> CorrectiveAction | None:
    """Add (not commit) an action for a poor response, in the answer's own transaction."""
    reasons = reasons_for(response)
    if not reasons:
        return None
    event = session.get(ServiceEvent, response.event_id)
    title = written("poor_title", service=event.title if event else f"service {response.event_id}")
    action = CorrectiveAction(
        country_code=response.country_code, event_id=response.event_id,
        response_id=response.id or 0,
        owner_staff_id=default_owner(session=session, event_id=response.event_id),
        title=title[:300], reasons=reasons, opened_at=now,
        due_on=now.date() + dt.timedelta(days=current_app.config["ACTION_DUE_DAYS"]),
    )
    session.add(action)
    return action


def overdue(today: dt.date) -> Any:
    """The SQL condition of an overdue action: past its due date and not closed."""
    return sa.and_(col(CorrectiveAction.due_on) < today,
                   col(CorrectiveAction.status).in_(OPEN_ACTION_STATES))


def update_action(*, session: Session, action: CorrectiveAction, changes: dict[str, Any],
                  now: dt.datetime | None = None, actor: Any = None) -> CorrectiveAction:
    """Move an action through its lifecycle and change its owner, due date or resolution; a
    move of its state is written to its progress (`ActionComment`, kind "status"), which the
    country's liaisons read, with the resolution when it closes."""
    now = now or utcnow()
    status = changes.pop("status", None)
    if "owner_staff_id" in changes and changes["owner_staff_id"] is not None and \
            session.get(StaffMember, changes["owner_staff_id"]) is None:
        raise Invalid("Unknown staff member", {"owner_staff_id": ["no such staff member"]})
    if status is not None and status != action.status:
        allowed = TRANSITIONS[ActionStatus(action.status)]
        if status not in allowed:
            raise Conflict(f"An action cannot go from {action.status} to {status}",
                           {"status": [f"allowed from {action.status}: {', '.join(allowed)}"]},
                           allowed=list(allowed))
        if status == ActionStatus.closed and not (changes.get("resolution") or "").strip():
            raise Invalid("Closing an action needs its resolution",
                          {"resolution": ["required when closing"]})
        moved = written("closed" if status == ActionStatus.closed else "moved",
                        before=action.status.replace("_", " "), after=status.replace("_", " "),
                        resolution=(changes.get("resolution") or "").strip())
        session.add(ActionComment(action_id=action.id or 0, country_code=action.country_code,
                                  kind="status", status=status, body=moved[:4000], created_at=now,
                                  author_id=getattr(actor, "user_id", None),
                                  author_name=getattr(actor, "name", None) or "K-Sustain staff"))
        action.status = status
        action.closed_at = now if status == ActionStatus.closed else None
    if "due_on" in changes and changes["due_on"] != action.due_on:
        action.escalated_at = None  # a new due date can be missed, and escalated, again
    for key, value in changes.items():
        setattr(action, key, value)
    session.commit()
    return action


def comments(*, session: Session, action: CorrectiveAction) -> Any:
    """The statement of an action's progress, oldest first: comments, moves of its state and
    (staff only: a liaison's session holds none) internal notes."""
    return (select(ActionComment).where(ActionComment.action_id == action.id)
            .order_by(col(ActionComment.created_at), col(ActionComment.id)))


def add_comment(*, session: Session, action: CorrectiveAction, actor: Any, body: str,
                internal: bool = False, now: dt.datetime | None = None) -> ActionComment:
    """A comment on `action` by its country's liaison or by staff (the session's scope keeps
    every other country's people out), told to the other side through the outbox; or, staff
    only, an internal note, told to nobody and hidden from liaisons by the scoping point. The
    action itself is not written: its version stays. Commits."""
    conversations.check_note(actor, internal)
    comment = ActionComment(action_id=action.id or 0, country_code=action.country_code,
                            kind="comment", status=action.status, body=body, internal=internal,
                            author_id=actor.user_id, author_name=actor.name, created_at=now or utcnow())
    session.add(comment)
    session.flush()
    if not internal:
        conversations.tell_other_side(
            session=session, actor=actor, country_code=action.country_code,
            key=f"action-comment:{comment.id}", kind="action_comment",
            data={"action_id": action.id, "comment_id": comment.id},
            action=action, author=actor.name, text=body, base=current_app.config["PUBLIC_BASE_URL"])
    session.commit()
    return comment


def escalate_overdue(*, session: Session, now: dt.datetime) -> int:
    """Escalate each overdue action once (per due date) to every staff member and admin."""
    outbox.job_lock(session, "actions:escalate")
    found = list(session.exec(
        select(CorrectiveAction).where(overdue(now.date()),
                                       col(CorrectiveAction.escalated_at).is_(None))
        .order_by(col(CorrectiveAction.id))
    ))
    recipients = outbox.staff_and_admins(session=session) if found else []
    base = current_app.config["PUBLIC_BASE_URL"]
    for action in found:
        outbox.notify(session=session, messages=[{
            "key": f"action-overdue:action:{action.id}:due:{action.due_on}:user:{user.id}",
            "kind": "action_overdue", "user_id": user.id, "recipient": user.email,
            "country_code": action.country_code,
            **mail.render_to(session, user, "action_overdue", action=action, base=base),
            "data": {"action_id": action.id, "event_id": action.event_id},
        } for user in recipients])
        action.escalated_at = now
    session.commit()
    return len(found)
