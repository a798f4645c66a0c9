"""Survey rules: templates and their revisions, invitations, answers, reminders and expiry.

A survey is created once per completed event (unique `event_id`), with a 256-bit token that
is the only credential needed to answer it. Its invitation goes to the country's liaisons
through the outbox. An answer is stored once, with the survey's new state and any corrective
action it opens, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import (
    Country,
    DeficiencyReport,
    EventStatus,
    ServiceEvent,
    Survey,
    SurveyResponse,
    SurveyStatus,
    SurveyTemplate,
    WeaponSystem,
    utcnow,
)
from service.domain import actions, mail, outbox, periods
from service.domain.errors import Conflict, Invalid, NotFound
from service.domain.lists import sorted_by, where_given

TEMPLATE_NAME = "standard"
DIMENSIONS = ("instructors", "timeliness", "documentation", "equipment")

# What each answer field means; a template may word, require or leave out a question, but
# never change its scale, so every revision's answers stay comparable.
QUESTION_KINDS: dict[str, dict[str, Any]] = {
    "overall": {"type": "rating", "min": 1, "max": 5},
    **{d: {"type": "rating", "min": 1, "max": 5} for d in DIMENSIONS},
    "recommend": {"type": "scale", "min": 0, "max": 10},
    "comment": {"type": "text", "max_length": 4000},
}
ALWAYS_REQUIRED = ("overall", "recommend")

DEFAULT_QUESTIONS = [
    ("overall", "Overall, how satisfied are you with this service?", True),
    ("instructors", "How would you rate the instructors and technicians?", True),
    ("timeliness", "How would you rate the timeliness of the service (start, schedule, end)?", True),
    ("documentation", "How would you rate the documentation and training material?", True),
    ("equipment", "How would you rate the condition and availability of the equipment?", True),
    ("recommend", "How likely are you to recommend this service to another unit (0-10)?", True),
    ("comment", "Anything you would like us to know or to do differently?", False),
]

# The standard questions in Korean (SPEC §12: every template has at least English and Korean).
DEFAULT_TEXTS = {"ko": {
    "overall": "이번 지원에 전반적으로 얼마나 만족하셨습니까?",
    "instructors": "교관과 기술진을 어떻게 평가하십니까?",
    "timeliness": "지원 일정(시작, 진행, 종료)의 적시성을 어떻게 평가하십니까?",
    "documentation": "교범과 교육 자료를 어떻게 평가하십니까?",
    "equipment": "장비의 상태와 가용성을 어떻게 평가하십니까?",
    "recommend": "이 지원을 다른 부대에 추천할 의향은 어느 정도입니까(0-10)?",
    "comment": "전하고 싶은 말씀이나 개선했으면 하는 점이 있습니까?",
}}

# The survey a buyer gets when a deficiency report is closed (SPEC §9): how it was handled.
# Its answers are reported apart from the services' (`satisfaction.figures(handling=True)`).
HANDLING_TEMPLATE = "deficiency_handling"
HANDLING_KIND = "deficiency_handling"
HANDLING_QUESTIONS = [
    ("overall", "Overall, how satisfied are you with how this deficiency report was handled?", True),
    ("timeliness", "How would you rate the speed of our answers and of the resolution?", True),
    ("documentation", "How clear were our messages and the explanation of the resolution?", True),
    ("recommend", "How likely are you to recommend our after-sales support to another unit (0-10)?", True),
    ("comment", "Anything you would like us to know or to do differently?", False),
]
HANDLING_TEXTS = {"ko": {
    "overall": "이번 결함 보고의 처리에 전반적으로 얼마나 만족하셨습니까?",
    "timeliness": "답변과 해결의 신속성을 어떻게 평가하십니까?",
    "documentation": "안내 메시지와 해결 내용 설명은 얼마나 명확했습니까?",
    "recommend": "저희 후속 지원을 다른 부대에 추천할 의향은 어느 정도입니까(0-10)?",
    "comment": "전하고 싶은 말씀이나 개선했으면 하는 점이 있습니까?",
}}
DEFAULT_TEMPLATES = {TEMPLATE_NAME: DEFAULT_QUESTIONS, HANDLING_TEMPLATE: HANDLING_QUESTIONS}
TEMPLATE_TEXTS = {TEMPLATE_NAME: DEFAULT_TEXTS, HANDLING_TEMPLATE: HANDLING_TEXTS}

NOT_FOUND = "No open survey at this link"  # unknown and expired tokens answer alike


def build_questions(items: list[dict[str, Any]] | list[tuple[str, str, bool]],
                    texts: dict[str, dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """Full question records (id, English text, its other languages, required, type and scale)
    from ids and wording; `texts` adds wording per language and question id."""
    out = []
    for item in items:
        qid, text, required = (item if isinstance(item, tuple)
                               else (item["id"], item["text"], item.get("required", True)))
        own = {} if isinstance(item, tuple) else dict(item.get("texts") or {})
        own.update({lang: by_id[qid] for lang, by_id in (texts or {}).items() if qid in by_id})
        out.append({"id": qid, "text": text, "texts": own,
                    "required": bool(required or qid in ALWAYS_REQUIRED), **QUESTION_KINDS[qid]})
    return out


def default_questions() -> list[dict[str, Any]]:
    return build_questions(DEFAULT_QUESTIONS, DEFAULT_TEXTS)


def languages_of(questions: list[dict[str, Any]]) -> list[str]:
    """The languages a template can be read in: English, and each one every question has."""
    common = set.intersection(*(set(q.get("texts") or {}) for q in questions)) if questions else set()
    return ["en", *sorted(common - {"en"})]


def in_language(questions: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """The questions worded in `language` (English where it has none), without the others."""
    return [{**{k: v for k, v in q.items() if k != "texts"},
             "text": (q.get("texts") or {}).get(language, q.get("text", ""))} for q in questions]


def current_template(*, session: Session, name: str = TEMPLATE_NAME) -> SurveyTemplate:
    """The active revision of the standard (or `name`d) template, created (revision 1) on
    first use."""
    stmt = (select(SurveyTemplate).where(SurveyTemplate.name == name,
                                         col(SurveyTemplate.active).is_(True))
            .order_by(col(SurveyTemplate.revision).desc()))
    template = session.exec(stmt).first()
    if template is not None:
        return template
    try:
        with session.begin_nested():
            questions = build_questions(DEFAULT_TEMPLATES[name], TEMPLATE_TEXTS[name])
            template = SurveyTemplate(name=name, revision=1, questions=questions)
            session.add(template)
    except IntegrityError:  # another process created it first
        template = session.exec(stmt).first()
        assert template is not None
    return template


def revise_template(*, session: Session, questions: list[dict[str, Any]]) -> SurveyTemplate:
    """A new revision of the standard template; surveys already sent keep the one they had."""
    ids = [q["id"] for q in questions]
    missing = [q for q in ALWAYS_REQUIRED if q not in ids]
    if missing:
        raise Invalid("Every survey asks the overall rating and the recommendation",
                      {"questions": [f"missing question {q!r}" for q in missing]})
    if len(ids) != len(set(ids)):
        raise Invalid("A question appears twice", {"questions": ["each id appears once"]})
    previous = current_template(session=session)
    previous.active = False
    template = SurveyTemplate(name=TEMPLATE_NAME, revision=previous.revision + 1,
                              questions=build_questions(questions))
    session.add(template)
    session.commit()
    return template


def links(token: str) -> dict[str, str]:
    """The public web page and API address of a survey, from PUBLIC_BASE_URL."""
    base = current_app.config["PUBLIC_BASE_URL"]
    return {"answer_url": f"{base}/surveys/{token}", "api_url": f"{base}/api/v1/public/surveys/{token}"}


def ensure_survey(*, session: Session, event: ServiceEvent, now: dt.datetime | None = None) -> Survey:
    """The event's survey, created and its invitation written on the first call only; commits."""
    survey = open_survey(session=session, event=event, now=now)
    session.commit()
    return survey


