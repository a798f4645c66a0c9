"""Demo service bulletins: a handful across the systems that have units in service, each
released to every country operating it (one only to a serial range of one country's units),
acknowledged by most countries (one revised since, so some acknowledgements are of its first
revision), and for the safety and mandatory ones, compliance recorded for part of the units:
some done, a few not applicable, the rest pending (some past due). Core bulk inserts, like the
rest of the demo."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

import sqlalchemy as sa

from models import (
    BulletinAcknowledgement,
    BulletinCompliance,
    BulletinRelease,
    BulletinSerialRange,
    ServiceBulletin,
    Unit,
    User,
    WeaponSystem,
)
from service.domain.bulletins import history
from service.domain.bulletins.publishing import format_number

NOTICES = [  # kind, title, body, days to comply
    ("safety", "Breech block retaining pin: inspect and replace",
     "Cracks were found on the breech block retaining pin of one unit. Inspect every pin with dye "
     "penetrant before the next firing and replace any cracked pin with part 9-41-221.", 30),
    ("mandatory", "Fire-control software 4.2.1",
     "Install fire-control software 4.2.1, which corrects the range table for cold charges.", 45),
    ("recommended", "Track tension after winter storage",
     "Check and adjust track tension after storage below -20 °C before road marches.", 60),
    ("information", "Revised maintenance manual, chapter 7",
     "Chapter 7 of the maintenance manual is revised; the publications office issues the new edition.", 30),
    ("mandatory", "Hydraulic hose batch 2023-11",
     "Hoses of batch 2023-11 age early. Replace them at the next scheduled maintenance.", 90),
]
REASONS = ["Unit in depot overhaul; applied at re-entry into service.",
           "Unit fitted with the later part already at delivery."]


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randrange(7, 17), rng.randrange(60)), dt.UTC)


def seed_bulletins(conn: sa.Connection, *, rng: random.Random, today: dt.date) -> tuple[int, int]:
    """The bulletins and all that hangs off them; (bulletins, compliance rows)."""
    U, S = Unit.__table__.c, WeaponSystem.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    units = conn.execute(sa.select(U.id, U.serial, U.system_id, U.country_code).order_by(U.serial)).all()
    by_system: dict[int, list[Any]] = {}
    for u in units:
        by_system.setdefault(u.system_id, []).append(u)
    codes: dict[int, str] = dict(conn.execute(sa.select(S.id, S.code)).all())
    systems = sorted(by_system, key=lambda s: -len(by_system[s]))[:3]
    liaisons: dict[str, tuple[int, str]] = {}
    UC = User.__table__.c  # type: ignore[attr-defined]  # SQLModel does not declare __table__
    for uid, name, code in conn.execute(sa.select(UC.id, UC.name, UC.country_code)
                                        .where(UC.role == "liaison").order_by(UC.id)):
        liaisons.setdefault(code, (uid, name))
    bulletins, ranges, rels, acks, comps = [], [], [], [], []
    seqs: dict[int, int] = {}
    for n, (kind, title, body, due_days) in enumerate(NOTICES):
        if not systems:
            break
        system = systems[n % len(systems)]
        seqs[system] = seqs.get(system, 0) + 1
        concerned = by_system[system]
        bid = n + 1
        # one concerns a serial range of one country's units alone (the first country's by serial)
        run = (next(list(g) for _, g in itertools.groupby(concerned, lambda u: u.country_code))
               if n == 4 else [])
        limited = len(run) > 1
        if limited:
            first, last = run[0].serial, run[len(run) // 2].serial
            concerned = [u for u in concerned if first <= u.serial <= last]
            ranges.append({"bulletin_id": bid, "serial_from": first, "serial_to": last})
        released = today - dt.timedelta(days=rng.randint(10, 80))
        revised = n == 0
        created = _at(released - dt.timedelta(days=2), rng)
        bulletins.append({
            "id": bid, "number": format_number(codes[system], seqs[system]), "system_id": system,
            "seq": seqs[system], "kind": kind, "title": title, "body": body, "compliance_due_days": due_days,
            "limited_to_ranges": limited, "revision": 2 if revised else 1,
            "revision_note": "Part number corrected; dye penetrant named." if revised else None,
            "revised_at": _at(released + dt.timedelta(days=5), rng) if revised else None,
            "created_at": created, "updated_at": created, "version": 1})
        for code in sorted({u.country_code for u in concerned}):
            at = _at(released, rng)
            rels.append({"bulletin_id": bid, "country_code": code, "released_at": at,
                         "due_at": at + dt.timedelta(days=due_days)})
            if code in liaisons and rng.random() < 0.8:
                uid, name = liaisons[code]
                for revision in range(1, (2 if revised else 1) + 1):
                    if revision == 2 and rng.random() < 0.4:
                        continue  # not yet acknowledged again
                    acks.append({"bulletin_id": bid, "country_code": code, "revision": revision,
                                 "user_id": uid, "user_name": name,
                                 "at": at + dt.timedelta(days=rng.randint(1, 4) + 5 * (revision - 1))})
            if kind not in ("safety", "mandatory"):
                continue
            share, by = rng.uniform(0.2, 0.8), liaisons.get(code, (None,))[0]
            for u in (u for u in concerned if u.country_code == code):
                roll = rng.random()
                if roll < share:
                    done = min(today, released + dt.timedelta(days=rng.randint(1, due_days)))
                    comps.append({"bulletin_id": bid, "unit_id": u.id, "country_code": code, "status": "done",
                                  "done_on": done, "reason": None, "recorded_by": by,
                                  "recorded_at": _at(done, rng), "version": 1})
                elif roll < share + 0.05:
                    comps.append({"bulletin_id": bid, "unit_id": u.id, "country_code": code,
                                  "status": "not_applicable", "done_on": None, "reason": rng.choice(REASONS),
                                  "recorded_by": by,
                                  "recorded_at": _at(released + dt.timedelta(days=3), rng), "version": 1})
    for model, rows in ((ServiceBulletin, bulletins), (BulletinSerialRange, ranges), (BulletinRelease, rels),
                        (BulletinAcknowledgement, acks), (BulletinCompliance, comps)):
        for offset in range(0, len(rows), 5000):
            conn.execute(sa.insert(model.__table__), rows[offset:offset + 5000])  # type: ignore[union-attr]  # SQLModel does not declare __table__
    if conn.dialect.name == "postgresql" and bulletins:  # the ids were given: move the sequence on
        conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('service_bulletin', 'id'), "
                             "(SELECT max(id) FROM service_bulletin))")
    history.backfill(conn)  # the rows' history, as the pages would have written it
    return len(bulletins), len(comps)
