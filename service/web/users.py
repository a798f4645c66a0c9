"""User administration: an admin's for every account, a country administrator's for their
country's liaisons (bounded by `service.domain.accounts`, like the API): list, create (validated
by the API's schema), edit, (de)activate, reset a password, issue and revoke tokens; the audit trail."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_smorest.pagination import PaginationParameters
from marshmallow import ValidationError
from sqlmodel import select

from models import Country, Role, User
from service.core.auth import USER_ADMINS, access, record_refusal, require_principal
from service.core.db import get_session
from service.core.reads import paginate
from service.core.statuses import status_of
from service.domain import accounts, audit, identity
from service.domain.errors import DomainError
from service.schemas.identity import (
    AuditQuerySchema,
    TokenRequestSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)
from service.web import bp
from service.web.filters import country_options, label
from service.web.forms import describe, flat_errors, page_number, paging
from service.web.services import load_query

user_schema = UserSchema()
user_update_schema = UserUpdateSchema()
user_query_schema = UserQuerySchema()
token_request_schema = TokenRequestSchema()
audit_query_schema = AuditQuerySchema()
PAGE_SIZE = 50
FORM_FIELDS = ("email", "name", "role", "country", "password")
SORT_LABELS = {"email": _l("e-mail"), "name": _l("name"), "role": _l("role"), "country": _l("country"),
               "active": _l("state"), "created": _l("creation date")}


def _choices() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The roles and countries the caller may give an account (a country admin: liaison, theirs)."""
    principal = require_principal()
    countries = country_options(get_session().exec(select(Country)))
    if principal.is_country_admin:
        return [(Role.liaison.value, label(Role.liaison.value))], [
            c for c in countries if c[0] == principal.country_code]
    return [(r.value, label(r.value)) for r in Role], countries


def _managed(user_id: int) -> User:
    return accounts.managed_user(session=get_session(), principal=require_principal(), user_id=user_id)


def _refused(err: DomainError) -> dict[str, Any]:
    """A refusal's field errors for the form, audited when it reached out of bounds."""
    get_session().rollback()
    record_refusal(err)
    return err.errors or {"_": [err.message]}


def _render(form: dict[str, str], errors: dict[str, Any], status: int = 200) -> Any:
    query, raw, filter_errors = load_query(user_query_schema, ("sort",))
    sort = query.get("sort") or accounts.DEFAULT_SORT
    page = PaginationParameters(page_number(), PAGE_SIZE)
    stmt = accounts.users_query(principal=require_principal(), query=query)
    users = paginate(get_session(), stmt, page)
    roles, countries = _choices()
    return render_template(
        "users.html", users=users, countries=countries, roles=roles, form=form, errors=flat_errors(errors),
        sort=",".join(sort), order=describe(sort, SORT_LABELS), filters=raw, filter_errors=filter_errors,
        **paging(page, PAGE_SIZE)), status


@bp.route("/users", methods=["GET", "POST"])
@access(*USER_ADMINS)
def users() -> Any:
    """The accounts the caller manages, and the form to create one (errors next to their fields)."""
    if request.method == "GET":
        return _render({}, {})
    form = {key: request.form.get(key, "").strip() for key in FORM_FIELDS}
    form["password"] = request.form.get("password", "")  # a password is taken as typed
    try:
        # An empty optional field is "not given", as in a JSON body without the key.
        data = user_schema.load({k: v for k, v in form.items() if v != ""})
        data = accounts.check_new(principal=require_principal(), data=data)
        user = identity.create_user(session=get_session(), **data)
    except ValidationError as err:
        return _render(form, err.messages_dict, 422)
    except DomainError as err:
        return _render(form, _refused(err), status_of(err))
    flash(gettext("User %(email)s created.", email=user.email), "success")
    return redirect(url_for("web.users"))


@bp.post("/users/<int:user_id>/active")
@access(*USER_ADMINS)
def user_active(user_id: int) -> Any:
    """Deactivate (or reactivate) a user; their sessions and tokens stop working at once."""
    session = get_session()
    user = _managed(user_id)
    if request.form.get("version") != str(user.version):
        flash(gettext("%(email)s was changed by someone else; check the list and try again.",
                      email=user.email), "error")
        return redirect(url_for("web.users"))
    try:
        changes = user_update_schema.load({"active": request.form.get("active", "")})
    except ValidationError:
        flash(gettext("Choose whether the user is active."), "error")
        return redirect(url_for("web.users"))
    changes = accounts.check_changes(principal=require_principal(), user=user, changes=changes)
    identity.update_user(session=session, user=user, changes=changes)
    flash(gettext("%(email)s is now active.", email=user.email) if user.active
          else gettext("%(email)s is now deactivated.", email=user.email), "success")
    return redirect(url_for("web.users"))


