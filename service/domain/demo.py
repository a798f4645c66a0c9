"""Demo data: real buyer countries and Korean systems, believable contracts and fleets.

Rows go in through Core bulk inserts (fast enough for the `bench` size); a single audit
entry records the load itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.engine import Engine
from sqlmodel import col

from models import (
    AuditEntry,
    Contract,
    ContractLine,
    Country,
    Notification,
    Role,
    Unit,
    User,
    WeaponSystem,
    utcnow,
)
from service.core.db import writer
from service.domain import periods
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
    events: int = 400  # follow-up service events (with ~12 staff members and their bookings)
    event_years: int = 1  # the events' history reaches this many years back
    repair_gap_days: float = 220.0  # mean days between a unit's repairs (divided by its country's wear)
    report_share: float = 0.35  # the share of repairs a deficiency report is filed about


SIZES = {
    "small": Size("small", 0, len(SYSTEMS), len(CONTRACTS), 0),
    "bench": Size("bench", 42, 40, 600, 20000),
}
# ~2 repairs per unit over its life: ~100,000 status changes and ~30,000 reports in ten years
SIZES["bench"] = dataclasses.replace(SIZES["bench"], events=100_000, event_years=10,
                                     repair_gap_days=1100.0, report_share=0.75)


def has_data(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.scalar(sa.select(sa.func.count()).select_from(Country)))


def notifications(engine: Engine) -> int:
    """How many notifications the outbox holds."""
    with engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(Notification)) or 0)


def logins_text() -> str:
    lines = [_("Demo logins (password for all: %(password)s):", password=DEMO_PASSWORD)]
    for email, _name, role, country in _users():
        lines.append(f"  {role:<13} {email}" + (f"  ({country})" if country else ""))
    return "\n".join(lines)


def _users() -> list[tuple[str, str, str, str | None]]:
    users: list[tuple[str, str, str, str | None]] = [
        ("admin@k-sustain.example", "Kim Min-jun", Role.admin.value, None),
        ("staff@k-sustain.example", "Lee Seo-yeon", Role.staff.value, None),
    ]
    for code, name, _tz in COUNTRIES:
        users.append((f"liaison.{code.lower()}@k-sustain.example", f"{name} liaison officer",
                      Role.liaison.value, code))
    for code, name, _tz in COUNTRIES:  # each country manages its own liaison accounts
        users.append((f"admin.{code.lower()}@k-sustain.example", f"{name} country administrator",
                      Role.country_admin.value, code))
    return users


def seed(engine: Engine, *, size: str = "small", seed_value: int = 7,
         progress: Callable[[str], Any] = lambda _m: None, today: dt.date | None = None,
         years: int | None = None) -> str:
    """Load the data set of `size` into an empty database; returns a one-line summary.

    `years` keeps only the last `years` years of the service history (and what hangs off it:
    surveys, answers, actions). The data set is seeded in full first, so the months kept are
    exactly those of the full set: the benchmark compares a month across history lengths.
    """
    spec = SIZES[size]
    rng = random.Random(seed_value)
    today = today or dt.date.today()
    with writer(engine).begin() as conn:
        countries = _seed_countries(conn, spec)
        systems = _seed_systems(conn, spec)
        progress(_("countries %(countries)s, systems %(systems)s", countries=len(countries),
                   systems=len(systems)))
        lines = _seed_contracts(conn, spec, rng, countries, systems)
        units = _seed_units(conn, spec, rng, lines, systems, today)
        progress(_("contracts %(contracts)s, units %(units)s", contracts=spec.contracts, units=units))
        _seed_users(conn)
        events = _seed_services(conn, spec, rng, today)
        progress(_("service events %(events)s", events=events))
        progress(_seed_surveys(conn, spec, rng, today))
        progress(_seed_deficiencies(conn, spec, rng, today))
        progress(_seed_training(conn, rng, today, seats=4 if spec.name == "bench" else 8))
        progress(_seed_planning(conn, rng, today))
        progress(_seed_bulletins(conn, rng, today))
        summary = _("seeded %(size)s: %(countries)s countries, %(systems)s systems, %(contracts)s "
                    "contracts, %(units)s units", size=size, countries=len(countries),
                    systems=len(systems), contracts=spec.contracts, units=units)
        if years is not None and years < spec.event_years:
            dropped = _keep_last_years(conn, today, years)
            summary += _("; history cut to the last %(years)s year(s), %(dropped)s older services dropped",
                         years=years, dropped=dropped)
        conn.execute(sa.insert(AuditEntry.__table__), [{  # type: ignore[attr-defined]  # SQLModel does not declare __table__
            "at": utcnow(), "actor": "seed-demo", "action": "seed", "entity": "database",
            "changes": {"summary": summary},
        }])
    with engine.connect() as conn:  # after a bulk load, fresh statistics for the query planner
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return summary


def seed_reports(engine: Engine, *, options: Any, months: int = 3,
                 progress: Callable[[str], Any] = lambda _m: None, today: dt.date | None = None) -> int:
    """The last `months` months' country and HQ reports, made as the monthly job makes them
    (so a liaison's "monthly reports" panel is not empty on first start); how many were made."""
    from service.domain.reports import SCHEDULER, generate_period

    last = periods.shift(periods.of(today or dt.date.today()), -1)
    made = 0
    clock = [time.perf_counter()]
    for period in periods.between(periods.shift(last, 1 - months), last):

        def said(scope: str, outcome: Any, period: str = period) -> None:
            now = time.perf_counter()
            progress(_("report %(period)s %(scope)s: %(action)s (%(seconds).1f s)", period=period,
                       scope=scope, action=outcome.action, seconds=now - clock[0]))
            clock[0] = now

        outcomes = generate_period(engine=engine, period=period, actor=(None, SCHEDULER),
                                   options=options, scheduled=True, progress=said)
        made += sum(o.action == "generated" for o in outcomes)
    return made


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
    conn.execute(sa.insert(Country.__table__), rows)  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    return [str(r["code"]) for r in rows]


def _seed_systems(conn: sa.Connection, spec: Size) -> dict[str, int]:
    rows = [{"code": c, "name": n, "category": cat, "manufacturer": m, "version": 1}
            for c, n, cat, m in SYSTEMS]
    categories = ["land", "sea", "air", "missile", "C4I"]
    for i in range(len(rows), spec.systems):
        rows.append({"code": f"KX-{i:02d}", "name": f"Export variant {i:02d}",
                     "category": categories[i % 5], "manufacturer": "Hanwha Aerospace",
                     "version": 1})
    conn.execute(sa.insert(WeaponSystem.__table__), rows)  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    ids = conn.execute(sa.select(col(WeaponSystem.code), col(WeaponSystem.id))).all()
    return {code: cast(int, sid) for code, sid in ids}  # stored rows: ids set


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
    conn.execute(sa.insert(Contract.__table__), [  # type: ignore[attr-defined]  # SQLModel does not declare __table__
        {"number": num, "country_code": c, "signed_on": d, "value": v, "currency": cur,
         "version": 1, "created_at": utcnow()} for c, num, d, v, cur, _ in contracts
    ])
    ids = cast(dict[str, int], dict(conn.execute(sa.select(col(Contract.number), col(Contract.id))).all()))
    line_rows, lines = [], []
    for c, num, signed, _v, _cur, items in contracts:
        for system_id, qty in items:
            line_rows.append({"contract_id": ids[num], "system_id": system_id, "quantity": qty})
            lines.append((ids[num], c, system_id, qty, signed))
    conn.execute(sa.insert(ContractLine.__table__), line_rows)  # type: ignore[attr-defined]  # SQLModel does not declare __table__
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
        conn.execute(sa.insert(Unit.__table__), rows[offset:offset + 5000])  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    return len(rows)


def _seed_users(conn: sa.Connection) -> None:
    password_hash = hash_password(DEMO_PASSWORD)
    conn.execute(sa.insert(User.__table__), [  # type: ignore[attr-defined]  # SQLModel does not declare __table__
        {"email": e, "name": n, "role": r, "country_code": c, "password_hash": password_hash,
         "active": True, "version": 1, "created_at": utcnow()} for e, n, r, c in _users()
    ])


# --- surveys, answers and corrective actions -------------------------------------------------

# How each real buyer feels (mean overall rating); Egypt is slipping over the last months.
MOODS = {"AU": 4.55, "NO": 4.5, "PL": 4.35, "AE": 4.2, "RO": 4.05, "IN": 3.9, "PH": 3.8, "EG": 4.3}
SLIPPING = {"EG": (150, 2.4)}  # country: (over the last N days, falling to this mood)
DIMENSION_BIAS = {"instructors": 0.25, "timeliness": -0.25, "documentation": -0.1, "equipment": 0.0}
PRAISE = ["Instructors were excellent and patient with our crews.",
          "Very well organised; the documentation in our language helped a lot.",
          "Our crews are now confident with the fire-control system.",
          "Good balance of classroom and field work."]
COMPLAINTS = ["The course started two days late and the schedule was cut short.",
              "Spare parts for the exercise did not arrive in time.",
              "Manuals were only in English and Korean; we need translated documentation.",
              "The interpreter could not keep up with the technical content.",
              "Two vehicles were not serviceable for the trial run."]
BUYER_COMMENTS = ["Thank you; the crews would like the make-up day before the exercise season.",
                  "Our maintenance officer can join a call this week.",
                  "Please send the revised manuals in our language as well."]
RESOLUTIONS = ["Schedule agreed with the unit and a make-up day delivered.",
               "Spare-parts buffer stocked in country; next delivery confirmed.",
               "Translated manuals delivered.", "Second interpreter assigned to the course."]


def _mood(code: str, when: dt.date, today: dt.date, rng_moods: dict[str, float]) -> float:
    base = MOODS.get(code) or rng_moods[code]
    if code in SLIPPING:
        days, low = SLIPPING[code]
        age = (today - when).days
        if age < days:
            return base - (base - low) * (days - age) / days
    return base


def _score(rng: random.Random, mean: float, low: int, high: int, sd: float) -> int:
    return max(low, min(high, round(rng.gauss(mean, sd))))


# The demo's survey is also offered in Polish (SPEC §12).
POLISH_QUESTIONS = {
    "overall": "Jak ogólnie oceniasz tę usługę?",
    "instructors": "Jak oceniasz instruktorów i techników?",
    "timeliness": "Jak oceniasz terminowość usługi (rozpoczęcie, harmonogram, zakończenie)?",
    "documentation": "Jak oceniasz dokumentację i materiały szkoleniowe?",
    "equipment": "Jak oceniasz stan i dostępność sprzętu?",
    "recommend": "Jak bardzo prawdopodobne jest, że polecisz tę usługę innej jednostce (0-10)?",
    "comment": "Czy chcesz nam coś przekazać lub co powinniśmy zrobić inaczej?",
}


def _seed_surveys(conn: sa.Connection, spec: Size, rng: random.Random, today: dt.date) -> str:
    """Surveys for every completed event without one; ~80 % answered; actions for poor answers."""
    import secrets
    from types import SimpleNamespace

    from models import CorrectiveAction, EventStaff, ServiceEvent, Survey, SurveyResponse
    from models import SurveyTemplate as Template
    from service.domain import actions, periods, surveys

    E = ServiceEvent.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    events = conn.execute(
        sa.select(E.id, E.country_code, E.system_id, E.kind, E.title, E.ends_at, E.completed_at)
        .where(E.status == "completed",
               ~sa.exists().where(Survey.__table__.c.event_id == E.id))  # type: ignore[attr-defined]  # SQLModel does not declare __table__
        .order_by(E.id)
    ).all()
    if not events:
        return "surveys 0"
    leads: dict[int, int] = dict(conn.execute(
        sa.select(col(EventStaff.event_id), sa.func.min(col(EventStaff.staff_id)))
        .where(col(EventStaff.is_lead).is_(True)).group_by(col(EventStaff.event_id))).all())
    template_id = conn.scalar(sa.select(col(Template.id)).where(
        col(Template.name) == surveys.TEMPLATE_NAME, col(Template.active).is_(True))
        .order_by(col(Template.revision).desc()))
    if template_id is None:
        table = Template.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__
        template_id = conn.execute(sa.insert(table).returning(table.c.id), {
            "name": surveys.TEMPLATE_NAME, "revision": 1, "active": True, "created_at": utcnow(),
            "questions": surveys.build_questions(surveys.DEFAULT_QUESTIONS,
                                                 {**surveys.DEFAULT_TEXTS, "pl": POLISH_QUESTIONS}),
        }).scalar_one()
    now = dt.datetime.combine(today, dt.time(6, 0), tzinfo=dt.UTC)
    rng_moods = {e.country_code: rng.uniform(3.6, 4.6) for e in events if e.country_code not in MOODS}

    survey_rows, answers = [], {}
    for e in events:
        sent = (e.completed_at or e.ends_at) + dt.timedelta(hours=rng.randint(2, 30))
        sent = min(sent, now)
        row: dict[str, Any] = {
            "event_id": e.id, "country_code": e.country_code, "system_id": e.system_id,
            "kind": e.kind, "template_id": template_id, "token": secrets.token_urlsafe(32),
            "status": "sent", "period": periods.of(sent), "sent_at": sent, "invited_at": sent,
            "reminded_at": None, "expires_at": sent + dt.timedelta(days=30), "answered_at": None,
        }
        mood = _mood(e.country_code, sent.date(), today, rng_moods)
        answered = sent + dt.timedelta(days=min(rng.expovariate(1 / 3), 29))
        if rng.random() < (0.82 if mood > 3.5 else 0.68) and answered <= now:
            row.update(status="answered", answered_at=answered)
            if answered - sent > dt.timedelta(days=7):
                row["reminded_at"] = sent + dt.timedelta(days=7)
            overall = _score(rng, mood, 1, 5, 0.8)
            scores = {d: _score(rng, mood + bias, 1, 5, 0.8) for d, bias in DIMENSION_BIAS.items()}
            comment = (rng.choice(PRAISE if overall >= 4 else COMPLAINTS) if rng.random() < 0.45
                       else None)
            answers[e.id] = {"overall": overall, **scores, "comment": comment,
                             "recommend": _score(rng, (mood - 1) * 2.6, 0, 10, 1.3)}
        else:
            if sent + dt.timedelta(days=7) <= now:
                row["reminded_at"] = sent + dt.timedelta(days=7)
            if row["expires_at"] <= now:
                row["status"] = "expired"
        survey_rows.append(row)
    _bulk(conn, Survey, survey_rows)

    ids = _ids_by_event(conn, Survey)
    by_event = {r["event_id"]: r for r in survey_rows}
    _bulk(conn, SurveyResponse, [{
        "survey_id": ids[event_id], "event_id": event_id, "country_code": s["country_code"],
        "system_id": s["system_id"], "kind": s["kind"], "template_id": template_id,
        "period": s["period"], "answered_at": s["answered_at"], "answered_by": None, **a,
    } for event_id, a in answers.items() for s in (by_event[event_id],)])

    poor = {event_id: reasons for event_id, a in answers.items()
            if (reasons := actions.reasons_for(SimpleNamespace(**a)))}  # type: ignore[arg-type]  # reads the answers only
    response_ids = _ids_by_event(conn, SurveyResponse)
    titles = {e.id: e.title for e in events}
    action_rows: list[dict[str, Any]] = []
    notes: dict[int, str] = {}
    for event_id, reasons in poor.items():
        opened = by_event[event_id]["answered_at"]
        due = opened.date() + dt.timedelta(days=14)
        status, closed, resolution = "open", None, None
        if due + dt.timedelta(days=10) < today and rng.random() < 0.88:
            status, resolution = "closed", rng.choice(RESOLUTIONS)
            closed = opened + dt.timedelta(days=rng.randint(5, 30))
        elif rng.random() < 0.45:
            status = "in_progress"
        if rng.random() < 0.3:  # a staff member's internal note, in the action's progress
            notes[response_ids[event_id]] = "Raised with the unit's logistics officer."
        action_rows.append({
            "country_code": by_event[event_id]["country_code"], "event_id": event_id,
            "response_id": response_ids[event_id], "owner_staff_id": leads.get(event_id),
            "title": actions.written("poor_title", service=titles[event_id])[:300], "reasons": reasons,
            "due_on": due, "status": status, "resolution": resolution, "opened_at": opened,
            "closed_at": closed, "version": 1,
            "escalated_at": (dt.datetime.combine(due + dt.timedelta(days=1), dt.time(6), tzinfo=dt.UTC)
                             if status != "closed" and due < today else None),
        })
    _bulk(conn, CorrectiveAction, action_rows)
    # Its own generator: the rest of the demo comes out as it did before progress was kept.
    progress = _action_progress(conn, action_rows, notes, random.Random(len(action_rows)))
    return _("surveys %(surveys)s, responses %(responses)s, corrective actions %(actions)s, "
             "action progress entries %(entries)s", surveys=len(survey_rows), responses=len(answers),
             actions=len(action_rows), entries=progress)


def _action_progress(conn: sa.Connection, action_rows: list[dict[str, Any]], notes: dict[int, str],
                     rng: random.Random) -> int:
    """Each demo action's progress as `update_action`, a liaison's comment and a staff member's
    internal note would have written it: the moves of its state (the resolution at closing), now
    and then the buyer's word, and the internal notes of `notes` (by the action's response)."""
    from models import ActionComment, CorrectiveAction
    from service.domain import actions

    A = CorrectiveAction.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    ids: dict[int, int] = dict(conn.execute(sa.select(A.response_id, A.id)).all())
    rows: list[dict[str, Any]] = []
    for a in action_rows:
        base = {"action_id": ids[a["response_id"]], "country_code": a["country_code"], "author_id": None,
                "internal": False}
        if rng.random() < 0.35:
            rows.append({**base, "kind": "comment", "status": "open", "author_name": "Liaison officer",
                         "body": rng.choice(BUYER_COMMENTS),
                         "created_at": a["opened_at"] + dt.timedelta(hours=rng.randint(4, 48))})
        if a["response_id"] in notes:
            rows.append({**base, "kind": "comment", "status": "open", "author_name": "K-Sustain staff",
                         "internal": True, "body": notes[a["response_id"]],
                         "created_at": a["opened_at"] + dt.timedelta(days=1, hours=2)})
        if a["status"] in ("in_progress", "closed"):
            rows.append({**base, "kind": "status", "status": "in_progress", "author_name": "K-Sustain staff",
                         "body": actions.written("moved", before="open", after="in progress"),
                         "created_at": a["opened_at"] + dt.timedelta(days=2, hours=3)})
        if a["status"] == "closed":
            rows.append({**base, "kind": "status", "status": "closed", "author_name": "K-Sustain staff",
                         "body": actions.written("closed", before="in progress", after="closed",
                                                 resolution=a["resolution"]),
                         "created_at": max(a["closed_at"], a["opened_at"] + dt.timedelta(days=3))})
    _bulk(conn, ActionComment, rows)
    return len(rows)


def _ids_by_event(conn: sa.Connection, model: Any) -> dict[int, int]:
    """event id -> row id for a table with one row per event (a full scan beats a huge IN)."""
    table = model.__table__
    return {event_id: row_id for event_id, row_id in conn.execute(sa.select(table.c.event_id, table.c.id))}


def _bulk(conn: sa.Connection, model: Any, rows: list[dict[str, Any]]) -> None:
    for offset in range(0, len(rows), 5000):
        conn.execute(sa.insert(model.__table__), rows[offset:offset + 5000])
def _seed_services(conn: sa.Connection, spec: Size, rng: random.Random, today: dt.date) -> int:
    from service.domain.demo_services import seed_services

    return seed_services(conn, events=spec.events, years=spec.event_years, rng=rng, today=today)


def _seed_deficiencies(conn: sa.Connection, spec: Size, rng: random.Random, today: dt.date) -> str:
    from service.domain.demo_deficiencies import seed_deficiencies

    changes, reports = seed_deficiencies(conn, rng=rng, today=today, report_share=spec.report_share,
                                         repair_gap_days=spec.repair_gap_days)
    return _("unit status changes %(changes)s, deficiency reports %(reports)s", changes=changes,
             reports=reports)


def _seed_training(conn: sa.Connection, rng: random.Random, today: dt.date, *, seats: int) -> str:
    from service.domain.demo_training import seed_training

    return seed_training(conn, rng=rng, today=today, seats=seats)


def _seed_planning(conn: sa.Connection, rng: random.Random, today: dt.date) -> str:
    from service.domain.demo_planning import seed_planning

    return seed_planning(conn, rng=random.Random(rng.random()), today=today)


def _seed_bulletins(conn: sa.Connection, rng: random.Random, today: dt.date) -> str:
    from service.domain.demo_bulletins import seed_bulletins

    bulletins, recorded = seed_bulletins(conn, rng=rng, today=today)
    return _("service bulletins %(bulletins)s, unit compliance records %(recorded)s",
             bulletins=bulletins, recorded=recorded)


def _keep_last_years(conn: sa.Connection, today: dt.date, years: int) -> int:
    """Delete services starting more than `years` years before `today`, with what hangs off them."""
    from models import (
        ActionComment,
        Certificate,
        CorrectiveAction,
        Delivery,
        EventStaff,
        EventUnit,
        Nomination,
        PackageEvent,
        ServiceEvent,
        Survey,
        SurveyResponse,
    )

    cutoff = dt.datetime.combine(today - dt.timedelta(days=365 * years), dt.time(), dt.UTC)
    E = ServiceEvent.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    old = sa.select(E.id).where(E.starts_at < cutoff).scalar_subquery()
    A = CorrectiveAction.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    conn.execute(ActionComment.__table__.delete().where(  # type: ignore[attr-defined]  # SQLModel does not declare __table__
        ActionComment.__table__.c.action_id.in_(sa.select(A.id).where(A.event_id.in_(old)))))  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    for model in (CorrectiveAction, SurveyResponse, Survey, EventStaff, EventUnit,
                  Certificate, Delivery, PackageEvent, Nomination):  # the training rows (SPEC §11)
        table = model.__table__  # type: ignore[union-attr]  # SQLModel does not declare __table__
        conn.execute(table.delete().where(table.c.event_id.in_(old)))
    _keep_fleet_history(conn, cutoff)
    return int(conn.execute(ServiceEvent.__table__.delete().where(E.starts_at < cutoff)).rowcount)  # type: ignore[attr-defined]  # SQLModel does not declare __table__


def _keep_fleet_history(conn: sa.Connection, cutoff: dt.datetime) -> None:
    """The fleet's history from `cutoff` on: reports filed before it go (with what hangs off
    them), and of each unit's status changes before it only the last stays, its status when
    the kept history begins, so the months kept give the same readiness as in the full set."""
    from models import (
        CorrectiveAction,
        DeficiencyAttachment,
        DeficiencyAttachmentFile,
        DeficiencyMessage,
        DeficiencyReport,
        DeficiencyUnit,
        Survey,
        SurveyResponse,
        UnitStatusChange,
    )

    R = DeficiencyReport.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    old = sa.select(R.id).where(R.submitted_at < cutoff).scalar_subquery()
    changes = UnitStatusChange.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    conn.execute(changes.update().where(changes.c.report_id.in_(old)).values(report_id=None))
    files = DeficiencyAttachmentFile.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    attachments = DeficiencyAttachment.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    conn.execute(files.delete().where(files.c.attachment_id.in_(
        sa.select(attachments.c.id).where(attachments.c.report_id.in_(old)))))
    for model, column in ((SurveyResponse, "deficiency_id"), (Survey, "deficiency_id"),
                          (CorrectiveAction, "deficiency_id"), (DeficiencyAttachment, "report_id"),
                          (DeficiencyMessage, "report_id"), (DeficiencyUnit, "report_id")):
        table = model.__table__  # type: ignore[union-attr]  # SQLModel does not declare __table__
        conn.execute(table.delete().where(table.c[column].in_(old)))
    conn.execute(DeficiencyReport.__table__.delete().where(R.submitted_at < cutoff))  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    before = sa.select(sa.func.max(changes.c.id)).where(changes.c.at < cutoff).group_by(changes.c.unit_id)
    conn.execute(changes.delete().where(changes.c.at < cutoff, changes.c.id.not_in(before)))
