"""Builders for test data, through the same domain functions the API uses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from models import Role, StaffMember, utcnow
from service.core.db import session_scope
from service.domain import identity, registry

PASSWORD = "correct horse battery"  # noqa: S105


@dataclass
class World:
    ids: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    engine: Any = None
    app: Any = None  # the Flask app, for domain rules that read its settings

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}


def add_user(engine: sa.Engine, email: str, role: Role, country: str | None = None) -> tuple[int, str]:
    with session_scope(engine) as s:
        user = identity.create_user(session=s, email=email, name=email.split("@")[0], role=role,
                                    password=PASSWORD, country_code=country)
        token, _ = identity.issue_token(session=s, user=user, ttl=dt.timedelta(days=30))
        return user.id or 0, token


# --- services, surveys, actions and reports as the dashboards read them -----------------------
# Rows are written straight through the ORM: the scheduling and survey rules live in their own
# domain modules; these builders only give the read side (pages, status endpoint) something real.

OVERVIEW_PLACES = {"PL": "Torun training area", "NO": "Rena leir"}


def add_overview_data(engine: sa.Engine, world: World, now: dt.datetime | None = None) -> dict[str, Any]:
    """For PL and NO: upcoming, completed and cancelled events, requests, surveys and answers,
    corrective actions and reports. Poland's answers are good, Norway's poor."""
    from models import (
        ActionComment,
        CorrectiveAction,
        Report,
        ServiceEvent,
        ServiceRequest,
        Survey,
        SurveyResponse,
        SurveyTemplate,
    )
    from service.domain import periods

    now = now or dt.datetime.now(dt.UTC)
    today = now.date()
    ids: dict[str, Any] = {}
    with session_scope(engine) as s:
        template = s.scalars(sa.select(SurveyTemplate).order_by(SurveyTemplate.id)).first()
        if template is None:
            template = SurveyTemplate(name="dashboard-test", questions=[{"id": "overall"}])
            s.add(template)
            s.flush()
        for code, tz, good in (("PL", "Europe/Warsaw", True), ("NO", "Europe/Oslo", False)):
            place = OVERVIEW_PLACES[code]

            def event(title: str, start: dt.datetime, status: str, *, code: str = code,
                      tz: str = tz, place: str = place) -> ServiceEvent:
                e = ServiceEvent(kind="joint_training", title=title, country_code=code,
                                 system_id=world.ids["k9"], starts_at=start,
                                 ends_at=start + dt.timedelta(days=2), timezone=tz, location=place,
                                 status=status, participants_actual=12 if status == "completed" else None)
                s.add(e)
                s.flush()
                return e

            soon = event(f"Fire direction course {code}", now + dt.timedelta(days=3), "confirmed")
            event(f"Maintenance education {code}", now + dt.timedelta(days=20), "planned")
            event(f"Cancelled trial {code}", now + dt.timedelta(days=5), "cancelled")
            done = event(f"Gunnery drill {code}", now - dt.timedelta(days=10), "completed")
            done2 = event(f"Crew conversion {code}", now - dt.timedelta(days=4), "completed")
            ids[f"event_soon_{code}"], ids[f"event_done_{code}"] = soon.id, done.id
            s.add(ServiceRequest(country_code=code, kind="trial_run", system_id=world.ids["k9"],
                                 wished_from=today + dt.timedelta(days=40),
                                 wished_to=today + dt.timedelta(days=50),
                                 description=f"Live fire at {place}"))
            s.add(ServiceRequest(country_code=code, kind="tech_education", system_id=world.ids["k2"],
                                 wished_from=today, wished_to=today, status="accepted"))
            period = periods.of(now)
            answered = Survey(event_id=done.id, country_code=code, system_id=world.ids["k9"],
                              kind="joint_training", template_id=template.id,
                              token=f"tok-answered-{code}", status="answered", period=period,
                              sent_at=now - dt.timedelta(days=8), expires_at=now + dt.timedelta(days=22),
                              answered_at=now - dt.timedelta(days=7))
            s.add(answered)
            s.add(Survey(event_id=done2.id, country_code=code, system_id=world.ids["k9"],
                         kind="joint_training", template_id=template.id, token=f"tok-waiting-{code}",
                         period=period, sent_at=now - dt.timedelta(days=2),
                         expires_at=now + dt.timedelta(days=28)))
            s.flush()
            response = SurveyResponse(survey_id=answered.id, event_id=done.id, country_code=code,
                                      system_id=world.ids["k9"], kind="joint_training",
                                      template_id=template.id, period=period,
                                      overall=5 if good else 2, instructors=5 if good else 2,
                                      recommend=10 if good else 3, comment=f"Seen at {place}")
            s.add(response)
            s.flush()
            action = CorrectiveAction(country_code=code, event_id=done.id, response_id=response.id,
                                      title=f"Follow up the answers from {place}", reasons=["overall 2"],
                                      due_on=today - dt.timedelta(days=1), status="open")
            s.add(action)
            s.flush()
            s.add(ActionComment(action_id=action.id, country_code=code, status="open", internal=True,
                                body=f"internal only: {code} budget", author_name="K-Sustain staff"))
            s.add(Report(kind="country_monthly", country_code=code, scope_key=code,
                         period=periods.shift(period, -1), generated_by="scheduler", pages=6,
                         size=48000, sha256="0" * 64))
            s.add(Report(kind="country_monthly", country_code=code, scope_key=code,
                         period=periods.shift(period, -2), status="failed", generated_by="scheduler"))
    return ids


def build_world(engine: sa.Engine) -> World:
    w = World()
    w.engine = engine
    with session_scope(engine) as s:
        for code, tz in (("PL", "Europe/Warsaw"), ("NO", "Europe/Oslo")):
            registry.create_country(session=s, data={"code": code, "timezone": tz})
        k9 = registry.create_system(session=s, data={
            "code": "K9A1", "name": "K9A1 Thunder", "category": "land",
            "manufacturer": "Hanwha Aerospace"})
        k2 = registry.create_system(session=s, data={
            "code": "K2", "name": "K2 Black Panther", "category": "land",
            "manufacturer": "Hyundai Rotem"})
        w.ids.update(k9=k9.id, k2=k2.id)
        for code in ("PL", "NO"):
            contract = registry.create_contract(session=s, data={
                "number": f"{code}-C-1", "country_code": code, "signed_on": dt.date(2022, 8, 26),
                "value": Decimal("1000000.00"), "currency": "USD",
                "lines": [{"system_id": k9.id, "quantity": 5}, {"system_id": k2.id, "quantity": 2}],
            })
            w.ids[f"contract_{code}"] = contract.id
            for n in range(3):
                unit = registry.create_unit(session=s, data={
                    "serial": f"K9-{code}-{n:03d}", "system_id": k9.id, "contract_id": contract.id,
                    "delivered_on": dt.date(2024, 1, 1) + dt.timedelta(days=30 * n),
                    "warranty_ends_on": dt.date.today() + dt.timedelta(days=30 + 400 * n),
                })
                w.ids.setdefault(f"units_{code}", []).append(unit.id)
            w.ids[f"unit_{code}"] = w.ids[f"units_{code}"][0]
    for who, role, country in (("admin", Role.admin, None), ("staff", Role.staff, None),
                               ("pl", Role.liaison, "PL"), ("no", Role.liaison, "NO"),
                               ("ca_pl", Role.country_admin, "PL"), ("ca_no", Role.country_admin, "NO")):
        uid, token = add_user(engine, f"{who}@example.org", role, country)
        w.ids[f"user_{who}"] = uid
        w.tokens[who] = token
    # One stored report per scope (no rendering): Norway's and the HQ report, for access tests.
    w.ids["report_NO"] = add_report_row(engine, country="NO", period="2020-01")
    w.ids["report_HQ"] = add_report_row(engine, country=None, period="2020-01")
    return w


def add_completed_event(engine: sa.Engine, world: World, *, country: str = "PL",
                        lead_staff: int | None = None, title: str | None = None,
                        location: str = "Training area", ends_at: dt.datetime | None = None,
                        system: str = "k9") -> int:
    """A completed service event, inserted directly (the events lifecycle lives elsewhere)."""
    from models import EventStaff, ServiceEvent

    ends_at = ends_at or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    with session_scope(engine) as s:
        event = ServiceEvent(
            kind="joint_training", title=title or f"K9A1 live-fire training {country}",
            country_code=country, system_id=world.ids[system],
            starts_at=ends_at - dt.timedelta(days=3), ends_at=ends_at, timezone="UTC",
            location=location, participants_planned=20, participants_actual=18,
            outcome="All crews qualified", status="completed", completed_at=ends_at,
        )
        s.add(event)
        s.flush()
        if lead_staff is not None:
            s.add(EventStaff(event_id=event.id or 0, staff_id=lead_staff, is_lead=True))
        return event.id or 0


def add_survey(app: Any, world: World, *, country: str = "PL", lead_staff: int | None = None,
               now: dt.datetime | None = None, **event: Any) -> tuple[int, str]:
    """A completed event and its survey (invitation written); returns (survey id, token)."""
    from models import ServiceEvent
    from service.core.db import get_engine
    from service.domain import surveys

    engine = get_engine(app)
    event_id = add_completed_event(engine, world, country=country, lead_staff=lead_staff, **event)
    with app.app_context(), session_scope(engine) as s:
        survey = surveys.ensure_survey(session=s, event=s.get(ServiceEvent, event_id), now=now)
        return survey.id or 0, survey.token


GOOD_ANSWERS = {"overall": 5, "instructors": 5, "timeliness": 4, "documentation": 4,
                "equipment": 5, "recommend": 10, "comment": "Excellent crews and instructors."}
POOR_ANSWERS = {"overall": 2, "instructors": 4, "timeliness": 1, "documentation": 3,
                "equipment": 3, "recommend": 5, "comment": "Started two days late."}


def add_norway_survey(app: Any, world: World) -> None:
    """Norway's answered survey with its corrective action (for the access matrix)."""
    from models import ActionComment, CorrectiveAction, Survey
    from service.core.db import get_engine
    from service.domain import surveys

    staff = add_staff(get_engine(app), "Choi Woo-sik")
    survey_id, token = add_survey(app, world, country="NO", lead_staff=staff,
                                  title="Vidar crew course", location="Rena leir")
    with app.app_context(), session_scope(get_engine(app)) as s:
        surveys.answer(session=s, survey=s.get(Survey, survey_id), data=POOR_ANSWERS)
        action = s.exec(select(CorrectiveAction).where(CorrectiveAction.event_id == s.get(
            Survey, survey_id).event_id)).one()
        s.add(ActionComment(action_id=action.id, country_code="NO", status=action.status, internal=True,
                            body="Norway internal note", author_name="K-Sustain staff"))
    world.ids.update(survey_NO=survey_id, survey_token_NO=token, action_NO=action.id)
