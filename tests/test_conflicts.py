"""Double bookings: half-open windows, time zones, DST, series, and two writers racing."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest

from service.core.db import session_scope
from service.domain import services
from service.domain.errors import Conflict
from tests import factories
from tests.conftest import QueryCounter, rows

UTC = dt.UTC
T0 = dt.datetime(2030, 5, 6, 8, 0, tzinfo=UTC)


def _post(client, world, start, end, *, staff=(), units=(), **extra):
    return client.post("/api/v1/events", headers=world.headers("staff"), json={
        "kind": "tech_education", "title": "FA-50 avionics course", "country": "PL",
        "system_id": world.ids["k9"], "starts_at": start.isoformat(), "ends_at": end.isoformat(),
        "staff": [{"id": s} for s in staff], "unit_ids": list(units), **extra})


@pytest.mark.parametrize("start, end, clash", [
    (T0 + dt.timedelta(hours=8), T0 + dt.timedelta(hours=10), False),   # starts when the other ends
    (T0 - dt.timedelta(hours=2), T0, False),                            # ends when the other starts
    (T0 + dt.timedelta(hours=7), T0 + dt.timedelta(hours=9), True),     # overlaps the end
    (T0 - dt.timedelta(hours=1), T0 + dt.timedelta(minutes=1), True),   # overlaps the start
    (T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=2), True),     # inside
    (T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=1), True),       # around
])
def test_half_open_overlap(client, world, engine, start, end, clash):
    staff = factories.add_staff(engine)
    first = factories.add_event(engine, world, starts_at=T0, hours=8, staff=[staff])
    r = _post(client, world, start, end, staff=[staff])
    if clash:
        assert r.status_code == 409, r.get_json()
        assert r.get_json()["conflicts"][0] | {"starts_at": None, "ends_at": None,
                                                 "occurrence_starts_at": None} == {
            "event_id": first, "resource": "staff", "id": staff, "name": "Park Ji-hoon",
            "starts_at": None, "ends_at": None, "occurrence_starts_at": None}
    else:
        assert r.status_code == 201, r.get_json()


def test_windows_given_in_different_time_zones_are_compared_as_instants(client, world, engine):
    unit = world.ids["unit_PL"]
    factories.add_event(engine, world, starts_at=T0, hours=8, units=[unit])  # 08:00-16:00 UTC
    seoul = ZoneInfo("Asia/Seoul")  # 16:00 UTC is 01:00 next day in Seoul
    r = _post(client, world, dt.datetime(2030, 5, 7, 1, 0, tzinfo=seoul),
              dt.datetime(2030, 5, 7, 3, 0, tzinfo=seoul), units=[unit])
    assert r.status_code == 201, r.get_json()
    r = _post(client, world, dt.datetime(2030, 5, 7, 0, 59, tzinfo=seoul),
              dt.datetime(2030, 5, 7, 3, 0, tzinfo=seoul), units=[unit])
    assert r.status_code == 409 and r.get_json()["conflicts"][0]["resource"] == "unit"
    assert r.get_json()["conflicts"][0]["name"] == "K9-PL-000"


def test_across_a_dst_change(client, world, engine):
    """Warsaw leaves summer time on 2030-10-27: 02:00-03:00 local happens twice."""
    staff = factories.add_staff(engine)
    waw = ZoneInfo("Europe/Warsaw")
    # 00:00 local (22:00 UTC the day before) to 02:30 local *after* the change (01:30 UTC)
    start = dt.datetime(2030, 10, 27, 0, 0, tzinfo=waw)
    end = dt.datetime(2030, 10, 27, 2, 30, fold=1, tzinfo=waw)
    assert end.astimezone(UTC) - start.astimezone(UTC) == dt.timedelta(hours=3, minutes=30)
    assert _post(client, world, start, end, staff=[staff]).status_code == 201
    # 02:30 local before the change is 00:30 UTC: inside the first event.
    r = _post(client, world, dt.datetime(2030, 10, 27, 2, 30, fold=0, tzinfo=waw),
              dt.datetime(2030, 10, 27, 2, 45, fold=0, tzinfo=waw), staff=[staff])
    assert r.status_code == 409
    # 01:30 UTC onward (the end, half-open) is free.
    assert _post(client, world, end.astimezone(UTC), end.astimezone(UTC) + dt.timedelta(hours=1),
                 staff=[staff]).status_code == 201


def test_cancelled_events_do_not_block_but_postponed_ones_do(client, world, engine):
    staff = factories.add_staff(engine)
    factories.add_event(engine, world, starts_at=T0, staff=[staff], status="cancelled")
    assert _post(client, world, T0, T0 + dt.timedelta(hours=1), staff=[staff]).status_code == 201
    other = factories.add_staff(engine, "Kang Min-seo")
    factories.add_event(engine, world, starts_at=T0 + dt.timedelta(days=2), staff=[other],
                        status="postponed")
    r = _post(client, world, T0 + dt.timedelta(days=2), T0 + dt.timedelta(days=2, hours=1), staff=[other])
    assert r.status_code == 409


def test_reschedule_and_reassign_are_checked(client, world, engine):
    a, b = factories.add_staff(engine, "A"), factories.add_staff(engine, "B")
    busy = factories.add_event(engine, world, starts_at=T0, staff=[a])
    mine = factories.add_event(engine, world, starts_at=T0 + dt.timedelta(days=1), staff=[b])
    h = world.headers("staff", **{"If-Match": "1"})
    r = client.patch(f"/api/v1/events/{mine}", headers=h, json={"staff": [{"id": a}, {"id": b}]})
    assert r.status_code == 200  # a is free a day later
    r = client.patch(f"/api/v1/events/{mine}", headers=world.headers("staff", **{"If-Match": "2"}),
                     json={"starts_at": (T0 + dt.timedelta(hours=4)).isoformat()})
    assert r.status_code == 409
    assert {(c["event_id"], c["id"]) for c in r.get_json()["conflicts"]} == {(busy, a)}
    # Moving an event within its own window never clashes with itself.
    r = client.patch(f"/api/v1/events/{busy}", headers=h,
                     json={"ends_at": (T0 + dt.timedelta(hours=9)).isoformat()})
    assert r.status_code == 200


def test_one_query_per_resource_type_whatever_the_count(engine, world):
    staff = [factories.add_staff(engine, f"S{i}") for i in range(6)]
    with session_scope(engine) as s:
        from service.domain.conflicts import find_conflicts

        windows = [(T0 + dt.timedelta(days=7 * i), T0 + dt.timedelta(days=7 * i, hours=8))
                   for i in range(20)]
        with QueryCounter(engine) as q:
            find_conflicts(s, windows=windows, staff_ids=staff, unit_ids=world.ids["units_PL"])
        assert q.count == 2


def test_series_keeps_local_time_across_dst_and_is_all_or_nothing(client, world, engine):
    staff = factories.add_staff(engine)
    # Weekly at 09:00 Warsaw time, across the end of summer time on 2030-10-27.
    start = dt.datetime(2030, 10, 14, 9, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    # A clash on the third occurrence (28 October, 08:00 UTC after the change).
    clash = factories.add_event(engine, world, starts_at=dt.datetime(2030, 10, 28, 8, 30, tzinfo=UTC),
                                hours=1, staff=[staff])
    before = rows(engine, "service_event")
    r = _post(client, world, start, start + dt.timedelta(hours=8), staff=[staff],
              recurrence="FREQ=WEEKLY;COUNT=4")
    assert r.status_code == 409
    assert [(c["event_id"], c["occurrence_starts_at"]) for c in r.get_json()["conflicts"]] == [
        (clash, "2030-10-28T08:00:00+00:00")]
    assert rows(engine, "service_event") == before and rows(engine, "event_staff") == 1
    r = _post(client, world, start, start + dt.timedelta(hours=8), recurrence="FREQ=WEEKLY;COUNT=4")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert len(body["series_event_ids"]) == 4 and body["id"] == body["series_event_ids"][0]
    assert r.headers["X-Series-Events"] == ",".join(map(str, body["series_event_ids"]))
    series = client.get("/api/v1/events", headers=world.headers("staff"),
                        query_string={"series": body["series_id"]}).get_json()
    assert [e["starts_at_local"][11:16] for e in series] == ["09:00"] * 4
    assert [e["starts_at"][11:13] for e in series] == ["07", "07", "08", "08"]
    # Each occurrence moves alone.
    third = series[2]
    r = client.post(f"/api/v1/events/{third['id']}/transition",
                    headers=world.headers("staff", **{"If-Match": "1"}),
                    json={"status": "cancelled", "reason": "National holiday"})
    assert r.status_code == 200
    statuses = [e["status"] for e in client.get("/api/v1/events", headers=world.headers("staff"),
                                                 query_string={"series": body["series_id"]}).get_json()]
    assert statuses == ["planned", "planned", "cancelled", "planned"]


@pytest.mark.parametrize("rule, message", [
    ("FREQ=DAILY", "at most 100"),
    ("FREQ=DAILY;COUNT=101", "at most 100"),
    ("FREQ=HOURLY;COUNT=3", "overlap"),
])
def test_series_limits(client, world, engine, rule, message):
    r = _post(client, world, T0, T0 + dt.timedelta(hours=8), recurrence=rule)
    assert r.status_code == 422 and message in r.get_json()["errors"]["recurrence"][0]
    assert rows(engine, "service_event") == 0


def test_series_until_in_utc(client, world):
    r = _post(client, world, T0, T0 + dt.timedelta(hours=8),
              recurrence="FREQ=MONTHLY;INTERVAL=3;UNTIL=20311231T000000Z")
    assert r.status_code == 201, r.get_json()
    assert len(r.get_json()["series_event_ids"]) == 7


def test_two_writers_race_for_the_same_staff_member(engine, world):
    """Each thread has its own session and connection; exactly one booking may win."""
    staff = factories.add_staff(engine)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def book(offset_hours: int) -> None:
        barrier.wait()
        try:
            with session_scope(engine, actor=(None, f"racer{offset_hours}")) as s:
                services.schedule_event(session=s, data={
                    "kind": "trial_run", "title": f"race {offset_hours}", "country_code": "PL",
                    "system_id": world.ids["k9"], "starts_at": T0 + dt.timedelta(hours=offset_hours),
                    "ends_at": T0 + dt.timedelta(hours=offset_hours + 4), "staff": [{"id": staff}]})
            results.append("won")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=book, args=(h,)) for h in (0, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["conflict", "won"]
    assert rows(engine, "event_staff") == 1