def _render_edit(user: User, form: dict[str, str], errors: dict[str, Any], status: int = 200,
                 new_token: dict[str, Any] | None = None) -> Any:
    roles, countries = _choices()
    tokens = identity.tokens_of(session=get_session(), user_id=user.id or 0)
    return render_template("user_edit.html", u=user, form=form, errors=flat_errors(errors),
                           countries=countries, roles=roles, tokens=tokens, new_token=new_token), status


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@access(*USER_ADMINS)
def user_edit(user_id: int) -> Any:
    """Change a user's name, role and country (a country administrator: a liaison's name); a new
    role or country signs them out everywhere."""
    session = get_session()
    user = _managed(user_id)
    if request.method == "GET":
        return _render_edit(user, {}, {})
    if request.form.get("version") != str(user.version):
        flash(gettext("%(email)s was changed by someone else meanwhile; nothing was saved.",
                      email=user.email), "error")
        return redirect(url_for("web.user_edit", user_id=user_id))
    names = ("name",) if require_principal().is_country_admin else ("name", "role", "country", "language")
    form = {key: request.form.get(key, "").strip() for key in names}
    try:  # an empty country or language is "none" (a language then follows the country or browser)
        empty_is_none: dict[str, str | None] = {
            k: form[k] or None for k in ("country", "language") if k in form}
        raw = {**form, **empty_is_none}
        changes = user_update_schema.load(raw)
        changes = accounts.check_changes(principal=require_principal(), user=user, changes=changes)
        identity.update_user(session=session, user=user, changes=changes)
    except ValidationError as err:
        return _render_edit(user, form, err.messages_dict, 422)
    except DomainError as err:
        return _render_edit(user, form, _refused(err), status_of(err))
    flash(gettext("%(email)s saved.", email=user.email), "success")
    return redirect(url_for("web.users"))


@bp.post("/users/<int:user_id>/reset")
@access(*USER_ADMINS)
def user_reset(user_id: int) -> Any:
    """Mail the user a one-time link (24 hours) to choose a new password themselves."""
    user = _managed(user_id)
    identity.send_password_reset(
        session=get_session(), user=user, secret=current_app.config["SECRET_KEY"],
        link_for=lambda token: url_for("web.password_reset", token=token, _external=True))
    flash(gettext("A password reset link was sent to %(email)s; it works once, for 24 hours.",
                  email=user.email), "success")
    return redirect(url_for("web.user_edit", user_id=user_id))


@bp.post("/users/<int:user_id>/tokens")
@access(*USER_ADMINS)
def user_token_issue(user_id: int) -> Any:
    """Issue an API token for the user; its value is shown on this page once."""
    user = _managed(user_id)
    form = {"token_name": request.form.get("token_name", "").strip(),
            "days": request.form.get("days", "").strip()}
    try:
        data = token_request_schema.load({"name": form["token_name"] or "api",
                                          **({"expires_in_days": form["days"]} if form["days"] else {})})
        ttl = identity.token_lifetime(days=data.get("expires_in_days"),
                                      default_hours=current_app.config["TOKEN_TTL_HOURS"],
                                      max_hours=current_app.config["TOKEN_MAX_TTL_HOURS"], field="days")
        token, row = identity.issue_token(session=get_session(), user=user, name=data["name"], ttl=ttl)
    except ValidationError as err:
        names = {"expires_in_days": "days", "name": "token_name"}
        errors = {names.get(k, k): v for k, v in err.messages_dict.items()}
        return _render_edit(user, form, errors, 422)
    except DomainError as err:
        return _render_edit(user, form, _refused(err), status_of(err))
    return _render_edit(user, {}, {}, 201, new_token={"token": token, "expires_at": row.expires_at})


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
@access(*USER_ADMINS)
def user_token_revoke(user_id: int, token_id: int) -> Any:
    """Revoke one of the user's tokens; it stops working at once."""
    _managed(user_id)
    identity.revoke_own_token(session=get_session(), user_id=user_id, token_id=token_id)
    flash(gettext("The token is revoked."), "success")
    return redirect(url_for("web.user_edit", user_id=user_id))


@bp.get("/audit")
@access(*USER_ADMINS)
def audit_log() -> Any:
    """The audit trail, newest first, filtered by actor, entity, action and days, a page at a time
    (a country administrator: what their country's users did)."""
    names = ("actor", "entity", "action", "since", "until")
    query, raw, filter_errors = load_query(audit_query_schema, names)
    page = PaginationParameters(page_number(), PAGE_SIZE)
    stmt = audit.audit_query(query)
    entries = paginate(get_session(), stmt, page)
    return render_template("audit.html", entries=entries, filters=raw, filter_errors=filter_errors,
                           **paging(page, PAGE_SIZE))
