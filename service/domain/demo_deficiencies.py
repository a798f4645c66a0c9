"""Demo fleet quality: every unit's status history (repair episodes since delivery, giving
each country an availability between about 75 % and 97 %) and deficiency reports about some
of the episodes, in every state: closed with each disposition, a few awaiting the buyer, a
few overdue, some just filed. Core bulk inserts, like the rest of the demo data."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import sqlalchemy as sa

from models import (
    DeficiencyCounter,
    DeficiencyMessage,
    DeficiencyReport,
    DeficiencyUnit,
    Unit,
    UnitStatusChange,
    WeaponSystem,
    utcnow,
)
from service.domain import actions
from service.domain.deficiencies.numbering import format_number

FAULTS = {  # category -> (title, severity)
    "quality": [("Recoil buffer seal leaking", "major"), ("Powerpack overheating under load", "major"),
                ("Fire-control display flickering", "minor"), ("Hydraulic pump pressure drop", "major")],
    "safety": [("Breech block fails to lock", "critical"),
               ("Brake line chafing on track guard", "critical")],
    "shipping": [("Spare barrel missing from delivery", "major"),
                 ("Crate damaged: optics scratched", "minor")],
    "documentation": [("Maintenance manual chapter 7 untranslated", "minor")],
    "technical_assistance": [("Help calibrating the muzzle velocity radar", "minor")],
}
DISPOSITIONS = ["repaired", "replaced", "credited", "no_fault_found", "rejected"]
TARGETS = {"critical": (24, 7), "major": (72, 30), "minor": (120, 90)}


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randrange(6, 18), rng.randrange(60)), dt.UTC)


def seed_deficiencies(conn: sa.Connection, *, rng: random.Random, today: dt.date,
                      report_share: float = 0.35, repair_gap_days: float = 220.0) -> tuple[int, int]:
    """History rows for every unit, and reports about some repair episodes; (changes, reports)."""
    U = Unit.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    units = conn.execute(sa.select(U.id, U.country_code, U.system_id, U.delivered_on, U.status)
                         .order_by(U.id)).all()
    codes = dict(conn.execute(sa.select(WeaponSystem.__table__.c.id,  # type: ignore[attr-defined]  # SQLModel does not declare __table__
                                        WeaponSystem.__table__.c.code)).all())  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    wear = {c: rng.uniform(0.4, 2.6) for c in sorted({u.country_code for u in units})}
    changes: list[dict[str, Any]] = []
    episodes: list[tuple[Any, dt.date, dt.date | None]] = []  # (unit, down from, back on)
    for unit in units:
        start = unit.delivered_on or today
        changes.append(_change(unit, None, "operational", _at(start, rng), actions.written("delivered")))
        day = start + dt.timedelta(days=int(rng.expovariate(1 / (150 * repair_gap_days / 220))))
        state = "operational"
        last_possible = today - dt.timedelta(days=25)
        while day < last_possible:
            length = rng.randint(2, 24)
            back = min(day + dt.timedelta(days=length), last_possible)
            changes.append(_change(unit, "operational", "under_repair", _at(day, rng), "fault found"))
            changes.append(_change(unit, "under_repair", "operational", _at(back, rng), "repaired"))
            episodes.append((unit, day, back))
            gap = rng.expovariate(wear[unit.country_code] / repair_gap_days)
            day = back + dt.timedelta(days=int(gap) + 1)
        if unit.status != "operational":  # its current state, since a few days
            since = max(start, today - dt.timedelta(days=rng.randint(1, 20)))
            changes.append(_change(unit, state, unit.status, _at(since, rng), "fault found"))
            episodes.append((unit, since, None))
    _end_spans(changes)
    for offset in range(0, len(changes), 5000):
        conn.execute(sa.insert(UnitStatusChange.__table__), changes[offset:offset + 5000])  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    reports = _reports(conn, rng, today, [e for e in episodes if rng.random() < report_share], codes)
    return len(changes), reports


def _end_spans(changes: list[dict[str, Any]]) -> None:
    """Each change's `ended_at`: the time of its unit's next change (none for the last)."""
    following: dict[int, dt.datetime | None] = {}
    for change in reversed(sorted(changes, key=lambda c: c["at"])):  # ties: the later row first
        change["ended_at"] = following.get(change["unit_id"])
        following[change["unit_id"]] = change["at"]


def _change(unit: Any, before: str | None, after: str, at: dt.datetime, reason: str) -> dict[str, Any]:
    return {"unit_id": unit.id, "country_code": unit.country_code, "system_id": unit.system_id,
            "from_status": before, "to_status": after, "at": at, "by_user_id": None,
            "by_label": "seed-demo", "reason": reason, "report_id": None, "replacement_serial": None}


def _reports(conn: sa.Connection, rng: random.Random, today: dt.date,
             episodes: list[tuple[Any, dt.date, dt.date | None]], codes: dict[int, str]) -> int:
    # Noon of the day seeded, or the moment of seeding if that is earlier: nothing is closed,
    # acknowledged or sent later in the day than the demo's first start.
    now = min(dt.datetime.combine(today, dt.time(12), dt.UTC), utcnow())
    seq: dict[tuple[str, int], int] = {}
    rows, links = [], []
    # numbered in the order filed, as the numbering does (SPEC §9): by the moment, not the day
    by_day = sorted(episodes, key=lambda e: e[1])
    filed = sorted(((_at(down, rng), unit, back) for unit, down, back in by_day), key=lambda f: f[0])
    for submitted, unit, back in filed:
        category = rng.choice(list(FAULTS))
        title, severity = rng.choice(FAULTS[category])
        ack_h, resolve_d = TARGETS[severity]
        key = (unit.country_code, submitted.year)
        seq[key] = seq.get(key, 0) + 1
        row: dict[str, Any] = {
            "number": format_number(unit.country_code, submitted.year, seq[key]),
            "country_code": unit.country_code, "year": submitted.year, "seq": seq[key],
            "system_id": unit.system_id, "category": category, "severity": severity,
            "title": f"{codes.get(unit.system_id, '')}: {title}", "reopened": False,
            "description": f"{title}. Found by the crew during routine operation; unit taken out of service.",
            "occurred_at": submitted - dt.timedelta(hours=rng.randint(1, 30)), "status": "submitted",
            "submitted_at": submitted, "updated_at": submitted, "version": 1, "filed_by": None,
            "acknowledge_due_at": submitted + dt.timedelta(hours=ack_h),
            "resolve_due_at": submitted + dt.timedelta(days=resolve_d),
            "acknowledged_at": None, "resolved_at": None, "closed_at": None, "paused_since": None,
            "disposition": None, "resolution": None, "acknowledge_breached_at": None,
            "resolve_breached_at": None,
        }
        late = rng.random() < 0.12  # some answered late, a few of the open ones overdue
        if back is not None or (now - submitted).days > 2:
            hours = rng.uniform(1, ack_h * (1.6 if late else 0.9))
            row["acknowledged_at"] = min(now, submitted + dt.timedelta(hours=hours))
            row["status"] = "investigating"
        if back is not None:
            resolved = _at(back, rng)
            disposition = rng.choice(DISPOSITIONS) if rng.random() < 0.3 else "repaired"
            row.update(status="closed" if (now - resolved).days > 30 or rng.random() < 0.7 else "resolved",
                       resolved_at=resolved, disposition=disposition,
                       resolution=f"{disposition.replace('_', ' ').capitalize()} by the field service team.")
            if row["status"] == "closed":
                row["closed_at"] = min(now, resolved + dt.timedelta(days=rng.randint(1, 30)))
        elif row["status"] == "investigating" and rng.random() < 0.3:
            row.update(status="awaiting_buyer", paused_since=now - dt.timedelta(days=rng.randint(1, 6)))
        rows.append(row)
        links.append(unit)
    if not rows:
        return 0
    table = DeficiencyReport.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    insert = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = conn.execute(insert, rows).scalars().all()
    conn.execute(sa.insert(DeficiencyUnit.__table__), [  # type: ignore[attr-defined]  # SQLModel does not declare __table__
        {"report_id": rid, "unit_id": unit.id, "country_code": unit.country_code}
        for rid, unit in zip(ids, links, strict=True)])
    conn.execute(sa.insert(DeficiencyCounter.__table__), [  # type: ignore[attr-defined]  # SQLModel does not declare __table__
        {"country_code": code, "year": year, "last": last}
        for (code, year), last in seq.items()])
    recent = [(rid, row) for rid, row in zip(ids, rows, strict=True) if row["status"] != "closed"]
    talk = ((False, "The unit is at the depot; the crew can show the fault to your technician.",
             "Liaison officer", 2),
            (True, "Supplier asks whether the crew followed the lubrication schedule.", "Lee Seo-yeon", 5),
            (False, "Thank you: a technician will inspect it this week.", "Lee Seo-yeon", 6))
    messages = [{"report_id": rid, "country_code": row["country_code"], "internal": internal,
                 "body": body, "author_id": None, "author_name": author,
                 "created_at": min(now, row["submitted_at"] + dt.timedelta(hours=hours))}
                for rid, row in recent[-400:] for internal, body, author, hours in talk]
    if messages:
        conn.execute(sa.insert(DeficiencyMessage.__table__), messages)  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    _handling_surveys(conn, rng, now, [(rid, row) for rid, row in zip(ids, rows, strict=True)
                                       if row["status"] == "closed"
                                       and row["closed_at"] > now - dt.timedelta(days=120)])
    return len(rows)


def _handling_surveys(conn: sa.Connection, rng: random.Random, now: dt.datetime,
                      closed: list[tuple[int, dict[str, Any]]]) -> None:
    """The survey each report closed in the last four months sent on its handling, about three
    in four answered (mostly content: a quick repair is what buyers praise)."""
    import secrets

    from models import Survey, SurveyResponse, SurveyTemplate
    from service.domain import periods, surveys

    if not closed:
        return
    t = SurveyTemplate.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    template_id = conn.scalar(sa.select(t.c.id).where(t.c.name == surveys.HANDLING_TEMPLATE,
                                                      t.c.active.is_(True)))
    if template_id is None:
        template_id = conn.execute(sa.insert(t).returning(t.c.id), {
            "name": surveys.HANDLING_TEMPLATE, "revision": 1, "active": True, "created_at": now,
            "questions": surveys.build_questions(surveys.HANDLING_QUESTIONS)}).scalar_one()
    survey_rows, answers = [], []
    for rid, row in closed:
        sent = row["closed_at"]
        answered = sent + dt.timedelta(days=min(rng.expovariate(1 / 3), 29))
        done = rng.random() < 0.75 and answered <= now
        expires = sent + dt.timedelta(days=30)
        survey_rows.append({
            "event_id": None, "deficiency_id": rid, "country_code": row["country_code"],
            "system_id": row["system_id"], "kind": surveys.HANDLING_KIND, "template_id": template_id,
            "token": secrets.token_urlsafe(32), "period": periods.of(sent), "sent_at": sent,
            "invited_at": sent, "reminded_at": None, "expires_at": expires,
            "status": "answered" if done else ("expired" if expires <= now else "sent"),
            "answered_at": answered if done else None})
        late = row["acknowledged_at"] and row["acknowledged_at"] > row["acknowledge_due_at"]
        mood = 3.4 if late else 4.3
        answers.append(None if not done else {
            "overall": _score(rng, mood), "timeliness": _score(rng, mood - 0.2),
            "documentation": _score(rng, mood + 0.1),
            "recommend": max(0, min(10, round(rng.gauss((mood - 1) * 2.6, 1.3)))),
            "comment": rng.choice(["Fixed quickly, thank you.", "Clear answers from the team.",
                                   "Took too long to get a technician."]) if rng.random() < 0.3 else None,
            "answered_at": answered})
    table = Survey.__table__  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    sids = conn.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True),
                        survey_rows).scalars().all()
    responses = [{"survey_id": sid, "event_id": None, "deficiency_id": srow["deficiency_id"],
                  "country_code": srow["country_code"], "system_id": srow["system_id"],
                  "kind": srow["kind"], "template_id": template_id, "period": srow["period"],
                  "instructors": None, "equipment": None, "answered_by": None, **a}
                 for sid, srow, a in zip(sids, survey_rows, answers, strict=True) if a]
    if responses:
        conn.execute(sa.insert(SurveyResponse.__table__), responses)  # type: ignore[attr-defined]  # SQLModel does not declare __table__


def _score(rng: random.Random, mood: float) -> int:
    return max(1, min(5, round(rng.gauss(mood, 0.8))))
