"""`GET /me`: the signed-in caller; their personal calendar feed."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlmodel import Session

from models import User
from service.auth import EVERYONE, access, require_principal
from service.db import ACTOR_KEY, get_engine, get_session, writer
from service.domain import calendar
from service.schemas.identity import MeSchema
from service.schemas.services import FeedSchema

blp = Blueprint("me", __name__, url_prefix="/me", description="The caller")


def _feed_url(user_id: int, salt: str) -> str:
    config = current_app.config
    return calendar.feed_url(config["PUBLIC_BASE_URL"], config["SECRET_KEY"], user_id, salt)


@blp.route("")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self) -> Any:
        """Who I am: e-mail, name, role, country and my calendar feed's URL."""
        user = get_session().get(User, require_principal().user_id)
        assert user is not None
        salt = user.feed_salt
        if salt is None:  # first use: create the salt in a short write of its own
            with Session(writer(get_engine(current_app))) as db:  # type: ignore[arg-type]
                db.info[ACTOR_KEY] = (user.id, user.email)
                salt = calendar.ensure_salt(session=db, user_id=user.id or 0)
        return {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
                "country_code": user.country_code, "calendar_feed_url": _feed_url(user.id or 0, salt)}


@blp.route("/calendar-feed/rotate")
class CalendarFeedRotate(MethodView):
    @access(*EVERYONE)
    @blp.response(200, FeedSchema)
    def post(self) -> Any:
        """Revoke my calendar feed's URL and answer the new one."""
        user_id = require_principal().user_id
        return {"calendar_feed_url": _feed_url(user_id, calendar.rotate(session=get_session(),
                                                                         user_id=user_id))}