def open_survey(*, session: Session, event: ServiceEvent, now: dt.datetime | None = None) -> Survey:
    """Like `ensure_survey`, inside the caller's transaction (completing an event uses this)."""
    return _open(session=session, about=Survey.event_id, key=event.id, now=now,
                 template=TEMPLATE_NAME, fields={"event_id": event.id or 0, "kind": event.kind},
                 country_code=event.country_code, system_id=event.system_id,
                 invitation={"event": event})


def open_handling_survey(*, session: Session, report: DeficiencyReport,
                         now: dt.datetime | None = None) -> Survey:
    """The closed report's survey on how it was handled (once per report, unique
    `deficiency_id`), its invitation written to the buyer's liaisons; inside the caller's
    transaction (closing the report)."""
    return _open(session=session, about=Survey.deficiency_id, key=report.id, now=now,
                 template=HANDLING_TEMPLATE, fields={"deficiency_id": report.id, "kind": HANDLING_KIND},
                 country_code=report.country_code, system_id=report.system_id,
                 invitation={"report": report})


def _open(*, session: Session, about: Any, key: int | None, now: dt.datetime | None, template: str,
          fields: dict[str, Any], country_code: str, system_id: int,
          invitation: dict[str, Any]) -> Survey:
    """The one survey about a service or a report (`about` = `key`, unique), created with its
    invitation on the first call; a concurrent creator's survey otherwise."""
    existing = session.exec(select(Survey).where(about == key)).first()
    if existing is not None:
        return existing
    now = now or utcnow()
    survey = Survey(
        **fields, country_code=country_code, system_id=system_id,
        template_id=current_template(session=session, name=template).id or 0,
        token=secrets.token_urlsafe(32), status=SurveyStatus.sent.value, period=periods.of(now),
        sent_at=now,
        expires_at=now + dt.timedelta(days=current_app.config["SURVEY_EXPIRY_DAYS"]),
    )
    try:
        with session.begin_nested():
            session.add(survey)
    except IntegrityError:  # created meanwhile by the daily job or another process
        found = session.exec(select(Survey).where(about == key)).first()
        assert found is not None
        return found
    invite(session=session, survey=survey, now=now, **invitation)
    return survey


