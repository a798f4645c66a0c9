"""Answering a survey without an account: the token in the link is the only credential."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from models import Survey
from service.core import i18n
from service.core.auth import access
from service.core.db import ACTOR_KEY, get_session
from service.domain import surveys
from service.schemas.surveys import (
    AnswerReceiptSchema,
    AnswerSchema,
    PublicSurveySchema,
    SurveyLanguageQuerySchema,
)

blp = Blueprint("public_surveys", __name__, url_prefix="/public/surveys",
                description="Survey answers by link, without an account")


def _survey_first(view: Callable[..., Any]) -> Callable[..., Any]:
    """Look the link's survey up before the body is read: an unknown or expired link answers
    404 whatever is sent with it, like any unknown record, never 400 or 422."""

    @functools.wraps(view)
    def wrapper(*args: Any, token: str, **kwargs: Any) -> Any:
        return view(*args, survey=surveys.by_token(session=get_session(), token=token), **kwargs)

    return wrapper


@blp.route("/<string:token>")
class PublicSurvey(MethodView):
    @access(public=True)
    @blp.doc(security=[])
    @blp.arguments(SurveyLanguageQuerySchema, location="query")
    @blp.response(200, PublicSurveySchema)
    @blp.alt_response(404, description="Unknown or expired link (the two answer alike)")
    def get(self, args: dict[str, Any], token: str) -> Any:
        """The questions, in the language asked for (else the browser's), and the service."""
        session = get_session()
        return surveys.public_view(session=session, survey=surveys.by_token(session=session, token=token),
                                   choose=i18n.chooser(args.get("lang")))

    @access(public=True)
    @blp.doc(security=[])
    @_survey_first
    @blp.arguments(AnswerSchema)
    @blp.response(201, AnswerReceiptSchema)
    @blp.alt_response(404, description="Unknown or expired link")
    @blp.alt_response(409, description="Already answered")
    def post(self, data: dict[str, Any], survey: Survey) -> Any:
        """Answer the survey (once)."""
        session = get_session()
        session.info[ACTOR_KEY] = (None, "survey link")
        session.info["remote_addr"] = request.remote_addr
        response = surveys.answer(session=session, survey=survey, data=data)
        return {"status": "answered", "answered_at": response.answered_at}