# --- services, surveys and reports, inserted as rows (the report tests read them back) ---------


def add_event_row(engine: sa.Engine, *, country: str, system_id: int, starts_at: dt.datetime,
                  kind: str = "joint_training", status: str = "completed",
                  participants: int | None = None, title: str | None = None,
                  hours: int = 8) -> int:
    from models import ServiceEvent

    with session_scope(engine) as s:
        event = ServiceEvent(
            kind=kind, title=title or f"{kind.replace('_', ' ').title()} {country}",
            country_code=country, system_id=system_id, starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=hours), timezone="UTC", location="Base",
            participants_planned=participants, status=status,
            participants_actual=participants if status == "completed" else None,
            outcome="Done" if status == "completed" else None,
            cancel_reason="Weather" if status == "cancelled" else None,
            # planned a quarter ahead (or now, if that is sooner), completed when it ended
            created_at=min(starts_at - dt.timedelta(days=90), utcnow()),
            updated_at=min(starts_at - dt.timedelta(days=90), utcnow()),
            completed_at=(min(starts_at + dt.timedelta(hours=hours), utcnow()) if status == "completed"
                          else None),
        )
        s.add(event)
        s.flush()
        return event.id or 0


def _template_id(s: Any) -> int:
    from sqlmodel import select

    from models import SurveyTemplate

    template = s.exec(select(SurveyTemplate)).first()
    if template is None:
        template = SurveyTemplate(name="standard", questions=[])
        s.add(template)
        s.flush()
    return template.id or 0


