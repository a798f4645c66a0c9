"""User administration and API tokens (admins only)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlmodel import select

from models import ApiToken, User
from service.api.common import PAGE, check_if_match, takes_if_match, with_etag
from service.core.auth import ADMIN, access
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain import identity
from service.schemas.identity import (
    TokenInfoSchema,
    TokenRequestSchema,
    TokenSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)

blp = Blueprint("users", __name__, url_prefix="/users", description="Users and tokens (admin)")


@blp.route("")
class Users(MethodView):
    @access(*ADMIN)
    @blp.arguments(UserQuerySchema, location="query")
    @blp.response(200, UserSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """List users, by role or country."""
        stmt = select(User).order_by(User.id)
        if "role" in query:
            stmt = stmt.where(User.role == query["role"])
        if "country" in query:
            stmt = stmt.where(User.country_code == query["country"])
        return paginate(get_session(), stmt, pagination_parameters)

    @access(*ADMIN)
    @blp.arguments(UserSchema)
    @blp.response(201, UserSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a user; a liaison needs a country."""
        user = identity.create_user(session=get_session(), **data)
        return with_etag(user, 201)


@blp.route("/<int:user_id>")
class UserItem(MethodView):
    @access(*ADMIN)
    @blp.response(200, UserSchema)
    def get(self, user_id: int) -> Any:
        """One user."""
        return with_etag(get_or_404(get_session(), User, user_id))

    @takes_if_match
    @access(*ADMIN)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, changes: dict[str, Any], user_id: int) -> Any:
        """Change a user's name, role, country, password or active flag (needs If-Match)."""
        session = get_session()
        user = get_or_404(session, User, user_id)
        check_if_match(user)
        return with_etag(identity.update_user(session=session, user=user, changes=changes))


@blp.route("/<int:user_id>/tokens")
class UserTokens(MethodView):
    @access(*ADMIN)
    @blp.response(200, TokenInfoSchema(many=True))
    def get(self, user_id: int) -> Any:
        """The user's tokens (never their values)."""
        session = get_session()
        get_or_404(session, User, user_id)
        return identity.tokens_of(session=session, user_id=user_id)

    @access(*ADMIN)
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenSchema)
    def post(self, data: dict[str, Any], user_id: int) -> Any:
        """Issue a token for the user (expires after TOKEN_TTL_HOURS unless `expires_in_days` says
        otherwise, at most TOKEN_MAX_TTL_HOURS); the value is shown only in this answer."""
        session = get_session()
        user = get_or_404(session, User, user_id)
        ttl = identity.token_lifetime(days=data.get("expires_in_days"),
                                      default_hours=current_app.config["TOKEN_TTL_HOURS"],
                                      max_hours=current_app.config["TOKEN_MAX_TTL_HOURS"])
        token, row = identity.issue_token(session=session, user=user, name=data.get("name", "api"), ttl=ttl)
        return {"id": row.id, "token": token, "expires_at": row.expires_at}


@blp.route("/<int:user_id>/tokens/<int:token_id>")
class UserToken(MethodView):
    @access(*ADMIN)
    @blp.response(200, TokenInfoSchema)
    def delete(self, user_id: int, token_id: int) -> Any:
        """Revoke a token; it stops working at once."""
        session = get_session()
        token = get_or_404(session, ApiToken, token_id)
        if token.user_id != user_id:
            abort(404, message=f"ApiToken {token_id} not found")
        return identity.revoke_token(session=session, token=token)