def invite(*, session: Session, survey: Survey, now: dt.datetime, event: ServiceEvent | None = None,
           report: DeficiencyReport | None = None) -> None:
    """Write the invitation to each active liaison of the country (once per person)."""
    recipients = outbox.liaisons_of(session=session, country_code=survey.country_code)
    if not recipients:
        return  # invited_at stays empty; the daily job invites once a liaison exists
    url = links(survey.token)
    data = {"survey_id": survey.id, "event_id": survey.event_id, "deficiency_id": survey.deficiency_id, **url}
    name, about = ("deficiency_survey", {"report": report}) if report is not None else (
        "survey_invitation", {"event": event})
    session_messages = [{
        "key": f"survey-invite:survey:{survey.id}:user:{user.id}",
        "kind": "survey_invitation", "user_id": user.id, "recipient": user.email,
        "country_code": survey.country_code, "data": data,
        **mail.render_to(session, user, name, expires=survey.expires_at, **about, **url),
    } for user in recipients]
    outbox.notify(session=session, messages=session_messages)
    survey.invited_at = now


def by_token(*, session: Session, token: str, now: dt.datetime | None = None) -> Survey:
    """The survey a public token opens; an unknown and an expired token raise the same 404."""
    survey = session.exec(select(Survey).where(Survey.token == token)).first() if token else None
    now = now or utcnow()
    if survey is None or survey.status == SurveyStatus.expired or survey.expires_at <= now:
        raise NotFound(NOT_FOUND)
    return survey


FILTERS = (("country", Survey.country_code), ("event", Survey.event_id), ("status", Survey.status),
           ("deficiency", Survey.deficiency_id), ("kind", Survey.kind))


SORTS = {"sent": Survey.sent_at, "expires": Survey.expires_at, "status": Survey.status,
         "country": Survey.country_code, "kind": Survey.kind}
DEFAULT_SORT = ("-sent",)


def surveys_query(query: dict[str, Any]) -> Any:
    """The surveys a list shows for `query` (a `SurveyQuerySchema` load), newest first unless
    `sort` says otherwise: the one statement behind `GET /api/v1/surveys` and the surveys page."""
    stmt = where_given(select(Survey), query, FILTERS)
    return sorted_by(stmt, query.get("sort") or DEFAULT_SORT, SORTS, tie=col(Survey.id))