def add_response_row(engine: sa.Engine, *, event_id: int, period: str, overall: int | None = None,
                     recommend: int = 8, comment: str | None = None,
                     dims: tuple[int | None, ...] = (4, 4, 4, 4)) -> int:
    """A survey sent in `period` for the event, answered when `overall` is given."""
    from models import ServiceEvent, Survey, SurveyResponse
    from service.domain import periods

    with session_scope(engine) as s:
        event = s.get(ServiceEvent, event_id)
        sent = periods.bounds(period)[0] + dt.timedelta(days=3)
        survey = Survey(event_id=event_id, country_code=event.country_code, system_id=event.system_id,
                        kind=event.kind, template_id=_template_id(s), token=f"tok-{event_id}",
                        period=period, sent_at=sent, expires_at=sent + dt.timedelta(days=30),
                        status="answered" if overall else "sent")
        s.add(survey)
        s.flush()
        if overall is None:
            return survey.id or 0
        response = SurveyResponse(
            survey_id=survey.id, event_id=event_id, country_code=event.country_code,
            system_id=event.system_id, kind=event.kind, template_id=survey.template_id,
            period=period, overall=overall, recommend=recommend, comment=comment,
            instructors=dims[0], timeliness=dims[1], documentation=dims[2], equipment=dims[3],
            answered_at=sent + dt.timedelta(days=1))
        s.add(response)
        s.flush()
        return response.id or 0


