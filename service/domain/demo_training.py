"""Demo people trained and support packages (SPEC §11): every country's roster; nominations
with results on past trainings (and seats taken on the next ones); a certificate per pass,
valid, expiring and expired; a support package on every contract with deliveries — services
counted, goods accepted, some disputed (one answered) and some lines overdue. Core bulk
inserts, like the rest of the demo data; the same function at every size (the bench set: some
60,000 trainees, 150,000 certificates, 5,000 package lines)."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext

from models import (
    Certificate,
    CertificateValidity,
    Contract,
    ContractLine,
    Delivery,
    Nomination,
    PackageEvent,
    PackageLine,
    ServiceEvent,
    Trainee,
    WeaponSystem,
)
from service.domain.training.certificates import ALPHABET, add_months, course_name

GIVEN = ["Adam", "Anna", "Bartosz", "Ewa", "Jakub", "Kasia", "Lars", "Ingrid", "Mohamed", "Nour",
         "Arjun", "Priya", "Andrei", "Ioana", "Jose", "Maria", "Liam", "Olivia", "Omar", "Fatima",
         "Noah", "Mia", "Ethan", "Zara", "Marek", "Sofia", "Vikram", "Aisha", "Erik", "Elena"]
FAMILY = ["Nowak", "Hansen", "Smith", "Hassan", "Sharma", "Popescu", "Santos", "Kowalski", "Berg",
          "Ibrahim", "Patel", "Ionescu", "Reyes", "Wilson", "Al-Mansouri", "Zielinski", "Nilsen",
          "Singh", "Dumitru", "Cruz", "Brown", "Khalil", "Mazur", "Lund", "Gupta"]
RANKS = ["Pvt", "Cpl", "Sgt", "SSgt", "WO", "2Lt", "Lt", "Capt", "Maj"]
UNITS = ["Artillery Regiment", "Armoured Brigade", "Air Wing", "Maintenance Battalion",
         "Air Defence Group", "Logistics Command", "Training Centre"]
RESULTS = (["passed"] * 15) + (["failed"] * 2) + ["attended"] * 2 + ["absent"]
REASONS = {  # a buyer's dispute, by what the line delivers
    "spares": ["Two kits arrived without their torque wrench.", "Quantity short by one crate on arrival."],
    "publication": ["The manual is revision A, the contract says B.",
                    "The Korean original came without its English translation."],
    "support_equipment": ["The tool set is for the older model.", "One diagnostic set fails its self-test."],
    "technical_assistance": ["The representative left two days before the agreed end."],
    "training": ["Fewer seats were offered than the course took.", "The course ended a day early."],
    "tech_education": ["The course ended a day early.", "The instructor's notes were not handed over."],
    "trial_run": ["The trial was cut short by the range schedule."],
}
SHIPPED = {"spares": "Shipped", "publication": "Sent", "support_equipment": "Shipped",
           "technical_assistance": "Days on site"}  # the note on goods recorded by staff
LINES = [  # kind, description, quantity range, months after signing it is due
    ("training", "Crew and maintainer seats", (20, 80), (8, 20)),
    ("tech_education", "Fire-control maintenance course", (1, 3), (10, 24)),
    ("trial_run", "Acceptance live-fire trial", (1, 2), (6, 14)),
    ("spares", "Spare parts kits", (5, 40), (6, 30)),
    ("spares", "Consumables and lubricants", (10, 60), (4, 18)),
    ("publication", "Operator and maintenance manuals", (2, 6), (3, 12)),
    ("publication", "Technical orders, Korean original", (1, 3), (3, 12)),
    ("support_equipment", "Test and diagnostic sets", (1, 8), (9, 26)),
    ("technical_assistance", "Field service representative", (30, 240), (12, 36)),
]
DEMO_VALIDITY_MONTHS = {"tech_education": 6}  # a refresher every six months; training: 24


def _code(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(n))


def _bulk(conn: sa.Connection, model: Any, rows: list[dict[str, Any]]) -> None:
    for offset in range(0, len(rows), 5000):
        conn.execute(sa.insert(model.__table__), rows[offset:offset + 5000])


def seed_training(conn: sa.Connection, *, rng: random.Random, today: dt.date, seats: int = 8) -> str:
    """Rosters, nominations, results, certificates and packages; a one-line summary."""
    now = dt.datetime.combine(today, dt.time(12), dt.UTC)
    E = ServiceEvent.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    events = conn.execute(sa.select(E.id, E.country_code, E.system_id, E.kind, E.status, E.ends_at,
                                    E.starts_at, E.timezone, E.capacity, E.title)
                          .where(E.kind.in_(["joint_training", "tech_education"]),
                                 E.status.in_(["completed", "planned", "confirmed"]))
                          .order_by(E.id)).all()
    countries = sorted({e.country_code for e in events})
    per_country = {c: 0 for c in countries}
    for e in events:
        if e.status == "completed":
            per_country[e.country_code] += 1
    created = now
    trainees: list[dict[str, Any]] = []
    for code in countries:  # each person takes about four of the country's courses
        for _ in range(max(12, per_country[code] * seats // 4)):
            trainees.append({"country_code": code, "created_at": created, "version": 1,
                             "name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                             "rank": rng.choice(RANKS),
                             "organisation": f"{rng.randrange(1, 30)} {rng.choice(UNITS)}"})
    _bulk(conn, Trainee, trainees)
    T = Trainee.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    roster: dict[str, list[int]] = {}
    for tid, code in conn.execute(sa.select(T.id, T.country_code).order_by(T.id)):
        roster.setdefault(code, []).append(tid)
    systems = [s for (s,) in conn.execute(sa.select(WeaponSystem.__table__.c.id))]  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    _bulk(conn, CertificateValidity, [{"system_id": s, "kind": kind, "months": months}
                                      for s in systems for kind, months in DEMO_VALIDITY_MONTHS.items()])
    nominations, actual = [], {}
    for e in events:
        people = roster.get(e.country_code, [])
        taken = rng.sample(people, min(len(people), e.capacity or seats, rng.randint(seats * 3 // 4, seats)))
        if e.status != "completed" and e.starts_at <= now:
            continue
        if e.status != "completed":
            taken = taken[: max(1, len(taken) // 2)]  # seats still open on the next courses
        present = 0
        for tid in taken:
            result = rng.choice(RESULTS) if e.status == "completed" else None
            present += result in ("passed", "failed", "attended")
            nominations.append({"event_id": e.id, "trainee_id": tid, "country_code": e.country_code,
                                "status": "nominated", "result": result, "version": 1,
                                "score": (round(rng.uniform(55, 99), 1)
                                          if result in ("passed", "failed") else None),
                                "created_at": min(created, e.starts_at - dt.timedelta(days=20))})
        if e.status == "completed":
            actual[e.id] = present
    _bulk(conn, Nomination, nominations)
    if actual:  # participants follow from the results where nominees exist
        conn.execute(sa.update(ServiceEvent.__table__).where(E.id == sa.bindparam("eid"))  # type: ignore[attr-defined]  # SQLModel does not declare __table__
                     .values(participants_actual=sa.bindparam("n")),
                     [{"eid": k, "n": v} for k, v in actual.items()])
    certificates = _certificates(conn, rng, {e.id: e for e in events})
    lines, deliveries, disputed = _packages(conn, rng, today, now)
    return gettext("trainees %(trainees)s, nominations %(nominations)s, certificates %(certificates)s, "
             "package lines %(lines)s, deliveries %(deliveries)s (%(disputed)s disputed)",
             trainees=len(trainees), nominations=len(nominations), certificates=certificates,
             lines=lines, deliveries=deliveries, disputed=disputed)


def _certificates(conn: sa.Connection, rng: random.Random, events: dict[int, Any]) -> int:
    N = Nomination.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    W = WeaponSystem.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    codes: dict[int, str] = dict(conn.execute(sa.select(W.id, W.code)).all())
    rows, numbers = [], set()
    for nid, eid, tid in conn.execute(sa.select(N.id, N.event_id, N.trainee_id)
                                      .where(N.result == "passed").order_by(N.id)):
        e = events[eid]
        issued = e.ends_at.astimezone(ZoneInfo(e.timezone)).date()
        number = f"KS-{issued.year}-{_code(rng, 8)}"
        while number in numbers:
            number = f"KS-{issued.year}-{secrets.token_hex(4).upper()}"
        numbers.add(number)
        months = DEMO_VALIDITY_MONTHS.get(e.kind, 24)
        rows.append({"number": number, "check_code": _code(rng, 8), "trainee_id": tid, "nomination_id": nid,
                     "event_id": eid, "country_code": e.country_code, "system_id": e.system_id,
                     "kind": e.kind, "issued_on": issued, "valid_until": add_months(issued, months),
                     "course": course_name(codes.get(e.system_id, ""), e.kind, e.title),
                     "created_at": e.ends_at})
    _bulk(conn, Certificate, rows)
    return len(rows)


def _packages(conn: sa.Connection, rng: random.Random, today: dt.date,
              now: dt.datetime) -> tuple[int, int, int]:
    C, L = Contract.__table__.c, ContractLine.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    contracts = conn.execute(sa.select(C.id, C.country_code, C.signed_on).order_by(C.id)).all()
    first_system: dict[int, int] = dict(conn.execute(sa.select(L.contract_id, sa.func.min(L.system_id))
                                     .group_by(L.contract_id)).all())
    rows = []
    for c in contracts:
        for kind, text, (low, high), (m_low, m_high) in LINES:
            if kind in ("trial_run", "support_equipment") and rng.random() < 0.3:
                continue
            rows.append({"contract_id": c.id, "country_code": c.country_code, "kind": kind,
                         "system_id": first_system.get(c.id), "description": text,
                         "language": ("ko" if "Korean" in text else "en") if kind == "publication" else None,
                         "revision": "B" if kind == "publication" else None,
                         "quantity": rng.randint(low, high), "version": 1, "created_at": now,
                         "due_on": add_months(c.signed_on, rng.randint(m_low, m_high))})
    _bulk(conn, PackageLine, rows)
    P = PackageLine.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    E = ServiceEvent.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    lines = conn.execute(sa.select(P.id, P.contract_id, P.country_code, P.kind, P.quantity, P.due_on,
                                   P.system_id).order_by(P.id)).all()
    # Completed services of the line's country, kind and system, oldest first, each delivering one line.
    kinds = {"training": "joint_training", "tech_education": "tech_education", "trial_run": "trial_run"}
    pool: dict[tuple[str, str, int], list[Any]] = {}
    for e in conn.execute(sa.select(E.id, E.country_code, E.kind, E.system_id, E.ends_at, E.timezone,
                                    E.participants_actual, E.title)
                          .where(E.status == "completed").order_by(E.ends_at)):
        pool.setdefault((e.country_code, e.kind, e.system_id), []).append(e)
    links, deliveries = [], []
    disputed = 0
    for line in lines:
        if line.kind in kinds:
            left = line.quantity
            services = pool.get((line.country_code, kinds[line.kind], line.system_id), [])
            for e in services[:]:
                if left <= 0 or rng.random() < 0.3:
                    continue
                services.remove(e)
                qty = 1 if line.kind != "training" else int(e.participants_actual or 0)
                links.append({"event_id": e.id, "line_id": line.id, "country_code": line.country_code})
                deliveries.append(_delivery(rng, line, qty, e.ends_at.astimezone(ZoneInfo(e.timezone)).date(),
                                            e.id, e.title, today))
                left -= qty
            continue
        if line.due_on > today + dt.timedelta(days=120) and rng.random() < 0.5:
            continue  # not due for a while: nothing shipped yet
        share = rng.choice([1.0, 1.0, 1.0, 0.5, 0.0]) if line.due_on < today else rng.choice([0.0, 0.5])
        qty = int(line.quantity * share)
        if qty:
            day = min(today - dt.timedelta(days=1), line.due_on - dt.timedelta(days=rng.randint(0, 40)))
            deliveries.append(_delivery(rng, line, qty, day, None, SHIPPED[line.kind], today))
    for d in deliveries:
        disputed += d["status"] == "disputed"
    _bulk(conn, PackageEvent, links)
    _bulk(conn, Delivery, deliveries)
    return len(lines), len(deliveries), disputed


def _delivery(rng: random.Random, line: Any, qty: int, day: dt.date, event_id: int | None, note: str,
              today: dt.date) -> dict[str, Any]:
    status = rng.choice(["accepted"] * 6 + ["pending"] * 2 + ["disputed", "answered"])
    if (today - day).days < 14:
        status = "pending"  # recent: the liaison has not looked yet
    decided = dt.datetime.combine(min(day + dt.timedelta(days=7), today), dt.time(10), dt.UTC)
    return {"line_id": line.id, "country_code": line.country_code, "event_id": event_id, "quantity": qty,
            "delivered_on": day, "note": note[:1000], "status": status, "version": 1,
            "dispute_reason": rng.choice(REASONS[line.kind]) if status in ("disputed", "answered") else None,
            "answer": "A replacement ships with the next consignment." if status == "answered" else None,
            "decided_at": decided if status != "pending" else None,
            "created_at": dt.datetime.combine(day, dt.time(9), dt.UTC)}
