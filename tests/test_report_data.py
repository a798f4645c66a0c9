"""A month's report shows that month: fleet and action counts as of the period's end."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from models import CorrectiveAction
from service.core.db import session_scope
from service.domain import periods, registry, report_data
from tests import factories

PERIOD = "2026-10"
END = periods.bounds(PERIOD)[1]  # 1 November 00:00 UTC


def _action(engine, world, *, opened: dt.datetime, due: dt.date, closed: dt.datetime | None = None) -> int:
    event = factories.add_event_row(engine, country="PL", system_id=world.ids["k9"],
                                    starts_at=opened - dt.timedelta(days=1), title="Follow-up source")
    response = factories.add_response_row(engine, event_id=event, period=periods.of(opened),
                                          overall=1, recommend=0)
    return factories.add_action_row(engine, response_id=response, due_on=due, opened_at=opened,
                                    status="closed" if closed else "open", closed_at=closed)


def _reports(engine, now: dt.datetime) -> tuple[dict, dict]:
    with Session(engine) as s:
        country = report_data.country_monthly(session=s, country_code="PL", period=PERIOD, now=now,
                                              revision=1, marking="UNCLASSIFIED")
        hq = report_data.hq_monthly(session=s, period=PERIOD, now=now, revision=1,
                                    marking="UNCLASSIFIED", timezone="UTC")
    return country, hq


def test_a_months_report_counts_actions_and_fleet_as_of_the_months_end(engine, world):
    month = factories.add_report_month(engine, world, PERIOD)  # one action, overdue since 21 Oct
    with session_scope(engine) as s:  # ... and closed in November: still overdue on 31 October
        logistics = s.get(CorrectiveAction, month["action"])
        logistics.status, logistics.closed_at = "closed", END + dt.timedelta(days=19)
    _action(engine, world, opened=END - dt.timedelta(days=29), due=dt.date(2026, 11, 30),
            closed=END + dt.timedelta(days=2))  # open on 31 October, not yet due
    _action(engine, world, opened=END - dt.timedelta(days=28), due=dt.date(2026, 10, 20),
            closed=END - dt.timedelta(days=21))  # opened and closed in October
    _action(engine, world, opened=END + dt.timedelta(days=29, hours=9), due=dt.date(2026, 12, 2))
    _action(engine, world, opened=END - dt.timedelta(days=5), due=dt.date(2026, 10, 31))  # due that day

    with session_scope(engine) as s:  # a unit delivered after the month
        registry.create_unit(session=s, data={
            "serial": "K9-PL-NEW", "system_id": world.ids["k9"], "contract_id": world.ids["contract_PL"],
            "delivered_on": dt.date(2026, 11, 15), "warranty_ends_on": dt.date(2028, 11, 15)})

    country, hq = _reports(engine, now=dt.datetime(2026, 12, 1, 6, tzinfo=dt.UTC))
    actions = country["actions"]
    assert (actions["opened"], actions["closed"], actions["open"], actions["overdue"]) == (4, 1, 3, 1)
    assert actions["overdue_items"] == [{"title": "Spare parts logistics review", "due_on": "2026-10-21",
                                         "days_late": 10}]  # on 31 October, the day it is as of
    k9 = next(line for line in country["fleet"] if line["system_code"] == "K9A1")
    assert k9["delivered"] == 3 and country["as_of"] == "2026-10-31"
    assert next(r for r in hq["countries"] if r["code"] == "PL")["overdue"] == 1
    assert hq["as_of"] == "2026-10-31"
    # Regenerated later, the same month gives the same figures.
    later, later_hq = _reports(engine, now=dt.datetime(2027, 3, 1, tzinfo=dt.UTC))
    assert (later["actions"], later["fleet"]) == (actions, country["fleet"])
    assert later_hq["countries"] == hq["countries"]


def test_the_current_month_counts_as_of_now(engine, world):
    now = dt.datetime(2026, 10, 25, 12, tzinfo=dt.UTC)
    _action(engine, world, opened=now - dt.timedelta(days=10), due=dt.date(2026, 10, 20))
    _action(engine, world, opened=now + dt.timedelta(days=1), due=dt.date(2026, 10, 28))  # not yet
    country, _ = _reports(engine, now=now)
    assert (country["actions"]["open"], country["actions"]["overdue"]) == (1, 1)
    assert country["as_of"] == "2026-10-25"


def test_a_months_services_are_counted_and_listed_as_they_stood_at_its_end(engine, world):
    from models import ServiceEvent

    k9 = world.ids["k9"]
    across = factories.add_event_row(engine, country="PL", system_id=k9, starts_at=END - dt.timedelta(days=2),
                                     hours=72, participants=7, title="Exercise across the month's end")
    ahead = factories.add_event_row(engine, country="PL", system_id=k9, starts_at=END + dt.timedelta(days=2),
                                    participants=5, title="Trial early next month")
    late = factories.add_event_row(engine, country="PL", system_id=k9, starts_at=END + dt.timedelta(days=3),
                                   status="planned", title="Planned only after the month")
    called_off = factories.add_event_row(engine, country="PL", system_id=k9, status="cancelled",
                                         starts_at=END + dt.timedelta(days=4), title="Called off later")
    retitled = factories.add_event_row(engine, country="PL", system_id=k9, status="cancelled",
                                       starts_at=END - dt.timedelta(days=6),
                                       title="Cancelled, retitled later")
    with session_scope(engine) as s:  # cancelled in the month, its title mended after it
        row = s.get(ServiceEvent, retitled)
        row.cancelled_at, row.updated_at = END - dt.timedelta(days=8), END + dt.timedelta(days=3)
    with session_scope(engine) as s:  # completed, planned and cancelled after the month had ended
        s.get(ServiceEvent, across).completed_at = END + dt.timedelta(days=1)
        s.get(ServiceEvent, ahead).completed_at = END + dt.timedelta(days=2, hours=9)
        s.get(ServiceEvent, late).created_at = END + dt.timedelta(days=1)
        s.get(ServiceEvent, called_off).updated_at = END + dt.timedelta(days=1)

    country, hq = _reports(engine, now=END + dt.timedelta(days=30))
    summary = country["summary"]
    assert (summary["completed"], summary["trainees"], summary["cancelled"]) == (0, 0, 1)  # one running then
    month = {r["title"]: r["status"] for r in country["services_month"]["rows"]}
    assert month == {"Exercise across the month's end": "in progress",
                     "Cancelled, retitled later": "cancelled"}
    ahead_then = [r["title"] for r in country["services_next"]["rows"]]
    assert ahead_then == ["Trial early next month", "Called off later"]  # as they were planned then
    pl = next(r for r in hq["countries"] if r["code"] == "PL")
    assert pl["completed"] == 0
