"""Builders for test data, through the same domain functions the API uses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from models import Role
from service.db import session_scope
from service.domain import identity, registry

PASSWORD = "correct horse battery"  # noqa: S105


@dataclass
class World:
    ids: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}


def add_user(engine: sa.Engine, email: str, role: Role, country: str | None = None) -> tuple[int, str]:
    with session_scope(engine) as s:
        user = identity.create_user(session=s, email=email, name=email.split("@")[0], role=role,
                                    password=PASSWORD, country_code=country)
        token, _ = identity.issue_token(session=s, user=user)
        return user.id or 0, token


# --- services, surveys, actions and reports as the dashboards read them -----------------------
# Rows are written straight through the ORM: the scheduling and survey rules live in their own
# domain modules; these builders only give the read side (pages, status endpoint) something real.

OVERVIEW_PLACES = {"PL": "Torun training area", "NO": "Rena leir"}


def add_overview_data(engine: sa.Engine, world: World, now: dt.datetime | None = None) -> dict[str, Any]:
    """For PL and NO: upcoming, completed and cancelled events, requests, surveys and answers,
    corrective actions and reports. Poland's answers are good, Norway's poor."""
    from models import (
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
            s.add(CorrectiveAction(country_code=code, event_id=done.id, response_id=response.id,
                                   title=f"Follow up the answers from {place}", reasons=["overall 2"],
                                   due_on=today - dt.timedelta(days=1), status="open",
                                   internal_notes=f"internal only: {code} budget"))
            s.add(Report(kind="country_monthly", country_code=code, scope_key=code,
                         period=periods.shift(period, -1), generated_by="scheduler", pages=6,
                         size=48000, sha256="0" * 64))
            s.add(Report(kind="country_monthly", country_code=code, scope_key=code,
                         period=periods.shift(period, -2), status="failed", generated_by="scheduler"))
    return ids


def build_world(engine: sa.Engine) -> World:
    w = World()
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
                               ("pl", Role.liaison, "PL"), ("no", Role.liaison, "NO")):
        uid, token = add_user(engine, f"{who}@example.org", role, country)
        w.ids[f"user_{who}"] = uid
        w.tokens[who] = token
    return w
