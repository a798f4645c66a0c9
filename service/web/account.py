"""Sign-in and sign-out with the signed session cookie that `service.core.auth` reads; the page behind
a password reset link."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from marshmallow import ValidationError

from models import User
from service.core import ratelimit
from service.core.auth import EVERYONE, SESSION_KEY, access, record_denied, require_principal
from service.core.db import get_session
from service.core.statuses import status_of
from service.domain import identity
from service.domain.errors import DomainError
from service.schemas.identity import CredentialsSchema
from service.web import bp
from service.web.forms import flat_errors

credentials_schema = CredentialsSchema()
WRONG_CREDENTIALS = "Wrong e-mail or password."


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site (never another host: no open redirect), else None."""
    if not target or len(target) > 2000 or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@access(public=True)
def login() -> Any:
    """The sign-in form; on success the session cookie identifies the user until sign-out."""
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("login.html", email="", errors={}, next=next_url)
    email = request.form.get("email", "")
    try:
        creds = credentials_schema.load(
            {"email": email, "password": request.form.get("password", "")})
    except ValidationError as err:
        return render_template("login.html", email=email, errors=flat_errors(err.messages),
                               next=next_url), 422
    user = identity.authenticate(session=get_session(), email=creds["email"], password=creds["password"])
    if user is None:
        record_denied(reason="wrong e-mail or password", status=401, entity="auth")
        return render_template("login.html", email=email, errors={}, failed=WRONG_CREDENTIALS,
                               next=next_url), 401
    sid = identity.start_session(session=get_session(), user=user,
                                 lifetime=current_app.permanent_session_lifetime)
    ratelimit.forgive_sign_in()
    session.clear()  # a fresh session (and CSRF token) for the signed-in user: no fixation
    session.permanent = True
    session[SESSION_KEY] = sid
    return redirect(next_url or url_for("web.home"))


@bp.route("/logout", methods=["GET", "POST"])
@access(*EVERYONE)
def logout() -> Any:
    """Sign out: this session ends on the server and the cookie is emptied; with `everywhere`,
    every session of the user ends (a GET only asks to confirm)."""
    if request.method == "GET":
        return render_template("logout.html")
    db = get_session()
    if request.form.get("everywhere"):
        user = db.get(User, require_principal().user_id)
        assert user is not None
        identity.revoke_credentials(session=db, user=user, tokens=False, calendar_feed=False)
        db.commit()
    else:
        identity.end_session(session=db, sid=session.get(SESSION_KEY, ""))
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("web.login"))


@bp.route("/reset/<token>", methods=["GET", "POST"])
@access(public=True)
def password_reset(token: str) -> Any:
    """The page behind a reset link: the user chooses their new password (the one strength check)."""
    secret = current_app.config["SECRET_KEY"]
    try:
        user = identity.user_for_reset(session=get_session(), token=token, secret=secret)
    except DomainError as err:
        return render_template("password_reset.html", gone=err.message, errors={}), 404
    if request.method == "GET":
        return render_template("password_reset.html", user=user, errors={})
    password = request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        return render_template("password_reset.html", user=user,
                               errors={"confirm": ["the two passwords differ"]}), 422
    try:
        identity.reset_password(session=get_session(), token=token, secret=secret, password=password)
    except DomainError as err:
        get_session().rollback()
        return render_template("password_reset.html", user=user, errors=err.errors or {}), status_of(err)
    flash("Your new password is set; sign in with it.", "success")
    return redirect(url_for("web.login"))
