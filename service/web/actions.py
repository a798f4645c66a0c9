"""Corrective actions: the list with filters, an action's page, and the staff edit form.

The page shows an action, and fills its form, from the `ActionSchema` dump, as
`GET /api/v1/actions/{id}` answers; its progress from the statement the API pages, whose
internal notes a liaison's session never holds (the scoping point's rule, `StaffOnlyRows`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_smorest.pagination import PaginationParameters
from marshmallow import ValidationError
from sqlmodel import select

from models import ActionStatus, CorrectiveAction, Country, ServiceEvent, StaffMember
from service.core.auth import EVERYONE, STAFF, access, require_principal
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain import actions
from service.domain.errors import DomainError
from service.schemas.surveys import ActionCommentSchema, ActionQuerySchema, ActionSchema, ActionUpdateSchema
from service.web import bp
from service.web.filters import labelled
from service.web.forms import (
    Errors,
    given,
    list_order,
    page_number,
    paging,
    refused,
    stale_version,
    text_fields,
)
from service.web.services import choices, load_query

action_schema = ActionSchema()
action_query = ActionQuerySchema()
action_update = ActionUpdateSchema()
comment_schema = ActionCommentSchema()
comments_schema = ActionCommentSchema(many=True)
PAGE_SIZE = 25
SORT_LABELS = {"open": _l("open ones first"), "due": _l("due date"), "status": _l("state"),
               "title": _l("title"), "country": _l("country"), "opened": _l("date opened")}


@bp.get("/actions")
def actions_list() -> Any:
    """Corrective actions, the open ones first by due date (or by a column); by state, overdue
    (staff: and country)."""
    session = get_session()
    query, raw, errors = load_query(action_query, ("country", "status", "overdue", "sort"))
    order = list_order(query, actions.DEFAULT_SORT, SORT_LABELS)
    today = dt.datetime.now(dt.UTC).date()
    page = PaginationParameters(page_number(), PAGE_SIZE)
    rows = paginate(session, actions.actions_query(query, today=today), page)
    return render_template("actions.html", rows=rows, filters=raw, errors=errors, choices=choices(session),
                           statuses=labelled(ActionStatus), today=today, **order, **paging(page, PAGE_SIZE))


def _render(action_id: int, form: dict[str, str] | None, errors: Errors, status: int = 200,
            comment: str = "", comment_errors: Errors | None = None, internal: bool = False) -> Any:
    session = get_session()
    row = get_or_404(session, CorrectiveAction, action_id)
    shown = action_schema.dump(row)  # the API's view
    event = session.get(ServiceEvent, row.event_id) if row.event_id else None  # none: a deficiency's
    principal = require_principal()
    owners = [] if principal.is_liaison else [
        (str(m.id), m.name) for m in session.exec(select(StaffMember).order_by(StaffMember.name))]
    owner = session.get(StaffMember, row.owner_staff_id) if row.owner_staff_id else None
    if form is None:  # the form as the API shows the action to this caller
        form = {"status": shown["status"], "resolution": shown["resolution"] or "",
                "due_on": shown["due_on"], "owner_staff_id": str(shown["owner_staff_id"] or "")}
    allowed = [row.status, *actions.TRANSITIONS[ActionStatus(row.status)]]
    country = session.get(Country, row.country_code)
    return render_template("action.html", a=shown, opened_at=row.opened_at, closed_at=row.closed_at,
                           tz=country.timezone if country else None,
                           event=event, owner=owner.name if owner else None,
                           answer=actions.opening_answer(session=session, action=row),
                           form=form, errors=errors, owners=owners,
                           statuses=[s for s in labelled(ActionStatus) if s[0] in allowed],
                           overdue=row.status != ActionStatus.closed
                           and row.due_on < dt.datetime.now(dt.UTC).date(),
                           version=row.version, comment=comment, comment_errors=comment_errors or {},
                           internal=internal,
                           progress=comments_schema.dump(session.scalars(
                               actions.comments(session=session, action=row)))), status


@bp.get("/actions/<int:action_id>")
def action_page(action_id: int) -> Any:
    """One corrective action: why it was opened, who owns it, when it is due, how it ended."""
    return _render(action_id, None, {})


@bp.post("/actions/<int:action_id>")
@access(*STAFF)
def action_update_form(action_id: int) -> Any:
    """Staff move an action on or change its owner, due date or resolution (stale forms refused)."""
    session = get_session()
    row = get_or_404(session, CorrectiveAction, action_id)
    stale = stale_version(row, gettext("This action"), "web.action_page", action_id=action_id)
    if stale:
        return stale
    form = text_fields("status", "resolution", "owner_staff_id", "due_on")
    body: dict[str, Any] = given({k: form[k] for k in ("status", "resolution", "due_on")})
    body["owner_staff_id"] = form["owner_staff_id"] or None
    try:
        actions.update_action(session=session, action=row, changes=action_update.load(body),
                              actor=require_principal())
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return _render(action_id, form, no.errors, no.status)
    flash(gettext("The action is saved."), "success")
    return redirect(url_for("web.action_page", action_id=action_id))


@bp.post("/actions/<int:action_id>/comments")
@access(*EVERYONE)
def action_comment_form(action_id: int) -> Any:
    """A comment on the action, by staff or a liaison of its country, or a staff member's
    internal note (as `POST .../comments`)."""
    session = get_session()
    row = get_or_404(session, CorrectiveAction, action_id)
    body = request.form.get("body", "").strip()
    internal = request.form.get("internal") == "on"
    try:
        data = comment_schema.load({"body": body, "internal": internal})
        actions.add_comment(session=session, action=row, actor=require_principal(), body=data["body"],
                            internal=data["internal"])
    except (ValidationError, DomainError) as err:
        no = refused(err)
        return _render(action_id, None, {}, no.status, comment=body, comment_errors=no.errors,
                       internal=internal)
    flash(gettext("Your internal note is added.") if internal else gettext("Your comment is added."),
          "success")
    return redirect(url_for("web.action_page", action_id=action_id) + "#progress")
