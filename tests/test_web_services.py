"""The services and requests pages through Flask's test client: forms, conflicts, lifecycle, scope."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from models import ServiceEvent, ServiceRequest, Survey
from tests import factories
from tests.test_web_pages import NORWAY, csrf, sign_in


def count(engine: sa.Engine, model: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)


def new_form(client: Any, world: Any, **fields: Any) -> dict[str, Any]:
    return {"csrf_token": csrf(client, "/services"), "kind": "joint_training", "title": "K9A1 gunnery week",
            "starts_at": "2030-03-04T09:00", "ends_at": "2030-03-04T17:00", "timezone": "",
            "location": "Torun", "capacity": "20", "participants_planned": "12", "objectives": "", **fields}


def test_staff_schedule_a_service_hit_a_conflict_fix_it_and_complete_it(client, world, engine):
    busy = factories.add_staff(engine, "Kim Min-jun")
    other = factories.add_event(engine, world, staff=[busy], title="Earlier booking")
    sign_in(client, "staff")
    step = client.get("/services/new")
    assert step.status_code == 200 and "Step 1 of 2" in step.get_data(as_text=True)
    url = f"/services/new?country=PL&system_id={world.ids['k9']}"
    page = client.get(url).get_data(as_text=True)
    assert "K9-PL-000" in page and "K9-NO-000" not in page  # that country's units of that system
    assert 'value="Europe/Warsaw"' in page
    form = new_form(client, world, staff=[str(busy)], lead=str(busy), unit_ids=[str(world.ids["unit_PL"])])
    r = client.post(url, data=form)
    page = r.get_data(as_text=True)
    assert r.status_code == 409
    assert re.search(r'id="staff-error">Kim Min-jun is booked for service \d+', page)
    assert f'href="/services/{other}">service {other}</a>' in page  # the clash, linked
    assert 'value="K9A1 gunnery week"' in page and 'value="2030-03-04T09:00"' in page  # kept as typed
    assert f'<option value="{busy}" selected>' in page
    assert count(engine, ServiceEvent) == 1
    r = client.post(url, data={**form, "starts_at": "2030-03-05T09:00", "ends_at": "2030-03-05T17:00"})
    assert r.status_code == 302
    event_id = int(r.location.rsplit("/", 1)[1])
    page = client.get(r.location).get_data(as_text=True)
    assert "Service “K9A1 gunnery week” scheduled." in page
    assert "Tuesday 05 March 2030, 09:00 CET" in page  # typed and shown in Warsaw time
    with engine.connect() as conn:
        starts = conn.scalar(sa.select(ServiceEvent.starts_at).where(ServiceEvent.id == event_id))
    assert starts.hour == 8  # stored in UTC
    version = 1
    page = client.get(f"/services/{event_id}").get_data(as_text=True)
    assert "Start the service early" not in page  # planned: not startable yet
    r = client.post(f"/services/{event_id}/transition",
                    data={"csrf_token": form["csrf_token"], "status": "confirmed", "version": str(version)})
    assert r.status_code == 302, r.get_data(as_text=True)
    version += 1
    page = client.get(f"/services/{event_id}").get_data(as_text=True)
    assert "Start the service early…" in page and ">Start</button>" in page  # asks why
    early = {"early": "true", "reason": "The range opened a day ahead"}
    r = client.post(f"/services/{event_id}/transition",
                    data={"csrf_token": form["csrf_token"], "status": "in_progress", "version": str(version)})
    assert r.status_code == 409 and "cannot start before starts_at 2030-03-05T09:00:00+01:00" in r.get_data(
        as_text=True)
    r = client.post(f"/services/{event_id}/transition", data={
        "csrf_token": form["csrf_token"], "status": "in_progress", "version": str(version), **early})
    assert r.status_code == 302, r.get_data(as_text=True)
    version += 1
    r = client.post(f"/services/{event_id}/transition", data={
        "csrf_token": form["csrf_token"], "status": "completed", "version": str(version), "outcome": "",
        **early})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="participants_actual-error">required to complete' in page
    assert 'id="outcome-error">required to complete' in page and "<details class=\"step\" open>" in page
    r = client.post(f"/services/{event_id}/transition", data={
        "csrf_token": form["csrf_token"], "status": "completed", "version": str(version),
        "participants_actual": "11", "outcome": "All crews certified", **early})
    assert r.status_code == 302
    page = client.get(r.location).get_data(as_text=True)
    assert "The service is now completed." in page and "All crews certified" in page
    assert count(engine, Survey, Survey.event_id == event_id) == 1 and "/surveys/" in page


def test_form_errors_are_shown_next_to_the_fields_and_nothing_is_written(client, world, engine):
    sign_in(client, "staff")
    url = f"/services/new?country=PL&system_id={world.ids['k9']}"
    r = client.post(url, data=new_form(client, world, ends_at="2030-03-04T08:00", title="",
                                       recurrence="FREQ=SOMETIMES", capacity="many"))
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    for field in ("title", "recurrence", "capacity"):
        assert f'id="{field}-error"' in page, field
    assert 'aria-invalid="true" aria-describedby="title-error"' in page
    r = client.post(url, data=new_form(client, world, ends_at="2030-03-04T08:00"))
    assert r.status_code == 422 and 'id="ends_at-error">Must be after starts_at.' in r.get_data(as_text=True)
    r = client.post(url, data=new_form(client, world, starts_at="next tuesday"))
    assert r.status_code == 422 and 'id="starts_at-error"' in r.get_data(as_text=True)
    assert count(engine, ServiceEvent) == 0
    assert client.get("/services/new?country=ZZ&system_id=x").status_code == 200  # back to step 1
    assert "Choose a buyer country." in client.get("/services/new?country=ZZ").get_data(as_text=True)


def test_a_series_is_scheduled_from_the_form(client, world, engine):
    sign_in(client, "staff")
    url = f"/services/new?country=NO&system_id={world.ids['k9']}"
    r = client.post(url, data=new_form(client, world, recurrence="FREQ=MONTHLY;COUNT=3"))
    assert r.status_code == 302
    assert "and 2 more in the series" in client.get(r.location).get_data(as_text=True)
    assert count(engine, ServiceEvent, ServiceEvent.country_code == "NO") == 3


def test_edit_keeps_what_is_unchanged_and_refuses_a_stale_form(client, world, engine):
    lee = factories.add_staff(engine, "Lee Seo-yeon")
    event_id = factories.add_event(engine, world, staff=[lee], lead=lee, status="completed")
    sign_in(client, "staff")
    page = client.get(f"/services/{event_id}/edit").get_data(as_text=True)
    assert "can no longer change" in page and 'name="starts_at"' not in page
    token = csrf(client, "/services")
    with engine.connect() as conn:
        version = conn.scalar(sa.select(ServiceEvent.version).where(ServiceEvent.id == event_id))
    form = {"csrf_token": token, "kind": "joint_training", "title": "Renamed after the fact",
            "timezone": "Europe/Warsaw", "location": "", "objectives": "", "outcome": "Crews certified"}
    r = client.post(f"/services/{event_id}/edit", data={**form, "version": str(version - 1)})
    assert "changed by someone else" in client.get(r.location).get_data(as_text=True)
    r = client.post(f"/services/{event_id}/edit", data={**form, "version": str(version)})
    assert r.status_code == 302  # a completed service's title stays editable
    page = client.get(r.location).get_data(as_text=True)
    assert "Renamed after the fact" in page and "Lee Seo-yeon (lead)" in page


def test_cancel_asks_for_a_reason_and_illegal_moves_say_so(client, world, engine):
    event_id = factories.add_event(engine, world)
    sign_in(client, "staff")
    token = csrf(client, "/services")
    page = client.get(f"/services/{event_id}").get_data(as_text=True)
    assert ">Confirm</button>" in page and ">Postpone</button>" in page and "Cancel the service" in page
    assert ">Start</button>" not in page
    r = client.post(f"/services/{event_id}/transition", data={"csrf_token": token, "status": "cancelled",
                                                              "version": "1"})
    assert r.status_code == 422 and 'id="reason-error">required to cancel' in r.get_data(as_text=True)
    r = client.post(f"/services/{event_id}/transition", data={"csrf_token": token, "status": "completed",
                                                              "version": "1"})
    assert r.status_code == 409 and "allowed from planned" in r.get_data(as_text=True)
    r = client.post(f"/services/{event_id}/transition", data={"csrf_token": token, "status": "cancelled",
                                                              "version": "1", "reason": "Range closed"})
    page = client.get(r.location).get_data(as_text=True)
    assert "Range closed" in page and "does not move any more" in page


def test_list_filters_and_calendar(client, world, engine):
    factories.add_event(engine, world, title="Spring course PL")
    factories.add_event(engine, world, country="NO", kind="trial_run", title="Fjord trial NO")
    sign_in(client, "staff")
    page = client.get("/services?kind=trial_run").get_data(as_text=True)
    assert "Fjord trial NO" in page and "Spring course PL" not in page
    page = client.get("/services?country=pl&from=2030-03-01&to=2030-03-31").get_data(as_text=True)
    assert "Spring course PL" in page and "Fjord trial NO" not in page
    page = client.get("/services?from=yesterday&status=bogus").get_data(as_text=True)
    assert "Spring course PL" in page and 'id="from-error"' in page and 'id="status-error"' in page
    page = client.get("/services/calendar?month=2030-03").get_data(as_text=True)
    assert "<h1>March 2030</h1>" in page and "Spring course PL" in page and "Fjord trial NO" in page
    day = re.search(r'<li class="day[^"]*">\s*<span class="day-date">'
                    r'<span class="day-name">Mon </span>4<', page)
    assert day, "4 March has its services"
    assert "Spring course PL" not in client.get("/services/calendar?month=2030-04").get_data(as_text=True)


def test_a_month_whose_only_service_falls_on_a_neighbouring_day_is_an_empty_month(client, world,
                                                                                  engine):
    factories.add_event(engine, world, title="New year drill PL",
                        starts_at=dt.datetime(2033, 1, 2, 9, tzinfo=dt.UTC))  # Sunday of the last row
    sign_in(client, "staff")
    page = client.get("/services/calendar?month=2032-12").get_data(as_text=True)
    assert "New year drill PL" in page and "No service this month." in page
    day = re.search(r'<li class="day other-month">\s*<span class="day-date">'
                    r'<span class="day-name">Sun </span>2<', page)
    assert day, "2 January is drawn as a day of the next month"


def test_a_liaison_sees_only_their_countrys_services_and_cannot_schedule(client, world, engine):
    factories.add_event(engine, world, title="Spring course PL")
    no_event = factories.add_event(engine, world, country="NO", title="Oslo range gunnery")
    sign_in(client, "pl")
    for path in ("/services", "/services?country=NO", "/services/calendar?month=2030-03&country=NO",
                 "/requests?country=NO", "/surveys?country=NO", "/actions?country=NO", "/reports?country=NO"):
        r = client.get(path)
        page = r.get_data(as_text=True)
        assert r.status_code == 200, path
        assert not any(m in page for m in NORWAY) and "Oslo range" not in page, path
    assert "Spring course PL" in client.get("/services").get_data(as_text=True)
    assert client.get(f"/services/{no_event}").status_code == 404
    assert client.get("/services/new").status_code == 403
    assert client.get(f"/services/{no_event}/edit").status_code == 403
    token = csrf(client, "/services")
    assert client.post(f"/services/{no_event}/transition", data={"csrf_token": token}).status_code == 403


def test_a_liaison_files_a_request_and_staff_decline_or_accept_it(client, app, world, engine):
    sign_in(client, "pl")
    token = csrf(client, "/requests")
    form = {"csrf_token": token, "kind": "trial_run", "system_id": str(world.ids["k9"]),
            "wished_from": "2030-06-10", "wished_to": "2030-06-01", "description": "Cold-start trial"}
    r = client.post("/requests", data=form)
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="wished_to-error">Cannot be before the first wished day.' in page
    assert "Cold-start trial" in page and 'name="country"' not in page.split("Ask for a service")[1]
    r = client.post("/requests", data={**form, "wished_to": "2030-06-20"})
    assert r.status_code == 302
    request_id = int(r.location.rsplit("/", 1)[1])
    page = client.get(r.location).get_data(as_text=True)
    assert "Request" in page and "Pending" in page and "Accept and schedule" not in page
    r = client.post("/requests", data={**form, "wished_to": "2030-06-20", "country": "NO"})
    assert r.status_code == 404 and count(engine, ServiceRequest, ServiceRequest.country_code == "NO") == 0

    staff = app.test_client()
    sign_in(staff, "staff")
    stoken = csrf(staff, "/requests")
    page = staff.get(f"/requests/{request_id}").get_data(as_text=True)
    assert 'value="2030-06-10T09:00"' in page and "Accept and schedule" in page
    r = staff.post(f"/requests/{request_id}/decline",
                   data={"csrf_token": stoken, "version": "1", "reason": ""})
    assert r.status_code == 422 and 'id="reason-error"' in r.get_data(as_text=True)
    r = staff.post(f"/requests/{request_id}/decline",
                   data={"csrf_token": stoken, "version": "1", "reason": "No range free in June"})
    assert r.status_code == 302
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "No range free in June" in page and "Declined" in page  # the liaison sees why

    second = factories.add_request(engine, world)
    r = staff.post(f"/requests/{second}/accept", data={
        "csrf_token": stoken, "version": "1", "title": "Fire-control refresher",
        "starts_at": "2030-05-06T09:00", "ends_at": "2030-05-08T16:00", "timezone": "",
        "location": "Torun", "objectives": ""})
    assert r.status_code == 302 and r.location.startswith("/services/")
    assert "Tuesday 07 May 2030" not in staff.get(r.location).get_data(as_text=True)
    assert "Monday 06 May 2030, 09:00 CEST" in staff.get(r.location).get_data(as_text=True)
    r = staff.post(f"/requests/{second}/decline", data={"csrf_token": stoken, "version": "2", "reason": "x"})
    assert r.status_code == 409 and "already accepted" in r.get_data(as_text=True)  # decided once
    listing = client.get("/requests").get_data(as_text=True)
    assert "Accepted" in listing and "Declined" in listing


def test_forms_offer_only_the_systems_the_country_has_contracts_for(client, world, engine):
    from tests.test_requests import add_norway_only_system

    k239 = add_norway_only_system(engine)
    sign_in(client, "pl")
    form = client.get("/requests").get_data(as_text=True)
    select = form[form.index('<select id="system_id"'):]
    select = select[:select.index("</select>")]
    assert "K9A1 — K9A1 Thunder" in select and "K2 — K2 Black Panther" in select
    assert "K239" not in select and "<optgroup" not in select
    client.post("/logout", data={"csrf_token": csrf(client, "/logout")})
    sign_in(client, "staff")
    step = client.get("/services/new").get_data(as_text=True)
    groups = dict(re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', step, re.S))
    assert set(groups) == {"Norway", "Poland"}
    assert f'value="{k239}">K239' in groups["Norway"] and "K239" not in groups["Poland"]
    page = client.get(f"/services/new?country=PL&system_id={k239}").get_data(as_text=True)
    assert "Poland has no contract for K239: choose one of its systems." in page
    assert "Step 1 of 2" in page  # not on to the details
    norway = client.get(f"/services/new?country=NO&system_id={k239}").get_data(as_text=True)
    assert "Step 1 of 2" not in norway


def test_a_liaison_edits_then_withdraws_a_pending_request_on_its_page(client, app, world, engine):
    request_id = factories.add_request(engine, world)
    sign_in(client, "pl")
    token = csrf(client, f"/requests/{request_id}")
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Change the request" in page and "Withdraw the request" in page
    form = {"csrf_token": token, "version": "1", "kind": "tech_education", "system_id": str(world.ids["k9"]),
            "wished_from": "2030-05-01", "wished_to": "2030-04-01", "description": "Night firing"}
    r = client.post(f"/requests/{request_id}/edit", data=form)
    assert r.status_code == 422 and 'id="wished_to-error"' in r.get_data(as_text=True)
    r = client.post(f"/requests/{request_id}/edit", data={**form, "wished_to": "2030-05-20"})
    assert r.status_code == 302
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Night firing" in page and "2030-05-20" in page
    r = client.post(f"/requests/{request_id}/withdraw", data={"csrf_token": token, "version": "1"})
    assert r.status_code == 302  # a stale form: refused, nothing written
    assert count(engine, ServiceRequest, ServiceRequest.status == "withdrawn") == 0
    r = client.post(f"/requests/{request_id}/withdraw", data={"csrf_token": token, "version": "2"})
    assert r.status_code == 302
    page = client.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Withdrawn" in page and "Withdraw the request" not in page
    staff = app.test_client()
    sign_in(staff, "staff")
    assert "Accept and schedule" not in staff.get(f"/requests/{request_id}").get_data(as_text=True)