def add_action_row(engine: sa.Engine, *, response_id: int, due_on: dt.date, status: str = "open",
                   opened_at: dt.datetime | None = None, closed_at: dt.datetime | None = None,
                   title: str = "Follow up a poor answer") -> int:
    from models import CorrectiveAction, SurveyResponse

    with session_scope(engine) as s:
        response = s.get(SurveyResponse, response_id)
        action = CorrectiveAction(
            country_code=response.country_code, event_id=response.event_id, response_id=response_id,
            title=title, reasons=["overall <= 2"], due_on=due_on, status=status,
            opened_at=opened_at or response.answered_at, closed_at=closed_at,
            resolution="Resolved" if status == "closed" else None)
        s.add(action)
        s.flush()
        return action.id or 0


def add_report_row(engine: sa.Engine, *, country: str | None, period: str,
                   pdf: bytes = b"%PDF-1.7 test", generated_by: str = "scheduler") -> int:
    """A stored report without rendering (for access tests); country None is the HQ report."""
    import hashlib

    from models import Report, ReportFile

    with session_scope(engine) as s:
        report = Report(kind="country_monthly" if country else "hq_monthly", country_code=country,
                        scope_key=country or "HQ", period=period, sha256=hashlib.sha256(pdf).hexdigest(),
                        pages=1, size=len(pdf), attempts=1, generated_by=generated_by)
        s.add(report)
        s.flush()
        s.add(ReportFile(report_id=report.id, country_code=country, pdf=pdf))
        return report.id or 0


