"""User administration for admins: list, create (validated by the API's schema), edit, (de)activate;
the audit trail."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_smorest.pagination import PaginationParameters
from marshmallow import ValidationError
from sqlmodel import select

from models import Country, Role, User
from service.core.auth import ADMIN, access
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.core.statuses import status_of
from service.domain import audit, identity
from service.domain.errors import DomainError
from service.schemas.identity import AuditQuerySchema, UserSchema, UserUpdateSchema
from service.web import bp
from service.web.forms import page_number, paging
from service.web.services import load_query

user_schema = UserSchema()
user_update_schema = UserUpdateSchema()
audit_query_schema = AuditQuerySchema()
PAGE_SIZE = 50
FORM_FIELDS = ("email", "name", "role", "country", "password")


def _render(form: dict[str, str], errors: dict[str, Any], status: int = 200) -> Any:
    session = get_session()
    page = PaginationParameters(page_number(), PAGE_SIZE)
    users = paginate(session, select(User).order_by(User.role, User.email), page)
    countries = [(c.code, f"{c.name} ({c.code})")
                 for c in session.exec(select(Country).order_by(Country.name))]
    pages = max(1, -(-page.item_count // PAGE_SIZE))
    return render_template(
        "users.html", users=users, countries=countries, roles=[(r.value, r.value.capitalize()) for r in Role],
        form=form, errors=errors, page=page.page, pages=pages, total=page.item_count,
    ), status


@bp.route("/users", methods=["GET", "POST"])
@access(*ADMIN)
def users() -> Any:
    """The users, and the form to create one (errors shown next to their fields)."""
    if request.method == "GET":
        return _render({}, {})
    form = {key: request.form.get(key, "").strip() for key in FORM_FIELDS}
    form["password"] = request.form.get("password", "")  # a password is taken as typed
    try:
        # An empty optional field is "not given", as in a JSON body without the key.
        data = user_schema.load({k: v for k, v in form.items() if v != ""})
        user = identity.create_user(session=get_session(), **data)
    except ValidationError as err:
        return _render(form, err.messages_dict, 422)  # type: ignore[arg-type]
    except DomainError as err:
        get_session().rollback()
        return _render(form, err.errors or {"_": [err.message]}, status_of(err))
    flash(f"User {user.email} created.", "success")
    return redirect(url_for("web.users"))


@bp.post("/users/<int:user_id>/active")
@access(*ADMIN)
def user_active(user_id: int) -> Any:
    """Deactivate (or reactivate) a user; their sessions and tokens stop working at once."""
    session = get_session()
    user = get_or_404(session, User, user_id)
    if request.form.get("version") != str(user.version):
        flash(f"{user.email} was changed by someone else; check the list and try again.", "error")
        return redirect(url_for("web.users"))
    try:
        changes = user_update_schema.load({"active": request.form.get("active", "")})
    except ValidationError:
        flash("Choose whether the user is active.", "error")
        return redirect(url_for("web.users"))
    identity.update_user(session=session, user=user, changes=changes)
    flash(f"{user.email} is now {'active' if user.active else 'deactivated'}.", "success")
    return redirect(url_for("web.users"))


def _render_edit(user: User, form: dict[str, str], errors: dict[str, Any], status: int = 200) -> Any:
    session = get_session()
    countries = [(c.code, f"{c.name} ({c.code})")
                 for c in session.exec(select(Country).order_by(Country.name))]
    return render_template("user_edit.html", u=user, form=form, errors=errors, countries=countries,
                           roles=[(r.value, r.value.capitalize()) for r in Role]), status


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@access(*ADMIN)
def user_edit(user_id: int) -> Any:
    """Change a user's name, role and country; a new role or country signs them out everywhere."""
    session = get_session()
    user = get_or_404(session, User, user_id)
    if request.method == "GET":
        return _render_edit(user, {}, {})
    if request.form.get("version") != str(user.version):
        flash(f"{user.email} was changed by someone else meanwhile; nothing was saved.", "error")
        return redirect(url_for("web.user_edit", user_id=user_id))
    form = {key: request.form.get(key, "").strip() for key in ("name", "role", "country")}
    try:
        changes = user_update_schema.load({**form, "country": form["country"] or None})
        identity.update_user(session=session, user=user, changes=changes)
    except ValidationError as err:
        return _render_edit(user, form, err.messages_dict, 422)  # type: ignore[arg-type]
    except DomainError as err:
        session.rollback()
        return _render_edit(user, form, err.errors or {"_": [err.message]}, status_of(err))
    flash(f"{user.email} saved.", "success")
    return redirect(url_for("web.users"))


@bp.get("/audit")
@access(*ADMIN)
def audit_log() -> Any:
    """The audit trail, newest first, filtered by actor, entity, action and days, a page at a time."""
    names = ("actor", "entity", "action", "since", "until")
    query, raw, filter_errors = load_query(audit_query_schema, names)
    page = PaginationParameters(page_number(), PAGE_SIZE)
    entries = paginate(get_session(), audit.audit_query(query), page)
    return render_template("audit.html", entries=entries, filters=raw, filter_errors=filter_errors,
                           **paging(page, PAGE_SIZE))


@bp.post("/users/<int:user_id>/reset")
@access(*ADMIN)
def user_reset(user_id: int) -> Any:
    """Mail the user a one-time link (24 hours) to choose a new password themselves."""
    user = get_or_404(get_session(), User, user_id)
    identity.send_password_reset(
        session=get_session(), user=user, secret=current_app.config["SECRET_KEY"],
        link_for=lambda token: url_for("web.password_reset", token=token, _external=True))
    flash(f"A password reset link was sent to {user.email}; it works once, for 24 hours.", "success")
    return redirect(url_for("web.user_edit", user_id=user_id))
