"""Demo people trained and packages: rosters, results, certificates in all three states, a
package on every contract with overdue and disputed lines."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session

from service.domain.packages.lines import line_states
from service.domain.training.certificates import status_of
from tests.conftest import DEMO_DAY

TODAY = DEMO_DAY  # the day `demo_small` is seeded as of


def test_demo_training_and_packages_look_real(engine, demo_small):
    with engine.connect() as conn:
        q = lambda sql: conn.execute(sa.text(sql)).all()  # noqa: E731
        rosters = dict(q("SELECT country_code, count(*) FROM trainee GROUP BY country_code"))
        results = dict(q("SELECT result, count(*) FROM nomination WHERE result IS NOT NULL GROUP BY result"))
        open_seats = q("SELECT count(*) FROM nomination n JOIN service_event e ON e.id = n.event_id "
                       "WHERE e.status IN ('planned', 'confirmed')")[0][0]
        until = [r[0] for r in q("SELECT valid_until FROM certificate")]
        passes = q("SELECT count(*) FROM nomination WHERE result = 'passed'")[0][0]
        mismatch = q("SELECT count(*) FROM service_event e WHERE e.status = 'completed' AND EXISTS "
                     "(SELECT 1 FROM nomination n WHERE n.event_id = e.id) AND e.participants_actual != "
                     "(SELECT count(*) FROM nomination n WHERE n.event_id = e.id "
                     "AND n.result IN ('passed', 'failed', 'attended'))")[0][0]
        contracts = q("SELECT count(*) FROM contract")[0][0]
        with_package = q("SELECT count(DISTINCT contract_id) FROM package_line")[0][0]
        deliveries = dict(q("SELECT status, count(*) FROM delivery GROUP BY status"))
        counted_services = q("SELECT count(*) FROM delivery WHERE event_id IS NOT NULL")[0][0]
        other_system = q("SELECT count(*) FROM delivery d JOIN package_line l ON l.id = d.line_id "
                         "JOIN service_event e ON e.id = d.event_id WHERE e.system_id != l.system_id")[0][0]
    assert len(rosters) >= 5 and min(rosters.values()) >= 12
    assert {"passed", "failed", "attended", "absent"} <= set(results) and open_seats > 0
    assert len(until) == passes and mismatch == 0
    states = {status_of(dt.date.fromisoformat(str(u)), TODAY) for u in until}
    assert states == {"valid", "expiring", "expired"}
    assert with_package == contracts
    assert {"accepted", "pending", "disputed", "answered"} <= set(deliveries) and counted_services > 0
    assert other_system == 0  # a K2 line is delivered by K2 services only
    with Session(engine) as s:
        line_states_seen = {line["state"] for line in line_states(session=s, today=TODAY)}
    assert {"overdue", "accepted", "planned"} <= line_states_seen