def add_report_month(engine: sa.Engine, w: World, period: str) -> dict[str, Any]:
    """A month of Polish services, answers and actions (and a little of Norway) for `period`.

    PL in `period`: 3 completed (12 + 8 + 5 trainees), 1 cancelled, 1 planned; 4 surveys sent,
    3 answered (overall 5, 4, 2; recommend 10, 9, 3); one comment holding markup; one action
    opened and overdue. The previous month: 2 answered (overall 5, 3). Next month: 2 planned.
    """
    from service.domain import periods

    start = periods.bounds(period)[0]
    prev = periods.shift(period, -1)
    k9, k2 = w.ids["k9"], w.ids["k2"]
    ev = [add_event_row(engine, country="PL", system_id=k9, starts_at=start + dt.timedelta(days=2),
                        participants=12, title="K9A1 gunnery joint training"),
          add_event_row(engine, country="PL", system_id=k2, kind="tech_education",
                        starts_at=start + dt.timedelta(days=9), participants=8,
                        title="K2 powerpack maintenance course"),
          add_event_row(engine, country="PL", system_id=k9, kind="trial_run",
                        starts_at=start + dt.timedelta(days=15), participants=5,
                        title="K9A1 cold-weather trial run"),
          add_event_row(engine, country="PL", system_id=k9, starts_at=start + dt.timedelta(days=20),
                        status="cancelled", participants=10, title="K9A1 night firing drill")]
    add_event_row(engine, country="PL", system_id=k2, starts_at=start + dt.timedelta(days=25),
                  status="planned", participants=6, title="K2 crew refresher")
    for days in (5, 40):
        add_event_row(engine, country="PL", system_id=k9, kind="tech_education", status="planned",
                      starts_at=periods.bounds(period)[1] + dt.timedelta(days=days), participants=9,
                      title=f"K9A1 fire-control course (+{days} d)")
    add_event_row(engine, country="NO", system_id=k9, starts_at=start + dt.timedelta(days=3),
                  participants=30, title="NO secret exercise")
    add_response_row(engine, event_id=ev[0], period=period, overall=5, recommend=10,
                     comment='Excellent instructors. <img src="file:///etc/hostname"> & more',
                     dims=(5, 4, 4, 5))
    add_response_row(engine, event_id=ev[1], period=period, overall=4, recommend=9, dims=(4, 4, 3, 4))
    poor = add_response_row(engine, event_id=ev[2], period=period, overall=2, recommend=3,
                            comment="Spare parts arrived late.", dims=(3, 2, 2, 3))
    add_response_row(engine, event_id=ev[3], period=period)  # sent, unanswered
    action = add_action_row(engine, response_id=poor, due_on=(start + dt.timedelta(days=20)).date(),
                            opened_at=start + dt.timedelta(days=17), title="Spare parts logistics review")
    prev_start = periods.bounds(prev)[0]
    for n, overall in enumerate((5, 3)):
        e = add_event_row(engine, country="PL", system_id=k9, starts_at=prev_start + dt.timedelta(days=4 + n),
                          participants=4, title=f"Earlier training {n}")
        add_response_row(engine, event_id=e, period=prev, overall=overall, recommend=8)
    return {"events": ev, "action": action}
# --- follow-up services ----------------------------------------------------------------------

WHEN = dt.datetime(2030, 3, 4, 8, 0, tzinfo=dt.UTC)  # a Monday, comfortably in the future


AUTO = "auto"


def add_staff(engine: sa.Engine, name: str = "Park Ji-hoon", *, email: str | None = AUTO,
              skills: list[str] | None = None, active: bool = True) -> int:
    """A staff member; the e-mail defaults to <surname>@k-sustain.example (None: no e-mail)."""
    from service.domain import services

    if email == AUTO:
        email = f"{name.split()[0].lower()}@k-sustain.example"
    with session_scope(engine) as s:
        staff = services.create_staff(session=s, data={
            "name": name, "email": email, "skills": skills or ["instructor:K9A1"], "active": active})
        return staff.id or 0


def add_event(engine: sa.Engine, world: World, *, country: str = "PL", kind: str = "joint_training",
              starts_at: dt.datetime = WHEN, hours: float = 8, staff: list[int] | None = None,
              lead: int | None = None, units: list[int] | None = None, status: str = "planned",
              title: str | None = None, **extra: Any) -> int:
    """A K9A1 service event scheduled through the domain, then moved along to `status`."""
    from models import ServiceEvent
    from service.domain import services

    path = {"planned": [], "confirmed": ["confirmed"], "in_progress": ["confirmed", "in_progress"],
            "completed": ["confirmed", "in_progress", "completed"], "postponed": ["postponed"],
            "cancelled": ["cancelled"]}[status]
    with world.app.app_context(), session_scope(engine, actor=(None, "test")) as s:
        event, _ = services.schedule_event(session=s, data={
            "kind": kind, "title": title or f"K9A1 {kind.replace('_', ' ')} {country}",
            "country_code": country, "system_id": world.ids["k9"], "starts_at": starts_at,
            "ends_at": starts_at + dt.timedelta(hours=hours),
            "staff": [{"id": i, "is_lead": i == lead} for i in staff or []],
            "unit_ids": units or [], **extra,
        })
        row = s.get(ServiceEvent, event.id)
        assert row is not None
        for step in path:
            services.transition(session=s, event=row, status=step, reason="test",
                                participants_actual=12, outcome="Crews certified", early=True)
        return row.id or 0