def describe(*, session: Session, surveys: list[Survey]) -> list[dict[str, Any]]:
    """Surveys with their event title, template revision, links and response: one query per page."""
    ids = [s.id for s in surveys]
    if not ids:
        return []
    rows = session.execute(
        sa.select(col(Survey.id), col(ServiceEvent.title), col(DeficiencyReport.number),
                  col(DeficiencyReport.title), col(SurveyTemplate.revision), SurveyResponse)
        .outerjoin(ServiceEvent, col(ServiceEvent.id) == Survey.event_id)
        .outerjoin(DeficiencyReport, col(DeficiencyReport.id) == Survey.deficiency_id)
        .join(SurveyTemplate, col(SurveyTemplate.id) == Survey.template_id)
        .outerjoin(SurveyResponse, col(SurveyResponse.survey_id) == Survey.id)
        .where(col(Survey.id).in_(ids))
    ).all()
    extra = {row[0]: row[1:] for row in rows}
    out = []
    for survey in surveys:
        title, number, report_title, revision, response = extra[survey.id]
        if number is not None:
            title = actions.written("report_subject", number=number, title=report_title)
        out.append({**survey.model_dump(), "event_title": title, "template_revision": revision,
                    "response": response, **links(survey.token)})
    return out


def public_view(*, session: Session, survey: Survey,
                choose: Callable[[list[str]], str] = lambda _offered: "en") -> dict[str, Any]:
    """What a token holder may see: the questions, in the language `choose` picks from the
    template's, and the event's (or the deficiency report's) public description."""
    template = session.get(SurveyTemplate, survey.template_id)
    assert template is not None
    offered = languages_of(template.questions)
    language = choose(offered)
    language = language if language in offered else "en"
    worded = {"questions": in_language(template.questions, language), "languages": offered,
              "language": language, "template_revision": template.revision,
              "expires_at": survey.expires_at}
    if survey.deficiency_id is not None:
        r = DeficiencyReport
        about = session.execute(
            sa.select(col(r.number), col(r.title), col(r.submitted_at), col(r.closed_at),
                      col(WeaponSystem.name).label("system"),
                      col(Country.name).label("country"))
            .join(WeaponSystem, col(WeaponSystem.id) == r.system_id)
            .join(Country, col(Country.code) == r.country_code)
            .where(col(r.id) == survey.deficiency_id)
        ).one()
        return {"event": {"title": actions.written("report_subject", number=about.number, title=about.title),
                          "kind": HANDLING_KIND, "system": about.system, "country": about.country,
                          "starts_at": about.submitted_at, "ends_at": about.closed_at or survey.sent_at,
                          "location": None}, **worded}
    event = session.execute(
        sa.select(col(ServiceEvent.title), col(ServiceEvent.kind), col(WeaponSystem.name).label("system"),
                  col(Country.name).label("country"),
                  col(ServiceEvent.starts_at), col(ServiceEvent.ends_at),
                  col(ServiceEvent.location))
        .join(WeaponSystem, col(WeaponSystem.id) == ServiceEvent.system_id)
        .join(Country, col(Country.code) == ServiceEvent.country_code)
        .where(col(ServiceEvent.id) == survey.event_id)
    ).one()
    return {"event": dict(event._mapping), **worded}


def _check_answers(template: SurveyTemplate, data: dict[str, Any]) -> None:
    asked = {q["id"]: q for q in template.questions}
    errors: dict[str, list[str]] = {}
    for qid, question in asked.items():
        if question.get("required") and data.get(qid) is None:
            errors[qid] = ["required by this survey"]
    for qid, value in data.items():
        if qid not in asked and qid != "language" and value is not None:
            errors[qid] = ["not asked in this survey"]
    if errors:
        raise Invalid("Some answers are missing or not asked", errors)


def answer(*, session: Session, survey: Survey, data: dict[str, Any], answered_by: int | None = None,
           now: dt.datetime | None = None) -> SurveyResponse:
    """Store the one answer to a survey, mark it answered, and open an action if it is poor."""
    now = now or utcnow()
    if survey.status == SurveyStatus.answered:
        raise Conflict("This survey has already been answered", {"survey": ["already answered"]})
    if survey.status == SurveyStatus.expired or survey.expires_at <= now:
        raise Conflict("This survey has expired", {"survey": ["expired"]})
    template = session.get(SurveyTemplate, survey.template_id)
    assert template is not None
    _check_answers(template, data)
    language = data.get("language") or "en"
    if language not in languages_of(template.questions):
        raise Invalid("This survey is not offered in that language",
                      {"language": [f"one of {', '.join(languages_of(template.questions))}"]})
    answers: dict[str, Any] = {k: data.get(k) for k in ("overall", *DIMENSIONS, "recommend", "comment")}
    response = SurveyResponse(
        language=language,
        survey_id=survey.id or 0, event_id=survey.event_id, deficiency_id=survey.deficiency_id,
        country_code=survey.country_code,
        system_id=survey.system_id, kind=survey.kind, template_id=survey.template_id,
        period=survey.period, answered_at=now, answered_by=answered_by,
        **answers,
    )
    try:
        session.add(response)
        session.flush()  # a concurrent answer fails here, on the unique survey_id
        survey.status = SurveyStatus.answered.value
        survey.answered_at = now
        if survey.event_id is not None:  # a handling survey's answer is reported, opens no action
            actions.open_if_poor(session=session, response=response, now=now)
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("This survey has already been answered", {"survey": ["already answered"]}) from exc
    return response


