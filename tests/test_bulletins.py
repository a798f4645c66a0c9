"""Service bulletins (SPEC §13): numbering, applicability by serial range, releases seen on the
next request, acknowledgement per revision, compliance by the unit's own country, figures,
notifications and the due-soon job."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest

from tests.conftest import rows

API = "/api/v1/bulletins"


def _publish(client: Any, world: Any, **over: Any) -> dict[str, Any]:
    body = {"system_id": world.ids["k9"], "kind": "safety", "title": "Breech block pin",
            "body": "Replace the breech block retaining pin.", "compliance_due_days": 30, **over}
    r = client.post(API, json=body, headers=world.headers("staff"))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _release(client: Any, world: Any, bid: int, countries: list[str] | None = None) -> Any:
    return client.post(f"{API}/{bid}/releases", json={} if countries is None else {"countries": countries},
                       headers=world.headers("staff"))


def test_numbers_run_per_system_and_bad_input_writes_nothing(client, world, engine):
    a, b = _publish(client, world), _publish(client, world)
    k2 = _publish(client, world, system_id=world.ids["k2"], kind="information")
    assert (a["number"], b["number"], k2["number"]) == ("K9A1-SB-0001", "K9A1-SB-0002", "K2-SB-0001")
    before = rows(engine, "service_bulletin")
    r = client.post(API, headers=world.headers("staff"), json={
        "system_id": world.ids["k9"], "kind": "urgent", "title": "", "body": "x",
        "serial_ranges": [{"from": "K9-PL-002", "to": "K9-PL-000"}]})
    assert r.status_code == 422 and {"kind", "title"} <= set(r.get_json()["errors"]["json"])
    r = client.post(API, headers=world.headers("staff"), json={
        "system_id": world.ids["k9"], "kind": "safety", "title": "t", "body": "x",
        "serial_ranges": [{"from": "K9-PL-002", "to": "K9-PL-000"}]})
    assert r.status_code == 422 and "serial_ranges" in r.get_json()["errors"]
    assert rows(engine, "service_bulletin") == before
    assert client.post(API, json={"system_id": world.ids["k9"], "kind": "safety", "title": "t", "body": "b"},
                       headers=world.headers("pl")).status_code == 403


def test_default_release_is_every_country_with_an_applicable_unit(client, world):
    whole = _publish(client, world)
    polish = _publish(client, world, serial_ranges=[{"from": "K9-PL-000", "to": "K9-PL-001"}])
    assert [r["country"] for r in _release(client, world, whole["id"]).get_json()] == ["NO", "PL"]
    assert [r["country"] for r in _release(client, world, polish["id"]).get_json()] == ["PL"]
    units = client.get(f"{API}/{polish['id']}/compliance", headers=world.headers("staff")).get_json()
    assert [u["serial"] for u in units] == ["K9-PL-000", "K9-PL-001"]  # K9-PL-002 is outside
    k2 = _publish(client, world, system_id=world.ids["k2"])  # nobody has a K2 delivered
    r = _release(client, world, k2["id"])
    assert r.status_code == 422 and "countries" in r.get_json()["errors"]


def _seen(client: Any, world: Any, who: str, bid: int) -> dict[str, int]:
    h = world.headers(who)
    listed = [b["id"] for b in client.get(API, headers=h).get_json()]
    return {"listed": int(bid in listed),
            **{path: client.get(f"{API}/{bid}{path}", headers=h).status_code
               for path in ("", "/attachments", "/acknowledgements", "/compliance")},
            "figures": len(client.get(f"{API}/figures", headers=h,
                                      query_string={"bulletin": bid}).get_json())}


def test_releases_decide_who_sees_a_bulletin_from_the_next_request(client, world):
    b = _publish(client, world)
    bid = b["id"]
    r = client.post(f"{API}/{bid}/attachments", headers=world.headers("staff"),
                    data={"file": (io.BytesIO(b"%PDF-1.7 drawing\n"), "pin.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 201
    hidden = {"listed": 0, "": 404, "/attachments": 404, "/acknowledgements": 404, "/compliance": 404,
              "figures": 0}
    shown = {"listed": 1, "": 200, "/attachments": 200, "/acknowledgements": 200, "/compliance": 200,
             "figures": 1}
    assert _seen(client, world, "pl", bid) == _seen(client, world, "no", bid) == hidden  # not released
    assert _release(client, world, bid, ["PL"]).status_code == 200
    assert _seen(client, world, "pl", bid) == shown
    assert _seen(client, world, "no", bid) == hidden
    # Poland's answers name Poland alone
    detail = client.get(f"{API}/{bid}", headers=world.headers("pl")).get_json()
    assert [r["country"] for r in detail["releases"]] == ["PL"]
    assert _release(client, world, bid, ["NO"]).status_code == 200
    assert _seen(client, world, "no", bid) == shown
    detail = client.get(f"{API}/{bid}", headers=world.headers("pl")).get_json()
    assert [r["country"] for r in detail["releases"]] == ["PL"]  # never that Norway has it too
    units = client.get(f"{API}/{bid}/compliance", headers=world.headers("pl")).get_json()
    assert {u["country"] for u in units} == {"PL"}
    r = client.delete(f"{API}/{bid}/releases/PL", headers=world.headers("staff"))
    assert r.status_code == 200 and r.get_json()["withdrawn_at"]
    assert _seen(client, world, "pl", bid) == hidden
    assert _seen(client, world, "no", bid) == shown
    foreign = client.get(f"{API}/{bid}", headers=world.headers("pl"))
    missing = client.get(f"{API}/999999", headers=world.headers("pl"))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json()["status"] == missing.get_json()["status"]
    assert set(foreign.get_json()) == set(missing.get_json())
    # released again: seen again; the withdrawal and the release are on the audit trail
    assert _release(client, world, bid, ["PL"]).status_code == 200
    assert _seen(client, world, "pl", bid) == shown
    audit = client.get("/api/v1/audit", headers=world.headers("admin"),
                       query_string={"entity": "bulletin_release", "page_size": 100}).get_json()
    assert len([e for e in audit if e["entity"] == "bulletin_release"]) >= 4


def test_acknowledgement_per_revision_keeps_history(client, world, engine):
    bid = _publish(client, world)["id"]
    _release(client, world, bid)
    h = world.headers("pl")
    r = client.post(f"{API}/{bid}/acknowledgements", headers=h)
    assert r.status_code == 201 and r.get_json()["revision"] == 1 and r.get_json()["user_name"] == "pl"
    assert client.post(f"{API}/{bid}/acknowledgements", headers=h).status_code == 409
    assert client.post(f"{API}/{bid}/acknowledgements", headers=world.headers("staff")).status_code == 403
    mine = client.get(f"{API}/{bid}", headers=h).get_json()["releases"]
    assert mine[0]["acknowledged_by"] == "pl"
    etag = client.get(f"{API}/{bid}", headers=world.headers("staff")).headers["ETag"]
    assert client.patch(f"{API}/{bid}", json={"body": "x"}, headers=world.headers("staff")).status_code == 428
    r = client.patch(f"{API}/{bid}", json={"revision_note": "nothing"},
                     headers={**world.headers("staff"), "If-Match": etag})
    assert r.status_code == 422 and "body" in r.get_json()["errors"]
    r = client.patch(f"{API}/{bid}", json={"body": "Replace the pin and the spring.",
                                           "revision_note": "spring added"},
                     headers={**world.headers("staff"), "If-Match": etag})
    assert r.status_code == 200 and r.get_json()["revision"] == 2
    assert client.patch(f"{API}/{bid}", json={"body": "y"},
                        headers={**world.headers("staff"), "If-Match": etag}).status_code == 412
    after = client.get(f"{API}/{bid}", headers=h).get_json()
    assert after["acknowledged"] is False and after["releases"][0]["acknowledged_at"] is None
    assert client.post(f"{API}/{bid}/acknowledgements", headers=h).get_json()["revision"] == 2
    history = client.get(f"{API}/{bid}/acknowledgements", headers=h).get_json()
    assert [(a["country"], a["revision"]) for a in history] == [("PL", 1), ("PL", 2)]
    staff_history = client.get(f"{API}/{bid}/acknowledgements", headers=world.headers("staff")).get_json()
    assert len(staff_history) == 2  # Norway has acknowledged nothing yet
    import sqlalchemy as sa

    with engine.connect() as conn:
        kinds = [k for (k,) in conn.execute(sa.text(
            "SELECT kind FROM notification WHERE recipient = 'no@example.org' ORDER BY id"))]
    assert kinds == ["bulletin_released", "bulletin_revised"]


def test_compliance_only_by_the_units_country(client, world, engine):
    bid = _publish(client, world, serial_ranges=[{"from": "K9-NO-000", "to": "K9-NO-999"},
                                                 {"from": "K9-PL-000", "to": "K9-PL-001"}])["id"]
    _release(client, world, bid)
    pl_units, no_unit = world.ids["units_PL"], world.ids["unit_NO"]
    h = world.headers("pl")
    url = f"{API}/{bid}/compliance"
    r = client.put(f"{url}/{pl_units[0]}", json={"status": "done", "done_on": "2026-11-30"}, headers=h)
    assert r.status_code == 200 and r.get_json()["status"] == "done"
    assert client.put(f"{url}/{pl_units[0]}", json={"status": "pending"}, headers=h).status_code == 428
    before = rows(engine, "bulletin_compliance")
    assert client.put(f"{url}/{no_unit}", json={"status": "done", "done_on": "2026-11-30"},
                      headers=h).status_code == 404  # another country's unit: as if missing
    assert client.put(f"{url}/{no_unit}", json={"status": "done", "done_on": "2026-11-30"},
                      headers=world.headers("staff")).status_code == 403
    r = client.put(f"{url}/{pl_units[1]}", json={"status": "not_applicable"}, headers=h)
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    r = client.put(f"{url}/{pl_units[1]}", json={"status": "done"}, headers=h)
    assert r.status_code == 422 and "done_on" in r.get_json()["errors"]
    r = client.put(f"{url}/{pl_units[2]}", json={"status": "done", "done_on": "2026-11-30"}, headers=h)
    assert r.status_code == 422 and "unit_id" in r.get_json()["errors"]  # outside the ranges
    assert rows(engine, "bulletin_compliance") == before
    r = client.put(f"{url}/{pl_units[1]}", json={"status": "not_applicable", "reason": "in depot, stripped"},
                   headers=h)
    assert r.status_code == 200
    staff = {f["country"]: f for f in client.get(f"{API}/figures", headers=world.headers("staff")).get_json()}
    pl = staff["PL"]
    assert (pl["units"], pl["done"], pl["not_applicable"], pl["pending"]) == (2, 1, 1, 0)
    assert staff["PL"]["complied_share"] == 100.0
    assert (staff["NO"]["units"], staff["NO"]["pending"], staff["NO"]["complied_share"]) == (3, 3, 0.0)
    assert [f["country"] for f in client.get(f"{API}/figures", headers=h).get_json()] == ["PL"]


def test_information_bulletins_take_no_compliance(client, world):
    bid = _publish(client, world, kind="information")["id"]
    _release(client, world, bid)
    r = client.put(f"{API}/{bid}/compliance/{world.ids['unit_PL']}", json={"status": "done",
                   "done_on": "2026-11-30"}, headers=world.headers("pl"))
    assert r.status_code == 409


def test_overdue_compliance_and_the_due_soon_job_once(app, client, world, engine):
    import sqlalchemy as sa

    from schedules.bulletins import run_bulletin_jobs

    bid = _publish(client, world, compliance_due_days=5)["id"]
    _release(client, world, bid, ["PL", "NO"])
    client.put(f"{API}/{bid}/compliance/{world.ids['units_NO'][0]}",
               json={"status": "done", "done_on": "2026-11-30"}, headers=world.headers("no"))
    assert run_bulletin_jobs(app)["due_soon"] == 2  # each country's liaison: units still pending
    assert run_bulletin_jobs(app)["due_soon"] == 0  # run again: told once
    with engine.connect() as conn:
        told = sorted(r for (r,) in conn.execute(sa.text(
            "SELECT recipient FROM notification WHERE kind = 'bulletin_due'")))
    assert told == ["no@example.org", "pl@example.org"]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=6)
    from service.core.db import session_scope
    from service.domain.bulletins import compliance
    with session_scope(engine) as s:
        figures = {f["country"]: f for f in compliance.figures(session=s, now=later)}
    assert (figures["PL"]["overdue"], figures["NO"]["overdue"]) == (3, 2)
    assert run_bulletin_jobs(app, now=later)["due_soon"] == 0  # past due: no more "due soon"


@pytest.mark.parametrize("kind", ["image/png"])
def test_attachments_go_through_the_checked_upload(client, world, kind, engine):
    bid = _publish(client, world)["id"]
    before = rows(engine, "bulletin_attachment")
    r = client.post(f"{API}/{bid}/attachments", headers=world.headers("staff"),
                    data={"file": (io.BytesIO(b"MZ not a picture"), "pin.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.get_json()["errors"]
    assert rows(engine, "bulletin_attachment") == before
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 32
    r = client.post(f"{API}/{bid}/attachments", headers=world.headers("staff"),
                    data={"file": (io.BytesIO(png), "pin.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 201 and r.get_json()["content_type"] == kind
    _release(client, world, bid, ["PL"])
    fid = r.get_json()["id"]
    got = client.get(f"{API}/{bid}/attachments/{fid}", headers=world.headers("pl"))
    assert got.status_code == 200 and got.data == png
    assert client.get(f"{API}/{bid}/attachments/{fid}", headers=world.headers("no")).status_code == 404


def test_the_scoping_point_refuses_a_liaisons_writes_outside_the_release(world, engine):
    """Below the API: a Polish session cannot acknowledge a bulletin not released to Poland,
    release one to itself, or change a bulletin, whatever code asks."""
    from models import BulletinAcknowledgement, BulletinRelease, ServiceBulletin
    from service.core.db import SCOPE_KEY, ScopeViolation, session_scope
    from tests import factories

    only_no = factories.add_bulletin(engine, world, countries=["NO"], title="Norway only")
    shared = factories.add_bulletin(engine, world, countries=["PL", "NO"], title="Both")
    attempts = [
        lambda s: s.add(BulletinAcknowledgement(bulletin_id=only_no, country_code="PL", revision=1,
                                                user_name="pl")),
        lambda s: s.add(BulletinRelease(bulletin_id=only_no, country_code="PL",
                                        due_at=dt.datetime.now(dt.UTC))),
        lambda s: setattr(s.get(ServiceBulletin, shared), "title", "changed by a liaison"),
    ]
    for attempt in attempts:
        with pytest.raises(ScopeViolation), session_scope(engine) as s:
            s.info[SCOPE_KEY] = "PL"
            attempt(s)
            s.flush()
    assert rows(engine, "bulletin_acknowledgement") == 0
    with session_scope(engine) as s:  # the shared one: Poland may acknowledge it
        s.info[SCOPE_KEY] = "PL"
        s.add(BulletinAcknowledgement(bulletin_id=shared, country_code="PL", revision=1, user_name="pl"))
    assert rows(engine, "bulletin_acknowledgement") == 1


def test_bulletins_published_at_once_take_distinct_numbers(world, engine):
    """The system's row is locked while a number is taken: concurrent publishers queue."""
    import threading

    from models import ServiceBulletin
    from tests import factories

    errors: list[BaseException] = []

    def publish(n: int) -> None:
        try:
            factories.add_bulletin(engine, world, countries=None, title=f"Concurrent {n}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    import sqlalchemy as sa

    with engine.connect() as conn:
        numbers = sorted(conn.scalars(sa.select(ServiceBulletin.number)))
    assert numbers == [f"K9A1-SB-{n:04d}" for n in range(1, 7)]


def test_a_liaison_sees_only_the_serial_ranges_covering_their_units(client, world, engine):
    """Another country's serials never reach a liaison: of a bulletin's ranges they see those
    covering their own units; a bulletin none of whose ranges does concerns none of their units."""
    both = _publish(client, world, serial_ranges=[{"from": "K9-NO-000", "to": "K9-NO-999"},
                                                  {"from": "K9-PL-000", "to": "K9-PL-001"}])["id"]
    norwegian = _publish(client, world, serial_ranges=[{"from": "K9-NO-000", "to": "K9-NO-999"}])["id"]
    _release(client, world, both)
    assert _release(client, world, norwegian, ["PL", "NO"]).status_code == 200
    seen = {who: client.get(f"{API}/{both}", headers=world.headers(who)).get_json()["serial_ranges"]
            for who in ("staff", "pl", "no")}
    assert seen["staff"] == [{"from": "K9-NO-000", "to": "K9-NO-999"},
                             {"from": "K9-PL-000", "to": "K9-PL-001"}]
    assert seen["pl"] == [{"from": "K9-PL-000", "to": "K9-PL-001"}]
    assert seen["no"] == [{"from": "K9-NO-000", "to": "K9-NO-999"}]
    listed = {b["id"]: b for b in client.get(API, headers=world.headers("pl")).get_json()}
    assert listed[norwegian]["serial_ranges"] == [] and listed[norwegian]["limited_to_ranges"] is True
    assert "K9-NO" not in client.get(API, headers=world.headers("pl")).get_data(as_text=True)
    # ... and it concerns none of Poland's units: not the whole system
    assert client.get(f"{API}/{norwegian}/compliance", headers=world.headers("pl")).get_json() == []
    r = client.put(f"{API}/{norwegian}/compliance/{world.ids['units_PL'][0]}",
                   json={"status": "done", "done_on": "2026-11-30"}, headers=world.headers("pl"))
    assert r.status_code == 422 and "unit_id" in r.get_json()["errors"]
    figures = client.get(f"{API}/figures?bulletin={norwegian}", headers=world.headers("pl")).get_json()
    assert [(f["country"], f["units"]) for f in figures] == [("PL", 0)]


def test_a_serial_range_covers_one_countrys_units(client, world, engine):
    before = rows(engine, "bulletin_serial_range"), rows(engine, "service_bulletin")
    r = client.post(API, headers=world.headers("staff"), json={
        "system_id": world.ids["k9"], "kind": "safety", "title": "t", "body": "x",
        "serial_ranges": [{"from": "K9-NO-000", "to": "K9-PL-000"}]})
    assert r.status_code == 422
    assert r.get_json()["errors"]["serial_ranges"] == ["range 1 covers units of NO, PL: split it by country"]
    bid = _publish(client, world, serial_ranges=[{"from": "K9-PL-000", "to": "K9-PL-001"}])["id"]
    etag = client.get(f"{API}/{bid}", headers=world.headers("staff")).headers["ETag"]
    r = client.patch(f"{API}/{bid}", json={"serial_ranges": [{"from": "K9-NO-000", "to": "K9-PL-999"}]},
                     headers={**world.headers("staff"), "If-Match": etag})
    assert r.status_code == 422 and "serial_ranges" in r.get_json()["errors"]
    after = client.get(f"{API}/{bid}", headers=world.headers("staff")).get_json()
    assert after["serial_ranges"] == [{"from": "K9-PL-000", "to": "K9-PL-001"}] and after["revision"] == 1
    assert (rows(engine, "bulletin_serial_range"), rows(engine, "service_bulletin")) == (
        before[0] + 1, before[1] + 1)  # the refused bulletin and revision wrote nothing


def test_a_unit_never_enters_another_countrys_serial_range(client, world, engine):
    """Delivered or re-serialled into a range covering Norwegian units, a Polish unit would show
    Poland that range's Norwegian serials: refused, and nothing written."""
    _publish(client, world, serial_ranges=[{"from": "K9-NO-000", "to": "K9-NO-999"}])
    h = world.headers("staff")
    base = {"system_id": world.ids["k9"], "contract_id": world.ids["contract_PL"]}
    before = rows(engine, "unit")
    r = client.post("/api/v1/units", headers=h, json={**base, "serial": "K9-NO-500"})
    assert r.status_code == 422
    assert r.get_json()["errors"]["serial"] == [
        "inside K9-NO-000 to K9-NO-999 of bulletin K9A1-SB-0001, which covers another country's units"]
    assert rows(engine, "unit") == before
    url = f"/api/v1/units/{world.ids['units_PL'][0]}"
    etag = client.get(url, headers=h).headers["ETag"]
    r = client.patch(url, json={"serial": "K9-NO-123"}, headers={**h, "If-Match": etag})
    assert r.status_code == 422 and "serial" in r.get_json()["errors"]
    assert client.get(url, headers=h).get_json()["serial"] == "K9-PL-000"
    assert client.post("/api/v1/units", headers=h, json={**base, "serial": "K9-PL-500"}).status_code == 201


def test_the_range_refusals_are_in_the_requests_language(client, world):
    ko = {**world.headers("staff"), "Accept-Language": "ko"}
    r = client.post(API, headers=ko, json={
        "system_id": world.ids["k9"], "kind": "safety", "title": "t", "body": "x",
        "serial_ranges": [{"from": "K9-PL-000", "to": "K9-PL-001"},
                          {"from": "K9-NO-000", "to": "K9-PL-000"}]})
    assert r.status_code == 422
    assert r.get_json()["message"] == "일련번호 범위 하나는 한 국가의 장비만 포함할 수 있습니다"
    assert r.get_json()["errors"]["serial_ranges"] == [
        "범위 2에 NO, PL의 장비가 함께 포함됩니다: 국가별로 나누십시오"]
    _publish(client, world, serial_ranges=[{"from": "K9-NO-000", "to": "K9-NO-999"}])
    r = client.post("/api/v1/units", headers=ko, json={
        "system_id": world.ids["k9"], "contract_id": world.ids["contract_PL"], "serial": "K9-NO-5 b"})
    assert r.status_code == 422 and r.get_json()["errors"]["serial"] == [
        "다른 국가 장비를 포함하는 기술회보 K9A1-SB-0001의 범위 K9-NO-000–K9-NO-999 안에 있습니다"]