def add_request(engine: sa.Engine, world: World, *, who: str = "pl", kind: str = "tech_education",
                description: str = "Fire-control refresher") -> int:
    from models import User
    from service.core.auth import principal_for_user
    from service.domain import requests

    with session_scope(engine) as s:
        user = s.get(User, world.ids[f"user_{who}"])
        request = requests.file_request(session=s, actor=principal_for_user(user), data={
            "kind": kind, "system_id": world.ids["k9"], "wished_from": dt.date(2030, 5, 1),
            "wished_to": dt.date(2030, 5, 31), "description": description})
        return request.id or 0


def feed_token_for(engine: sa.Engine, user_id: int, secret: str = "test-secret") -> str:  # noqa: S107
    from service.domain import calendar

    with session_scope(engine) as s:
        return calendar.feed_token(secret, user_id, calendar.ensure_salt(session=s, user_id=user_id))


def norway_services(world: World) -> dict[str, Any]:
    """Norway's event, request and feed token, plus a staff member (once per world)."""
    if "event_NO" not in world.ids:
        engine = world.engine
        world.ids["staff_1"] = add_staff(engine, "Lim Ha-eun", email="lim@example.kr")
        world.ids["event_NO"] = add_event(engine, world, country="NO", title="Oslo range gunnery",
                                          staff=[world.ids["staff_1"]], units=[world.ids["unit_NO"]],
                                          location="Rena leir, Norway")
        world.ids["request_NO"] = add_request(engine, world, who="no", description="Oslo winter course")
        world.ids["feed_NO"] = feed_token_for(engine, world.ids["user_no"])
    return {"event_id": world.ids["event_NO"], "request_id": world.ids["request_NO"],
            "staff_id": world.ids["staff_1"], "feed_token": world.ids["feed_NO"]}


def norway_planning(world: World) -> dict[str, Any]:
    """An absence of the Norway services' staff member (once per world), for the access matrix:
    staff planning data, which no liaison may read or write."""
    from service.domain.planning import unavailability

    norway_services(world)
    if "unavailability_NO" not in world.ids:
        with session_scope(world.engine) as s:
            staff = s.get(StaffMember, world.ids["staff_1"])
            window = unavailability.add_window(session=s, staff=staff, data={
                "starts_at": WHEN + dt.timedelta(days=30), "ends_at": WHEN + dt.timedelta(days=32),
                "reason": "Oslo range travel"})
            world.ids["unavailability_NO"] = window.id
    return {"unavailability_id": world.ids["unavailability_NO"]}


def add_deficiency(engine: sa.Engine, world: World, *, who: str = "pl", country: str | None = None,
                   category: str = "quality", severity: str | None = "major",
                   title: str = "Recoil buffer cracked", now: dt.datetime | None = None) -> int:
    """A submitted deficiency report about the first unit of the filer's (or `country`'s) fleet."""
    from models import User
    from service.core.auth import principal_for_user
    from service.domain.deficiencies import filing

    code = country or {"pl": "PL", "no": "NO"}.get(who, "PL")
    with session_scope(engine) as s:
        user = s.get(User, world.ids[f"user_{who}"])
        data = {"system_id": world.ids["k9"], "unit_ids": [world.ids[f"unit_{code}"]],
                "category": category, "title": title, "description": "Found at inspection",
                **({"severity": severity} if severity else {}),
                **({"country_code": code} if who in ("staff", "admin") else {})}
        report = filing.file_report(session=s, data=data, actor=principal_for_user(user), now=now)
        return report.id or 0


