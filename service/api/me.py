"""`GET /me`: the signed-in caller; their personal calendar feed; their API tokens."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from models import User
from service.core.auth import EVERYONE, access, require_principal
from service.core.db import get_session
from service.domain import calendar, identity
from service.schemas.identity import (
    MeSchema,
    MeUpdateSchema,
    SignedOutSchema,
    SignOutEverywhereSchema,
    TokenInfoSchema,
)
from service.schemas.services import FeedSchema

blp = Blueprint("me", __name__, url_prefix="/me", description="The caller")


@blp.route("")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self) -> Any:
        """Who I am: e-mail, name, role, country and my calendar feed's URL."""
        user = get_session().get(User, require_principal().user_id)
        assert user is not None
        return _me(user)

    @access(*EVERYONE)
    @blp.arguments(MeUpdateSchema)
    @blp.response(200, MeSchema)
    def patch(self, data: dict[str, Any]) -> Any:
        """Change my language (`en`, `ko`, or null to follow my country or my browser)."""
        session = get_session()
        user = session.get(User, require_principal().user_id)
        assert user is not None
        identity.set_language(session=session, user=user, language=data["language"])
        return _me(user)


def _me(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
            "country_code": user.country_code, "language": user.language,
            "calendar_feed_url": calendar.url_for_user(user=user)}


@blp.route("/calendar-feed/rotate")
class CalendarFeedRotate(MethodView):
    @access(*EVERYONE)
    @blp.response(200, FeedSchema)
    def post(self) -> Any:
        """Revoke my calendar feed's URL and answer the new one."""
        session = get_session()
        user = session.get(User, require_principal().user_id)
        assert user is not None
        salt = calendar.rotate(session=session, user_id=user.id or 0)
        return {"calendar_feed_url": calendar.url_for_user(user=user, salt=salt)}


@blp.route("/sign-out-everywhere")
class SignOutEverywhere(MethodView):
    @access(*EVERYONE)
    @blp.arguments(SignOutEverywhereSchema)
    @blp.response(200, SignedOutSchema)
    def post(self, data: dict[str, bool]) -> Any:
        """End every web session of mine; optionally revoke my API tokens and calendar feed."""
        session = get_session()
        user = session.get(User, require_principal().user_id)
        assert user is not None
        identity.revoke_credentials(session=session, user=user, **data)
        session.commit()
        return {"sessions": True, **data}


@blp.route("/tokens")
class MyTokens(MethodView):
    @access(*EVERYONE)
    @blp.response(200, TokenInfoSchema(many=True))
    def get(self) -> Any:
        """My API tokens, with when each was last used (never their values)."""
        return identity.tokens_of(session=get_session(), user_id=require_principal().user_id)


@blp.route("/tokens/<int:token_id>")
class MyToken(MethodView):
    @access(*EVERYONE)
    @blp.response(200, TokenInfoSchema)
    def delete(self, token_id: int) -> Any:
        """Revoke one of my tokens; it stops working at once."""
        return identity.revoke_own_token(session=get_session(), user_id=require_principal().user_id,
                                         token_id=token_id)
