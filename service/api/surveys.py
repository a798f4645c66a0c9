"""Surveys sent after completed events: their links, state and answers."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from models import Survey
from service.api.common import PAGE
from service.core.auth import LIAISONS, access, require_principal
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain import surveys
from service.schemas.surveys import AnswerSchema, ResponseSchema, SurveyQuerySchema, SurveySchema

blp = Blueprint("surveys", __name__, url_prefix="/surveys", description="Satisfaction surveys")


@blp.route("")
class Surveys(MethodView):
    @blp.arguments(SurveyQuerySchema, location="query")
    @blp.response(200, SurveySchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """List surveys, newest first, by country, event or status."""
        session = get_session()
        page = paginate(session, surveys.surveys_query(query), pagination_parameters)
        return surveys.describe(session=session, surveys=page)


@blp.route("/<int:survey_id>")
class SurveyItem(MethodView):
    @blp.response(200, SurveySchema)
    def get(self, survey_id: int) -> Any:
        """One survey: its answer link, its state, and its response once given."""
        session = get_session()
        return surveys.describe(session=session, surveys=[get_or_404(session, Survey, survey_id)])[0]


@blp.route("/<int:survey_id>/response")
class SurveyResponseItem(MethodView):
    @access(*LIAISONS)
    @blp.arguments(AnswerSchema)
    @blp.response(201, ResponseSchema)
    @blp.alt_response(409, description="Already answered, or expired")
    def post(self, data: dict[str, Any], survey_id: int) -> Any:
        """Answer one of your country's surveys while signed in (once)."""
        session = get_session()
        survey = get_or_404(session, Survey, survey_id)
        return surveys.answer(session=session, survey=survey, data=data,
                              answered_by=require_principal().user_id)
