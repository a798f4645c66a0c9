"""Survey templates: the questions asked, revised by staff without changing past answers."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlmodel import col, select

from models import SurveyTemplate
from service.api.common import PAGE
from service.core.auth import STAFF, access
from service.core.db import get_engine, get_session, session_scope
from service.core.reads import paginate
from service.domain import surveys
from service.schemas.surveys import TemplateSchema

blp = Blueprint("survey_templates", __name__, url_prefix="/survey-templates",
                description="Survey questions and their revisions")


@blp.route("")
class SurveyTemplates(MethodView):
    @blp.response(200, TemplateSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, pagination_parameters: Any) -> Any:
        """Every revision of the survey templates (the services' `standard` and the closed
        deficiency reports' `deficiency_handling`), the current ones first."""
        with session_scope(get_engine(current_app)) as writing:  # revision 1 on first use
            for name in surveys.DEFAULT_TEMPLATES:
                surveys.current_template(session=writing, name=name)
        stmt = select(SurveyTemplate).order_by(col(SurveyTemplate.revision).desc(),
                                               col(SurveyTemplate.name).desc())
        return paginate(get_session(), stmt, pagination_parameters)

    @access(*STAFF)
    @blp.arguments(TemplateSchema)
    @blp.response(201, TemplateSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Make a new revision of the questions; surveys already sent keep theirs."""
        return surveys.revise_template(session=get_session(), questions=data["questions"])