def norway_deficiency(world: World) -> dict[str, Any]:
    """Norway's deficiency report with a message, an internal note and an attachment (once per
    world), for the access matrix."""
    from models import DeficiencyReport, User
    from service.core.auth import principal_for_user
    from service.domain.deficiencies import attachments, conversation

    if "deficiency_NO" not in world.ids:
        rid = add_deficiency(world.engine, world, who="no", title="Oslo range recoil fault")
        with session_scope(world.engine) as s:
            report = s.get(DeficiencyReport, rid)
            staff = principal_for_user(s.get(User, world.ids["user_staff"]))
            conversation.post(session=s, report=report, actor=staff, body="Oslo range: send photos")
            conversation.post(session=s, report=report, actor=staff, internal=True,
                              body="Norway internal note: supplier at fault")
            attachment = attachments.attach(session=s, report=report, actor=staff,
                                            filename="Oslo-range.pdf", data=b"%PDF-1.7 Norway\n")
        world.ids.update(deficiency_NO=rid, deficiency_attachment_NO=attachment.id)
    return {"deficiency_id": world.ids["deficiency_NO"],
            "attachment_id": world.ids["deficiency_attachment_NO"]}


# --- trainees, certificates, support packages (SPEC §11) -------------------------------------


def add_trainee(engine: sa.Engine, world: World, *, country: str = "PL", name: str = "Jan Kowalski",
                rank: str = "Sgt", organisation: str = "11th Artillery Regiment") -> int:
    from models import Trainee

    with session_scope(engine) as s:
        trainee = Trainee(country_code=country, name=name, rank=rank, organisation=organisation)
        s.add(trainee)
        s.flush()
        return trainee.id or 0


def add_nomination(engine: sa.Engine, world: World, *, event_id: int, trainee_id: int,
                   result: str | None = None) -> int:
    from models import Nomination, ServiceEvent

    with session_scope(engine) as s:
        event = s.get(ServiceEvent, event_id)
        assert event is not None
        nomination = Nomination(event_id=event_id, trainee_id=trainee_id, country_code=event.country_code,
                                result=result)
        s.add(nomination)
        s.flush()
        return nomination.id or 0


def add_certificate(engine: sa.Engine, world: World, *, country: str = "PL", valid_until: dt.date,
                    name: str | None = None, system: str = "k9", kind: str = "joint_training",
                    number: str | None = None, code: str = "ABCD2345",
                    trainee_id: int | None = None) -> dict[str, Any]:
    """A certificate for a new trainee (or `trainee_id`) on a completed course of `country`
    (rows written directly)."""
    from models import Certificate

    trainee_id = trainee_id or add_trainee(engine, world, country=country, name=name or f"Trainee {country}")
    event_id = add_completed_event(engine, world, country=country, system=system)
    nomination_id = add_nomination(engine, world, event_id=event_id, trainee_id=trainee_id, result="passed")
    with session_scope(engine) as s:
        cert = Certificate(number=number or f"KS-T-{nomination_id:06d}", check_code=code,
                           trainee_id=trainee_id, nomination_id=nomination_id, event_id=event_id,
                           country_code=country, system_id=world.ids[system], kind=kind,
                           course=f"K9A1 joint training {country}",
                           issued_on=valid_until.replace(year=valid_until.year - 2),
                           valid_until=valid_until)
        s.add(cert)
        s.flush()
        return {"id": cert.id, "number": cert.number, "code": code, "trainee_id": trainee_id,
                "event_id": event_id, "nomination_id": nomination_id}


def add_package_line(engine: sa.Engine, world: World, *, country: str = "PL", kind: str = "spares",
                     quantity: int = 4, due_on: dt.date | None = None, description: str = "Spare kit") -> int:
    from models import PackageLine

    with session_scope(engine) as s:
        line = PackageLine(contract_id=world.ids[f"contract_{country}"], country_code=country, kind=kind,
                           quantity=quantity, due_on=due_on or dt.date.today() + dt.timedelta(days=90),
                           description=description, system_id=world.ids["k9"])
        s.add(line)
        s.flush()
        return line.id or 0


def add_delivery(engine: sa.Engine, world: World, *, line_id: int, quantity: int = 1,
                 status: str = "pending") -> int:
    from models import Delivery, PackageLine

    with session_scope(engine) as s:
        line = s.get(PackageLine, line_id)
        assert line is not None
        delivery = Delivery(line_id=line_id, country_code=line.country_code, quantity=quantity,
                            delivered_on=dt.date.today(), status=status)
        s.add(delivery)
        s.flush()
        return delivery.id or 0


