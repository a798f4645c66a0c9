"""Surveys on the pages: the public form behind the e-mailed link, and the country's survey list.

`/surveys/<token>` is public: the token is the only credential, as for the API's
`/public/surveys/<token>`; it shows only what that endpoint shows (the questions and the
service's public description). A signed-in liaison may also answer from `/surveys/<id>`.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_smorest.pagination import PaginationParameters
from marshmallow import ValidationError
from sqlmodel import select

from models import Country, ServiceEvent, Survey, SurveyStatus, SurveyTemplate
from service.core import i18n
from service.core.auth import LIAISONS, access, require_principal
from service.core.db import ACTOR_KEY, get_session
from service.core.reads import get_or_404, paginate
from service.domain import surveys
from service.domain.errors import DomainError, NotFound
from service.schemas.surveys import AnswerSchema, SurveyQuerySchema
from service.web import bp
from service.web.filters import labelled
from service.web.forms import Errors, list_order, message, number, page_number, paging, refused
from service.web.services import choices, load_query

answer_schema = AnswerSchema()
survey_query = SurveyQuerySchema()
SORT_LABELS = {"sent": _l("date sent"), "expires": _l("link expiry"), "status": _l("state"),
               "country": _l("country"), "kind": _l("kind")}
PAGE_SIZE = 25
SCALES = {"rating": [(str(n), str(n)) for n in range(1, 6)], "scale": [(str(n), str(n)) for n in range(11)]}


def posted_answers(questions: list[dict[str, Any]]) -> tuple[dict[str, str], dict[str, Any]]:
    """(what was chosen, the JSON body): ratings as numbers, unanswered optional ones left out."""
    form = {q["id"]: request.form.get(q["id"], "").strip() for q in questions}
    body: dict[str, Any] = {k: (v if k == "comment" else number(v)) for k, v in form.items() if v != ""}
    if request.form.get("language"):
        body["language"] = request.form["language"]
    return form, body


def _answer(survey: Survey, questions: list[dict[str, Any]],
            answered_by: int | None) -> tuple[dict[str, str], Errors, int]:
    """Answer through the API's schema and rule; ({}, {}, 201) on success, else the errors."""
    form, body = posted_answers(questions)
    try:
        surveys.answer(session=get_session(), survey=survey, data=answer_schema.load(body),
                       answered_by=answered_by)
    except (ValidationError, DomainError) as err:
        no = refused(err)
        if "survey" in no.errors and isinstance(err, DomainError):  # the survey itself, not one question
            no.errors["_"] = [message(err.message)]
        return form, no.errors, no.status
    return form, {}, 201


# --- public, by the link ---------------------------------------------------------------------


def _public(token: str) -> tuple[Survey | None, dict[str, Any] | None, str | None]:
    session = get_session()
    try:
        survey = surveys.by_token(session=session, token=token[:100])
    except NotFound:
        return None, None, None
    asked = request.form.get("language") or request.args.get("lang")
    view = surveys.public_view(session=session, survey=survey, choose=i18n.chooser(asked))
    return survey, view, _zone_of(survey)


def _zone_of(survey: Survey) -> str | None:
    """The time zone a survey's times are shown in: its event's, or (a deficiency report's
    survey) the country's."""
    session = get_session()
    if survey.event_id is not None:
        return session.scalar(select(ServiceEvent.timezone).where(ServiceEvent.id == survey.event_id))
    return session.scalar(select(Country.timezone).where(Country.code == survey.country_code))


def _render(template: str, view: dict[str, Any], **context: Any) -> str:
    """A public survey page in the survey's language (its words, and the page's own)."""
    with force_locale(view["language"]):
        return render_template(template, view=view, **context)


def _not_found() -> Any:
    return render_template("survey_gone.html"), 404


@bp.route("/surveys/<string:token>", methods=["GET", "POST"])
@access(public=True)
def survey_by_link(token: str) -> Any:
    """The survey behind an e-mailed link: no sign-in; answered once; a dead link answers 404."""
    survey, view, tz = _public(token)
    if survey is None or view is None:
        return _not_found()
    if survey.status == SurveyStatus.answered:
        return _render("survey_done.html", view, tz=tz, already=True)
    form: dict[str, str] = {}
    errors: Errors = {}
    status = 200
    if request.method == "POST":
        session = get_session()
        session.info[ACTOR_KEY] = (None, "survey link")
        session.info["remote_addr"] = request.remote_addr
        form, errors, status = _answer(survey, view["questions"], None)
        if status == 201:
            return redirect(url_for("web.survey_thanks", token=token, lang=view["language"]))
        if status == 404:
            return _not_found()
        if "survey" in errors:  # answered meanwhile (e.g. in another tab)
            return _render("survey_done.html", view, tz=tz, already=True), 409
    return _render("survey_form.html", view, tz=tz, form=form, errors=errors, scales=SCALES, token=token,
                   action=url_for("web.survey_by_link", token=token)), status


@bp.get("/surveys/<string:token>/thanks")
@access(public=True)
def survey_thanks(token: str) -> Any:
    """The thank-you page after answering by link."""
    survey, view, tz = _public(token)
    if survey is None or view is None:
        return _not_found()
    if survey.status != SurveyStatus.answered:
        return redirect(url_for("web.survey_by_link", token=token))
    return _render("survey_done.html", view, tz=tz, already=False)


# --- signed in: the country's surveys ---------------------------------------------------------


@bp.get("/surveys")
def surveys_list() -> Any:
    """Surveys, newest first, by state (staff: and country), with their links and answers."""
    session = get_session()
    query, raw, errors = load_query(survey_query, ("country", "status", "sort"))
    order = list_order(query, surveys.DEFAULT_SORT, SORT_LABELS)
    page = PaginationParameters(page_number(), PAGE_SIZE)
    rows = surveys.describe(session=session, surveys=paginate(session, surveys.surveys_query(query), page))
    return render_template("surveys.html", rows=rows, filters=raw, errors=errors, choices=choices(session),
                           statuses=labelled(SurveyStatus),
                           **order, **paging(page, PAGE_SIZE))


def _render_survey(survey_id: int, form: dict[str, str], errors: Errors, status: int = 200) -> Any:
    session = get_session()
    survey = get_or_404(session, Survey, survey_id)
    info = surveys.describe(session=session, surveys=[survey])[0]
    template = session.get(SurveyTemplate, survey.template_id)
    questions = template.questions if template else []
    language = str(get_locale() or "en")  # the page's language, when the survey has it
    language = language if language in surveys.languages_of(questions) else "en"
    return render_template("survey.html", s=info, tz=_zone_of(survey), language=language,
                           questions=surveys.in_language(questions, language),
                           form=form, errors=errors, scales=SCALES), status


@bp.get("/surveys/<int:survey_id>")
def survey_page(survey_id: int) -> Any:
    """One survey: its state, its link and its answer (the country's liaison answers it here)."""
    return _render_survey(survey_id, {}, {})


@bp.post("/surveys/<int:survey_id>")
@access(*LIAISONS)
def survey_answer(survey_id: int) -> Any:
    """A liaison answers one of their country's surveys while signed in (once)."""
    principal = require_principal()
    session = get_session()
    survey = get_or_404(session, Survey, survey_id)
    template = session.get(SurveyTemplate, survey.template_id)
    form, errors, status = _answer(survey, template.questions if template else [], principal.user_id)
    if status != 201:
        return _render_survey(survey_id, form, errors, status)
    flash(gettext("Thank you: your answer is recorded."), "success")
    return redirect(url_for("web.survey_page", survey_id=survey_id))
