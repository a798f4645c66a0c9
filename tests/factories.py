"""Builders for test data, through the same domain functions the API uses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

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


def add_staff(engine: sa.Engine, name: str = "Park Ji-hoon") -> int:
    """A Korean staff member (instructor) who can lead events and own actions."""
    from models import StaffMember

    with session_scope(engine) as s:
        staff = StaffMember(name=name, email=f"{name.split()[0].lower()}@k-sustain.example",
                            skills=["instructor"])
        s.add(staff)
        s.flush()
        return staff.id or 0


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
    from service.db import get_engine
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
    from models import CorrectiveAction, Survey
    from service.db import get_engine
    from service.domain import surveys

    staff = add_staff(get_engine(app), "Choi Woo-sik")
    survey_id, token = add_survey(app, world, country="NO", lead_staff=staff,
                                  title="Vidar crew course", location="Rena leir")
    with app.app_context(), session_scope(get_engine(app)) as s:
        surveys.answer(session=s, survey=s.get(Survey, survey_id), data=POOR_ANSWERS)
        action = s.exec(select(CorrectiveAction).where(CorrectiveAction.event_id == s.get(
            Survey, survey_id).event_id)).one()
        action.internal_notes = "Norway internal note"
    world.ids.update(survey_NO=survey_id, survey_token_NO=token, action_NO=action.id)
