"""`GET /me`: the signed-in caller."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from models import User
from service.auth import require_principal
from service.db import get_session
from service.schemas.identity import MeSchema

blp = Blueprint("me", __name__, url_prefix="/me", description="The caller")


@blp.route("")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self) -> Any:
        """Who I am: e-mail, name, role and country."""
        return get_session().get(User, require_principal().user_id)
