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
    engine: Any = None

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
                               ("pl", Role.liaison, "PL"), ("no", Role.liaison, "NO")):
        uid, token = add_user(engine, f"{who}@example.org", role, country)
        w.ids[f"user_{who}"] = uid
        w.tokens[who] = token
    return w


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
            "name": name, "email": email, "skills": skills or ["instructor K9"], "active": active})
        return staff.id or 0


def add_event(engine: sa.Engine, world: World, *, country: str = "PL", kind: str = "joint_training",
              starts_at: dt.datetime = WHEN, hours: float = 8, staff: list[int] | None = None,
              lead: int | None = None, units: list[int] | None = None, status: str = "planned",
              title: str | None = None, **extra: Any) -> int:
    """A K9A1 service event scheduled through the domain, then moved along to `status`."""
    from service.domain import services

    path = {"planned": [], "confirmed": ["confirmed"], "in_progress": ["confirmed", "in_progress"],
            "completed": ["confirmed", "in_progress", "completed"], "postponed": ["postponed"],
            "cancelled": ["cancelled"]}[status]
    with session_scope(engine, actor=(None, "test")) as s:
        event, _ = services.schedule_event(session=s, data={
            "kind": kind, "title": title or f"K9A1 {kind.replace('_', ' ')} {country}",
            "country_code": country, "system_id": world.ids["k9"], "starts_at": starts_at,
            "ends_at": starts_at + dt.timedelta(hours=hours),
            "staff": [{"id": i, "is_lead": i == lead} for i in staff or []],
            "unit_ids": units or [], **extra,
        })
        row = event.event
        for step in path:
            services.transition(session=s, event=row, status=step, reason="test",
                                participants_actual=12, outcome="Crews certified")
        return row.id or 0


def add_request(engine: sa.Engine, world: World, *, who: str = "pl", kind: str = "tech_education",
                description: str = "Fire-control refresher") -> int:
    from models import User
    from service.auth import principal_for_user
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