def norway_training(world: World) -> dict[str, Any]:
    """Norway's trainee, nomination, certificate, package line and delivery (once per world)."""
    if "trainee_NO" not in world.ids:
        engine = world.engine
        cert = add_certificate(engine, world, country="NO", name="Oslo Vidar Hansen",
                               valid_until=dt.date.today() + dt.timedelta(days=60), number="KS-NO-000001")
        world.ids.update(trainee_NO=cert["trainee_id"], certificate_NO=cert["id"],
                         nomination_NO=cert["nomination_id"], cert_event_NO=cert["event_id"])
        line = add_package_line(engine, world, country="NO", description="Oslo spare kit")
        world.ids.update(line_NO=line, delivery_NO=add_delivery(engine, world, line_id=line))
    return {"trainee_id": world.ids["trainee_NO"], "certificate_id": world.ids["certificate_NO"],
            "nomination_id": world.ids["nomination_NO"], "line_id": world.ids["line_NO"],
            "delivery_id": world.ids["delivery_NO"], "number": "KS-NO-000001"}
def add_bulletin(engine: sa.Engine, world: World, *, countries: list[str] | None, kind: str = "safety",
                 title: str = "Breech block pin", system: str = "k9", due_days: int = 30,
                 ranges: list[dict[str, str]] | None = None) -> int:
    """A bulletin published by staff and released to `countries` (None: released to no one)."""
    from models import User
    from service.core.auth import principal_for_user
    from service.domain.bulletins import publishing, releases

    with session_scope(engine) as s:
        staff = principal_for_user(s.get(User, world.ids["user_staff"]))
        bulletin = publishing.create_bulletin(session=s, actor=staff, data={
            "system_id": world.ids[system], "kind": kind, "title": title,
            "body": f"{title}: inspect and replace.", "compliance_due_days": due_days,
            "serial_ranges": ranges or []})
        if countries is not None:
            releases.release(session=s, bulletin=bulletin, countries=countries, actor=staff)
        return bulletin.id or 0


def norway_bulletin(world: World) -> dict[str, Any]:
    """Bulletins for the access matrix (once per world): one released to Norway only, with an
    attachment, Norway's acknowledgement and a unit's compliance; one released to Poland and
    Norway; one released to both and withdrawn from Poland."""
    from models import ServiceBulletin, User
    from service.core.auth import principal_for_user
    from service.domain.bulletins import attachments, compliance, releases

    if "bulletin_NO" not in world.ids:
        engine = world.engine
        bid = add_bulletin(engine, world, countries=["NO"], title="Oslo range breech pin")
        shared = add_bulletin(engine, world, countries=["PL", "NO"], title="Common recoil check")
        gone = add_bulletin(engine, world, countries=["PL", "NO"], title="Sight mount torque")
        with session_scope(engine) as s:
            staff = principal_for_user(s.get(User, world.ids["user_staff"]))
            no = principal_for_user(s.get(User, world.ids["user_no"]))
            bulletin = s.get(ServiceBulletin, bid)
            attachment = attachments.attach(session=s, bulletin=bulletin, actor=staff,
                                            filename="Oslo-range-pin.pdf", data=b"%PDF-1.7 Norway pin\n")
            releases.withdraw(session=s, bulletin=s.get(ServiceBulletin, gone), country_code="PL",
                              actor=staff)
        for b in (bid, gone):
            with session_scope(engine) as s:
                from service.core.db import SCOPE_KEY

                s.info[SCOPE_KEY] = "NO"
                bulletin = s.get(ServiceBulletin, b)
                compliance.acknowledge(session=s, bulletin=bulletin, actor=no)
                compliance.record(session=s, bulletin=bulletin, unit_id=world.ids["unit_NO"], actor=no,
                                  data={"status": "not_applicable", "reason": "Oslo winter storage"})
        world.ids.update(bulletin_NO=bid, bulletin_shared=shared, bulletin_withdrawn_PL=gone,
                         bulletin_file_NO=attachment.id)
    return {"bulletin_id": world.ids["bulletin_NO"], "file_id": world.ids["bulletin_file_NO"]}
