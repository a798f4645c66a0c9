"""User administration and API tokens: admins for every account, a country administrator for
their country's liaisons (bounded by `service.domain.accounts`)."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlmodel import Session

from models import ApiToken, User, utcnow
from service.api.common import PAGE, check_if_match, takes_if_match, with_etag
from service.core.auth import USER_ADMINS, access, require_principal
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain import accounts, identity
from service.schemas.identity import (
    PasswordResetSentSchema,
    TokenInfoSchema,
    TokenRequestSchema,
    TokenSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)

blp = Blueprint("users", __name__, url_prefix="/users",
                description="Users and tokens (admin; a country administrator: their liaisons)")


def _managed(session: Session, user_id: int) -> User:
    return accounts.managed_user(session=session, principal=require_principal(), user_id=user_id)


@blp.route("")
class Users(MethodView):
    @access(*USER_ADMINS)
    @blp.arguments(UserQuerySchema, location="query")
    @blp.response(200, UserSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """List the accounts the caller manages, by role or country, in `sort` order (default role,
        then e-mail)."""
        stmt = accounts.users_query(principal=require_principal(), query=query)
        return paginate(get_session(), stmt, pagination_parameters)

    @access(*USER_ADMINS)
    @blp.arguments(UserSchema)
    @blp.response(201, UserSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a user; a liaison or country administrator needs a country (a country
        administrator creates liaisons of their own country only)."""
        data = accounts.check_new(principal=require_principal(), data=data)
        user = identity.create_user(session=get_session(), **data)
        return with_etag(user, 201)


@blp.route("/<int:user_id>")
class UserItem(MethodView):
    @access(*USER_ADMINS)
    @blp.response(200, UserSchema)
    def get(self, user_id: int) -> Any:
        """One user."""
        return with_etag(_managed(get_session(), user_id))

    @takes_if_match
    @access(*USER_ADMINS)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, changes: dict[str, Any], user_id: int) -> Any:
        """Change a user's name, role, country, password or active flag (needs If-Match); a
        country administrator: a liaison's name and active flag."""
        session = get_session()
        user = _managed(session, user_id)
        check_if_match(user)
        changes = accounts.check_changes(principal=require_principal(), user=user, changes=changes)
        return with_etag(identity.update_user(session=session, user=user, changes=changes))


@blp.route("/<int:user_id>/password-reset")
class UserPasswordReset(MethodView):
    @access(*USER_ADMINS)
    @blp.response(202, PasswordResetSentSchema)
    def post(self, user_id: int) -> Any:
        """Mail the user a one-time link (through the outbox) to choose a new password; it works
        once, for 24 hours."""
        session = get_session()
        user = _managed(session, user_id)
        identity.send_password_reset(
            session=session, user=user, secret=current_app.config["SECRET_KEY"],
            link_for=lambda token: url_for("web.password_reset", token=token, _external=True))
        return {"sent_to": user.email, "expires_at": utcnow() + identity.RESET_MAX_AGE}


@blp.route("/<int:user_id>/tokens")
class UserTokens(MethodView):
    @access(*USER_ADMINS)
    @blp.response(200, TokenInfoSchema(many=True))
    def get(self, user_id: int) -> Any:
        """The user's tokens (never their values)."""
        session = get_session()
        _managed(session, user_id)
        return identity.tokens_of(session=session, user_id=user_id)

    @access(*USER_ADMINS)
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenSchema)
    def post(self, data: dict[str, Any], user_id: int) -> Any:
        """Issue a token for the user (expires after TOKEN_TTL_HOURS unless `expires_in_days` says
        otherwise, at most TOKEN_MAX_TTL_HOURS); the value is shown only in this answer."""
        session = get_session()
        user = _managed(session, user_id)
        ttl = identity.token_lifetime(days=data.get("expires_in_days"),
                                      default_hours=current_app.config["TOKEN_TTL_HOURS"],
                                      max_hours=current_app.config["TOKEN_MAX_TTL_HOURS"])
        token, row = identity.issue_token(session=session, user=user, name=data.get("name", "api"), ttl=ttl)
        return {"id": row.id, "token": token, "expires_at": row.expires_at}


@blp.route("/<int:user_id>/tokens/<int:token_id>")
class UserToken(MethodView):
    @access(*USER_ADMINS)
    @blp.response(200, TokenInfoSchema)
    def delete(self, user_id: int, token_id: int) -> Any:
        """Revoke a token; it stops working at once."""
        session = get_session()
        _managed(session, user_id)
        token = get_or_404(session, ApiToken, token_id)
        if token.user_id != user_id:
            abort(404, message=f"ApiToken {token_id} not found")
        return identity.revoke_token(session=session, token=token)
