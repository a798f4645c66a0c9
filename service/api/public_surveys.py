"""Answering a survey without an account: the token in the link is the only credential."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from service.auth import access
from service.db import ACTOR_KEY, get_session
from service.domain import surveys
from service.schemas.surveys import AnswerReceiptSchema, AnswerSchema, PublicSurveySchema

blp = Blueprint("public_surveys", __name__, url_prefix="/public/surveys",
                description="Survey answers by link, without an account")


@blp.route("/<string:token>")
class PublicSurvey(MethodView):
    @access(public=True)
    @blp.doc(security=[])
    @blp.response(200, PublicSurveySchema)
    @blp.alt_response(404, description="Unknown or expired link (the two answer alike)")
    def get(self, token: str) -> Any:
        """The questions, and the service they are about."""
        session = get_session()
        return surveys.public_view(session=session, survey=surveys.by_token(session=session, token=token))

    @access(public=True)
    @blp.doc(security=[])
    @blp.arguments(AnswerSchema)
    @blp.response(201, AnswerReceiptSchema)
    @blp.alt_response(404, description="Unknown or expired link")
    @blp.alt_response(409, description="Already answered")
    def post(self, data: dict[str, Any], token: str) -> Any:
        """Answer the survey (once)."""
        session = get_session()
        session.info[ACTOR_KEY] = (None, "survey link")
        session.info["remote_addr"] = request.remote_addr
        survey = surveys.by_token(session=session, token=token)
        response = surveys.answer(session=session, survey=survey, data=data)
        return {"status": "answered", "answered_at": response.answered_at}
