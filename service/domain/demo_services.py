"""Demo follow-up services: Korean staff, a history of events per country, pending requests.

Core bulk inserts, like the rest of the demo data. Staff and units are booked without
overlaps (events are laid out in start order, each person or unit taken only when free).
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col

from models import (
    Contract,
    ContractLine,
    Country,
    EventStaff,
    EventUnit,
    Role,
    ServiceEvent,
    ServiceRequest,
    StaffMember,
    Unit,
    User,
    WeaponSystem,
    utcnow,
)

STAFF = [  # instructors for every system, interpreters for every buyer language, technicians
    ("Park Ji-hoon", ["instructor:K9A1", "instructor:K10", "interpreter:en"]),
    ("Choi Eun-ji", ["interpreter:pl", "interpreter:en"]),
    ("Jung Woo-sung", ["technician:FA-50", "instructor:FA-50", "instructor:KT-1"]),
    ("Kang Min-seo", ["instructor:K2", "instructor:K21", "instructor:AS21"]),
    ("Yoon Seo-jun", ["technician:KM-SAM", "instructor:KM-SAM", "technician:TMMR"]),
    ("Lim Ha-eun", ["interpreter:no", "interpreter:en"]),
    ("Han Do-yoon", ["instructor:K239", "instructor:K9A1"]),
    ("Oh Ji-woo", ["technician:K9A1", "technician:K10", "technician:K2"]),
    ("Seo Yeon-woo", ["interpreter:ar", "interpreter:en"]),
    ("Shin Ye-jin", ["instructor:FA-50", "instructor:HDF-3500"]),
    ("Kwon Hyun-woo", ["technician:TMMR", "instructor:TMMR", "technician:HDF-3500"]),
    ("Hwang Soo-ah", ["interpreter:ro", "interpreter:en"]),
]
SURNAMES = ["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Oh"]
GIVEN = ["Min-jun", "Seo-yeon", "Ji-ho", "Ha-eun", "Do-hyun", "Soo-bin", "Ye-jun", "Ji-woo", "Eun-seo"]

TITLES = {
    "joint_training": ["{s} gunnery joint training", "{s} crew drills with the host battalion",
                       "{s} combined live-fire exercise"],
    "tech_education": ["{s} maintenance course", "{s} fire-control refresher",
                       "{s} depot-level repair course"],
    "trial_run": ["{s} acceptance trial run", "{s} cold-weather trial run", "{s} firing trial"],
}
PLACES = {"PL": "Orzysz training ground", "NO": "Rena leir", "AU": "Puckapunyal", "EG": "Cairo West",
          "IN": "Devlali School of Artillery", "RO": "Capu Midia range", "PH": "Clark Air Base",
          "AE": "Al Dhafra"}
OUTCOMES = {
    "joint_training": ["All {n} crews certified on the drills; two follow-up items on spare parts logged.",
                       "{n} soldiers trained; the host asked for a night-firing module next year."],
    "tech_education": ["{n} technicians qualified; documentation gaps noted in the local translation.",
                       "{n} trainees completed the course; an advanced module was requested."],
    "trial_run": ["Trial objectives met with {n} participants; one software fault reported to the maker.",
                  "Trial passed with {n} host personnel; acceptance report signed."],
}
CANCEL_REASONS = ["Host range unavailable: national exercise moved into the same weeks",
                  "Ammunition delivery delayed by customs clearance",
                  "Host unit redeployed at short notice", "Severe weather warning for the training area"]
KINDS = ["joint_training", "tech_education", "trial_run"]


def seed_services(conn: sa.Connection, *, events: int, years: int, rng: random.Random,
                  today: dt.date) -> int:
    """Staff, `events` service events over `years` (mostly past), and a few pending requests."""
    now = dt.datetime.combine(today, utcnow().time(), dt.UTC)  # "now" on the day being seeded
    staff_ids = _seed_staff(conn, max(len(STAFF), events // 250), rng)
    countries: dict[str, str] = dict(conn.execute(sa.select(col(Country.code), col(Country.timezone))).all())
    offers: dict[str, list[tuple[int, str]]] = {}
    for code, system_id, system_code in conn.execute(
        sa.select(col(Contract.country_code), col(ContractLine.system_id), col(WeaponSystem.code)).distinct()
        .join(ContractLine, col(ContractLine.contract_id) == Contract.id)
        .join(WeaponSystem, col(WeaponSystem.id) == ContractLine.system_id)
        .order_by(col(Contract.country_code), col(ContractLine.system_id))
    ):
        offers.setdefault(code, []).append((system_id, system_code))
    units: dict[tuple[str, int], list[int]] = {}
    for uid, code, system_id in conn.execute(
            sa.select(col(Unit.id), col(Unit.country_code), col(Unit.system_id))):
        units.setdefault((code, system_id), []).append(cast(int, uid))  # a stored row has its id
    # The whole history window (`years` back from today, so a 12-month chart starts full),
    # then the next three months' plans.
    first = dt.datetime.combine(today - dt.timedelta(days=365 * years), dt.time(), dt.UTC)
    span = 365 * years + 95
    plans = []
    for _ in range(events):
        code = rng.choice(sorted(offers))
        system_id, system_code = rng.choice(offers[code])
        kind = rng.choice(KINDS)
        tz = ZoneInfo(countries[code])
        day = (first + dt.timedelta(days=rng.randrange(span))).date()
        days = rng.randint(1, 2) if kind == "trial_run" else rng.randint(2, 5)
        starts = dt.datetime.combine(day, dt.time(9), tz).astimezone(dt.UTC)
        ends = dt.datetime.combine(day + dt.timedelta(days=days - 1), dt.time(16), tz).astimezone(dt.UTC)
        plans.append((starts, ends, code, system_id, system_code, kind))
    plans.sort(key=lambda p: p[0])
    free = [(first - dt.timedelta(days=1), sid) for sid in staff_ids]
    heapq.heapify(free)
    unit_free: dict[int, dt.datetime] = {}
    rows, staff_links, unit_links = [], [], []
    postponed = False
    for index, (starts, ends, code, system_id, system_code, kind) in enumerate(plans):
        status, reason, done = _status(starts, ends, now, rng)
        if status == "planned" and not postponed and starts > now + dt.timedelta(days=20):
            status, postponed = "postponed", True
        capacity = rng.choice([12, 16, 20, 24, 30, 40])
        planned = rng.randint(capacity * 2 // 3, capacity)
        actual = max(1, planned - rng.randint(0, 3)) if done else None
        rows.append({
            "kind": kind, "title": rng.choice(TITLES[kind]).format(s=system_code), "country_code": code,
            "system_id": system_id, "starts_at": starts, "ends_at": ends, "timezone": countries[code],
            "location": PLACES.get(code, f"{code} national training centre"), "capacity": capacity,
            "participants_planned": planned,
            "participants_actual": actual,
            "objectives": f"Hand over {system_code} operating know-how to {code} crews and instructors.",
            "outcome": rng.choice(OUTCOMES[kind]).format(n=actual) if done else None,
            "status": status, "cancel_reason": reason,
            "completed_at": ends if status == "completed" else None,
            "cancelled_at": min(now, starts - dt.timedelta(days=3)) if status == "cancelled" else None,
            "version": 1,
            "created_at": min(now, starts - dt.timedelta(days=45)), "updated_at": min(now, ends),
        })
        taken = []
        for _ in range(rng.choice([1, 1, 2])):
            if free and free[0][0] <= starts:
                taken.append(heapq.heappop(free)[1])
        for n, sid in enumerate(taken):
            staff_links.append((index, sid, n == 0))
            heapq.heappush(free, (ends, sid))
        if kind == "trial_run":
            pool = units.get((code, system_id), [])
            for uid in rng.sample(pool, k=min(2, len(pool))):
                if unit_free.get(uid, first) <= starts:
                    unit_links.append((index, uid))
                    unit_free[uid] = ends
    ids = _insert_events(conn, rows)
    if staff_links:
        conn.execute(sa.insert(EventStaff.__table__), [  # type: ignore[attr-defined]  # SQLModel does not declare __table__
            {"event_id": ids[i], "staff_id": sid, "is_lead": lead} for i, sid, lead in staff_links])
    if unit_links:
        conn.execute(sa.insert(EventUnit.__table__), [  # type: ignore[attr-defined]  # SQLModel does not declare __table__
            {"event_id": ids[i], "unit_id": uid} for i, uid in unit_links])
    _seed_requests(conn, offers, today, now)
    return len(rows)


def _status(starts: dt.datetime, ends: dt.datetime, now: dt.datetime, rng: random.Random,
            ) -> tuple[str, str | None, bool]:
    """Status, cancel reason, and whether the service took place."""
    roll = rng.random()
    if roll < 0.05:
        return "cancelled", rng.choice(CANCEL_REASONS), False
    if ends <= now:
        return "completed", None, True
    if starts <= now:
        return "in_progress", None, False
    if starts < now + dt.timedelta(days=30) or roll < 0.4:
        return "confirmed", None, False
    return "planned", None, False


LANGUAGES = ["en", "pl", "no", "ar", "ro", "en", "en"]


def _skills_for(n: int, systems: list[str]) -> list[str]:
    """A generated staff member's skills: an instructor and a technician of the catalogue's
    systems and an interpreter, spread evenly (a larger roster covers every system)."""
    pick = random.Random(n)  # noqa: S311 - demo data, not secrets
    instructor, technician = pick.choice(systems), pick.choice(systems)
    return [f"instructor:{instructor}", f"technician:{technician}", f"interpreter:{pick.choice(LANGUAGES)}"]


def _seed_staff(conn: sa.Connection, count: int, rng: random.Random) -> list[int]:
    people = list(STAFF)
    systems = sorted(conn.scalars(sa.select(col(WeaponSystem.code))))
    while len(people) < count:
        name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)} ({len(people) + 1})"
        rng.sample(range(24), k=2)  # the draws the former free-text skills took: the rest stays as it was
        people.append((name, _skills_for(len(people), systems)))
    now = utcnow()
    conn.execute(sa.insert(StaffMember.__table__), [  # type: ignore[attr-defined]  # SQLModel does not declare __table__
        {"name": name, "email": f"staff{n + 1:04d}@k-sustain.example", "skills": skills_,
         "active": True, "version": 1, "created_at": now} for n, (name, skills_) in enumerate(people)])
    return list(conn.scalars(sa.select(col(StaffMember.id)).order_by(col(StaffMember.id))))


def _insert_events(conn: sa.Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert in order and return the new ids in the same order (ids grow with insertion)."""
    before = conn.scalar(sa.select(sa.func.coalesce(sa.func.max(ServiceEvent.id), 0)))
    for offset in range(0, len(rows), 5000):
        conn.execute(sa.insert(ServiceEvent.__table__),  # type: ignore[attr-defined]  # SQLModel does not declare __table__
                     rows[offset:offset + 5000])
    return list(conn.scalars(sa.select(col(ServiceEvent.id)).where(col(ServiceEvent.id) > before)
                             .order_by(col(ServiceEvent.id))))


def _seed_requests(conn: sa.Connection, offers: dict[str, list[tuple[int, str]]], today: dt.date,
                   now: dt.datetime) -> None:
    liaisons = conn.execute(sa.select(col(User.id), col(User.country_code))
                            .where(col(User.role) == Role.liaison.value).order_by(col(User.id))).all()
    wanted = [("PL", "tech_education", "Refresher on K9A1 fire-control software after the 2.3 update"),
              ("RO", "joint_training", "Joint live-fire training for the new K9 battalion at Capu Midia")]
    rows = []
    for code, kind, text in wanted:
        user = next((uid for uid, c in liaisons if c == code), None)
        if user is None or code not in offers:
            continue
        rows.append({"country_code": code, "kind": kind, "system_id": offers[code][0][0],
                     "wished_from": today + dt.timedelta(days=60),
                     "wished_to": today + dt.timedelta(days=120),
                     "description": text, "status": "pending", "requested_by": user, "version": 1,
                     "created_at": now - dt.timedelta(days=3)})
    if rows:
        conn.execute(sa.insert(ServiceRequest.__table__), rows)  # type: ignore[attr-defined]  # SQLModel does not declare __table__
