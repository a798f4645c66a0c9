"""`POST /auth/token`: exchange an e-mail and password for a bearer token."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from webargs.flaskparser import abort  # flask_smorest re-exports it untyped

from service.core import ratelimit
from service.core.auth import access, record_denied
from service.core.db import ACTOR_COUNTRY_KEY, ACTOR_KEY, get_session
from service.domain import identity
from service.schemas.identity import CredentialsSchema, TokenSchema

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Sign-in for API clients")


@blp.route("/token")
class TokenIssue(MethodView):
    @access(public=True)
    @blp.arguments(CredentialsSchema)
    @blp.response(201, TokenSchema)
    @blp.alt_response(401, description="Wrong e-mail or password")
    def post(self, creds: dict[str, Any]) -> Any:
        """Issue a bearer token for the account (expires after TOKEN_TTL_HOURS)."""
        session = get_session()
        user = identity.authenticate(session=session, email=creds["email"], password=creds["password"])
        if user is None:
            record_denied(reason="wrong e-mail or password", status=401, entity="auth")
            abort(401, message="Wrong e-mail or password")
        session.info[ACTOR_KEY], session.info[ACTOR_COUNTRY_KEY] = (user.id, user.email), user.country_code
        session.info["remote_addr"] = request.remote_addr
        ttl = identity.token_lifetime(days=None, default_hours=current_app.config["TOKEN_TTL_HOURS"],
                                      max_hours=current_app.config["TOKEN_MAX_TTL_HOURS"])
        token, row = identity.issue_token(session=session, user=user, name="sign-in", ttl=ttl)
        ratelimit.forgive_sign_in()
        return {"id": row.id, "token": token, "expires_at": row.expires_at}
