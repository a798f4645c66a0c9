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