# --- the daily job's steps (each idempotent) -------------------------------------------------


def create_missing(*, session: Session, now: dt.datetime) -> int:
    """Surveys for completed events that have none; invitations for surveys not yet invited."""
    events = list(session.exec(
        select(ServiceEvent)
        .outerjoin(Survey, col(Survey.event_id) == ServiceEvent.id)
        .where(col(ServiceEvent.status) == EventStatus.completed, col(Survey.id).is_(None))
        .order_by(col(ServiceEvent.id))
    ))
    for event in events:
        ensure_survey(session=session, event=event, now=now)
    # reports closed lately (within a survey's lifetime) and not surveyed: a crash, or before
    recent = now - dt.timedelta(days=current_app.config["SURVEY_EXPIRY_DAYS"])
    reports = list(session.exec(
        select(DeficiencyReport)
        .outerjoin(Survey, col(Survey.deficiency_id) == DeficiencyReport.id)
        .where(DeficiencyReport.status == "closed", col(DeficiencyReport.closed_at) > recent,
               col(Survey.id).is_(None))
        .order_by(col(DeficiencyReport.id))
    ))
    for report in reports:
        open_handling_survey(session=session, report=report, now=now)
        session.commit()
    outbox.job_lock(session, "surveys:invite")
    pending = session.exec(
        select(Survey, ServiceEvent, DeficiencyReport)
        .outerjoin(ServiceEvent, col(ServiceEvent.id) == Survey.event_id)
        .outerjoin(DeficiencyReport, col(DeficiencyReport.id) == Survey.deficiency_id)
        .where(col(Survey.invited_at).is_(None), col(Survey.status) == SurveyStatus.sent,
               col(Survey.expires_at) > now)
    ).all()
    for survey, event, report in pending:
        invite(session=session, survey=survey, event=event, report=report, now=now)
    session.commit()
    return len(events) + len(reports)


def send_reminders(*, session: Session, now: dt.datetime) -> int:
    """One reminder per unanswered survey, once it is `SURVEY_REMINDER_DAYS` old."""
    outbox.job_lock(session, "surveys:remind")
    due = now - dt.timedelta(days=current_app.config["SURVEY_REMINDER_DAYS"])
    rows = session.exec(
        select(Survey, ServiceEvent, DeficiencyReport)
        .outerjoin(ServiceEvent, col(ServiceEvent.id) == Survey.event_id)
        .outerjoin(DeficiencyReport, col(DeficiencyReport.id) == Survey.deficiency_id)
        .where(col(Survey.status) == SurveyStatus.sent, col(Survey.reminded_at).is_(None),
               col(Survey.sent_at) <= due, col(Survey.expires_at) > now)
    ).all()
    for survey, event, report in rows:
        url = links(survey.token)
        outbox.notify(session=session, messages=[{
            "key": f"survey-reminder:survey:{survey.id}:user:{user.id}",
            "kind": "survey_reminder", "user_id": user.id, "recipient": user.email,
            "country_code": survey.country_code,
            **mail.render_to(session, user, "survey_reminder", event=event, report=report,
                             expires=survey.expires_at, **url),
            "data": {"survey_id": survey.id, "event_id": survey.event_id,
                     "deficiency_id": survey.deficiency_id, **url},
        } for user in outbox.liaisons_of(session=session, country_code=survey.country_code)])
        survey.reminded_at = now
    session.commit()
    return len(rows)


def expire_unanswered(*, session: Session, now: dt.datetime) -> int:
    """Mark surveys whose link has run out as expired."""
    outbox.job_lock(session, "surveys:expire")
    surveys = list(session.exec(
        select(Survey).where(Survey.status == SurveyStatus.sent, Survey.expires_at <= now)
    ))
    for survey in surveys:
        survey.status = SurveyStatus.expired.value
    session.commit()
    return len(surveys)
