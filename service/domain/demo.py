"""Demo data: real buyer countries and Korean systems, believable contracts and fleets.

Rows go in through Core bulk inserts (fast enough for the `bench` size); a single audit
entry records the load itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from models import (
    AuditEntry,
    Contract,
    ContractLine,
    Country,
    Role,
    Unit,
    User,
    WeaponSystem,
    utcnow,
)
from service.db import writer
from service.domain.identity import hash_password

DEMO_PASSWORD = "k-sustain-demo"  # noqa: S105 - printed for the demo; documented in README

COUNTRIES = [
    ("PL", "Poland", "Europe/Warsaw"),
    ("NO", "Norway", "Europe/Oslo"),
    ("AU", "Australia", "Australia/Sydney"),
    ("EG", "Egypt", "Africa/Cairo"),
    ("IN", "India", "Asia/Kolkata"),
    ("RO", "Romania", "Europe/Bucharest"),
    ("PH", "Philippines", "Asia/Manila"),
    ("AE", "United Arab Emirates", "Asia/Dubai"),
]

SYSTEMS = [
    ("K9A1", "K9A1 Thunder self-propelled howitzer", "land", "Hanwha Aerospace"),
    ("K10", "K10 ammunition resupply vehicle", "land", "Hanwha Aerospace"),
    ("K2", "K2 Black Panther main battle tank", "land", "Hyundai Rotem"),
    ("K239", "K239 Chunmoo multiple rocket launcher", "land", "Hanwha Aerospace"),
    ("K21", "K21 infantry fighting vehicle", "land", "Hanwha Aerospace"),
    ("AS21", "AS21 Redback infantry fighting vehicle", "land", "Hanwha Aerospace"),
    ("FA-50", "FA-50 Fighting Eagle light combat aircraft", "air", "Korea Aerospace Industries"),
    ("KT-1", "KT-1 Woongbi basic trainer", "air", "Korea Aerospace Industries"),
    ("KM-SAM", "KM-SAM Cheongung II medium-range surface-to-air missile", "missile", "LIG Nex1"),
    ("HDF-3500", "HDF-3500 frigate", "sea", "HD Hyundai Heavy Industries"),
    ("TMMR", "Tactical multiband multirole radio", "C4I", "LIG Nex1"),
]

# (country, contract number, signed, value, currency, [(system, quantity)])
CONTRACTS = [
    ("PL", "PL-2022-K9A1-EX1", "2022-08-26", "2400000000", "USD", [("K9A1", 212)]),
    ("PL", "PL-2022-K2-EX1", "2022-08-26", "3370000000", "USD", [("K2", 180)]),
    ("PL", "PL-2022-FA50", "2022-09-16", "3000000000", "USD", [("FA-50", 48)]),
    ("PL", "PL-2022-K239", "2022-11-24", "3550000000", "USD", [("K239", 218)]),
    ("NO", "NO-2017-K9-VIDAR", "2017-12-20", "2100000000", "NOK", [("K9A1", 24), ("K10", 6)]),
    ("AU", "AU-2021-AS9", "2021-12-13", "1000000000", "AUD", [("K9A1", 30), ("K10", 15)]),
    ("AU", "AU-2023-REDBACK", "2023-07-27", "7000000000", "AUD", [("AS21", 129)]),
    ("EG", "EG-2022-K9A1EGY", "2022-02-01", "1700000000", "USD", [("K9A1", 200), ("K10", 51)]),
    ("IN", "IN-2017-K9-VAJRA", "2017-04-21", "46500000000", "INR", [("K9A1", 100)]),
    ("IN", "IN-2024-K9-VAJRA-2", "2024-12-20", "73000000000", "INR", [("K9A1", 100)]),
    ("RO", "RO-2023-K9", "2023-09-11", "920000000", "USD", [("K9A1", 54), ("K10", 36)]),
    ("PH", "PH-2014-FA50PH", "2014-03-28", "420000000", "USD", [("FA-50", 12)]),
    ("PH", "PH-2025-FA50PH-B2", "2025-06-02", "700000000", "USD", [("FA-50", 12)]),
    ("AE", "AE-2022-CHEONGUNG", "2022-01-16", "3500000000", "USD", [("KM-SAM", 10)]),
]


@dataclass(frozen=True)
class Size:
    name: str
    extra_countries: int  # beyond the real ones, for the bench set
    systems: int
    contracts: int
    units: int
    events: int = 150  # follow-up service events (with ~12 staff members and their bookings)
    event_years: int = 1  # the events' history reaches this many years back


SIZES = {
    "small": Size("small", 0, len(SYSTEMS), len(CONTRACTS), 0),
    "bench": Size("bench", 42, 40, 600, 20000),
}
SIZES["bench"] = dataclasses.replace(SIZES["bench"], events=100_000, event_years=10)


def has_data(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.scalar(sa.select(sa.func.count()).select_from(Country.__table__)))  # type: ignore[attr-defined]


def logins_text() -> str:
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for email, _name, role, country in _users():
        lines.append(f"  {role:<8} {email}" + (f"  ({country})" if country else ""))
    return "\n".join(lines)


def _users() -> list[tuple[str, str, str, str | None]]:
    users: list[tuple[str, str, str, str | None]] = [
        ("admin@k-sustain.example", "Kim Min-jun", Role.admin.value, None),
        ("staff@k-sustain.example", "Lee Seo-yeon", Role.staff.value, None),
    ]
    for code, name, _tz in COUNTRIES:
        users.append((f"liaison.{code.lower()}@k-sustain.example", f"{name} liaison officer",
                      Role.liaison.value, code))
    return users


def seed(engine: Engine, *, size: str = "small", seed_value: int = 7,
         progress: Callable[[str], Any] = lambda _m: None, today: dt.date | None = None) -> str:
    """Load the data set of `size` into an empty database; returns a one-line summary."""
    spec = SIZES[size]
    rng = random.Random(seed_value)
    today = today or dt.date.today()
    with writer(engine).begin() as conn:
        countries = _seed_countries(conn, spec)
        systems = _seed_systems(conn, spec)
        progress(f"countries {len(countries)}, systems {len(systems)}")
        lines = _seed_contracts(conn, spec, rng, countries, systems)
        units = _seed_units(conn, spec, rng, lines, systems, today)
        progress(f"contracts {spec.contracts}, units {units}")
        _seed_users(conn)
        events = _seed_services(conn, spec, rng, today)
        progress(f"service events {events}")
        summary = (f"seeded {size}: {len(countries)} countries, {len(systems)} systems, "
                   f"{spec.contracts} contracts, {units} units")
        conn.execute(sa.insert(AuditEntry.__table__), [{  # type: ignore[attr-defined]
            "at": utcnow(), "actor": "seed-demo", "action": "seed", "entity": "database",
            "changes": {"summary": summary},
        }])
    return summary


def _seed_countries(conn: sa.Connection, spec: Size) -> list[str]:
    import pycountry

    rows = [{"code": c, "name": n, "timezone": tz, "active": True, "version": 1,
             "created_at": utcnow()} for c, n, tz in COUNTRIES]
    taken = {r["code"] for r in rows}
    for country in pycountry.countries:
        if len(rows) >= len(COUNTRIES) + spec.extra_countries:
            break
        if country.alpha_2 in taken or country.alpha_2 == "KR":
            continue
        rows.append({"code": country.alpha_2, "name": country.name, "timezone": "UTC",
                     "active": True, "version": 1, "created_at": utcnow()})
    conn.execute(sa.insert(Country.__table__), rows)  # type: ignore[attr-defined]
    return [str(r["code"]) for r in rows]


def _seed_systems(conn: sa.Connection, spec: Size) -> dict[str, int]:
    rows = [{"code": c, "name": n, "category": cat, "manufacturer": m, "version": 1}
            for c, n, cat, m in SYSTEMS]
    categories = ["land", "sea", "air", "missile", "C4I"]
    for i in range(len(rows), spec.systems):
        rows.append({"code": f"KX-{i:02d}", "name": f"Export variant {i:02d}",
                     "category": categories[i % 5], "manufacturer": "Hanwha Aerospace",
                     "version": 1})
    conn.execute(sa.insert(WeaponSystem.__table__), rows)  # type: ignore[attr-defined]
    ids = conn.execute(sa.select(WeaponSystem.code, WeaponSystem.id)).all()  # type: ignore[call-overload]
    return {code: sid for code, sid in ids}


def _seed_contracts(conn: sa.Connection, spec: Size, rng: random.Random, countries: list[str],
                    systems: dict[str, int]) -> list[tuple[int, str, int, int, dt.date]]:
    """Returns contract lines as (contract id, country, system id, quantity, signed)."""
    contracts = [(c, num, dt.date.fromisoformat(d), Decimal(v), cur,
                  [(systems[s], q) for s, q in lines]) for c, num, d, v, cur, lines in CONTRACTS]
    codes = list(systems.values())
    for i in range(len(contracts), spec.contracts):
        country = countries[i % len(countries)]
        signed = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(3650))
        chosen = rng.sample(codes, k=rng.randint(1, 3))
        contracts.append((country, f"{country}-{signed.year}-{i:04d}", signed,
                          Decimal(rng.randrange(50, 3000)) * 1_000_000, "USD",
                          [(s, rng.randint(8, 60)) for s in chosen]))
    conn.execute(sa.insert(Contract.__table__), [  # type: ignore[attr-defined]
        {"number": num, "country_code": c, "signed_on": d, "value": v, "currency": cur,
         "version": 1, "created_at": utcnow()} for c, num, d, v, cur, _ in contracts
    ])
    ids: dict[str, int] = dict(conn.execute(sa.select(Contract.number, Contract.id)).all())  # type: ignore[call-overload]
    line_rows, lines = [], []
    for c, num, signed, _v, _cur, items in contracts:
        for system_id, qty in items:
            line_rows.append({"contract_id": ids[num], "system_id": system_id, "quantity": qty})
            lines.append((ids[num], c, system_id, qty, signed))
    conn.execute(sa.insert(ContractLine.__table__), line_rows)  # type: ignore[attr-defined]
    return lines


def _seed_units(conn: sa.Connection, spec: Size, rng: random.Random,
                lines: list[tuple[int, str, int, int, dt.date]], systems: dict[str, int],
                today: dt.date) -> int:
    code_of = {sid: code for code, sid in systems.items()}
    rows: list[dict[str, Any]] = []
    serials: dict[int, int] = {}
    for contract_id, country, system_id, qty, signed in lines:
        # Deliveries start about a year after signature; a recent contract is part-delivered.
        start = signed + dt.timedelta(days=300)
        months = max(0, (today - start).days // 30)
        delivered = min(qty, months * max(1, qty // 24)) if spec.units == 0 else qty
        for i in range(delivered):
            serials[system_id] = serials.get(system_id, 0) + 1
            on = start + dt.timedelta(days=int(i * 30 / max(1, qty // 24)))
            on = min(on, today)
            roll = rng.random()
            status = ("operational" if roll < 0.86 else
                      "under_repair" if roll < 0.96 else "non_operational")
            rows.append({
                "serial": f"{code_of[system_id]}-{country}-{serials[system_id]:05d}",
                "system_id": system_id, "contract_id": contract_id, "country_code": country,
                "delivered_on": on, "warranty_ends_on": on + dt.timedelta(days=365 * 3),
                "status": status, "version": 1, "created_at": utcnow(),
            })
            if spec.units and len(rows) >= spec.units:
                break
        if spec.units and len(rows) >= spec.units:
            break
    for offset in range(0, len(rows), 5000):
        conn.execute(sa.insert(Unit.__table__), rows[offset:offset + 5000])  # type: ignore[attr-defined]
    return len(rows)


def _seed_users(conn: sa.Connection) -> None:
    password_hash = hash_password(DEMO_PASSWORD)
    conn.execute(sa.insert(User.__table__), [  # type: ignore[attr-defined]
        {"email": e, "name": n, "role": r, "country_code": c, "password_hash": password_hash,
         "active": True, "version": 1, "created_at": utcnow()} for e, n, r, c in _users()
    ])


def _seed_services(conn: sa.Connection, spec: Size, rng: random.Random, today: dt.date) -> int:
    from service.domain.demo_services import seed_services

    return seed_services(conn, events=spec.events, years=spec.event_years, rng=rng, today=today)
