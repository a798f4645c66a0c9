"""The planning pages: the board (booked, away, free; paged rows), suggestions that open the
schedule form filled in, and the staff pages for skills and absences."""

from __future__ import annotations

import datetime as dt
import re

from service.core.db import session_scope
from service.domain.planning import unavailability
from tests import factories
from tests.test_web_pages import csrf, sign_in

MONDAY = dt.datetime(2030, 3, 4, 7, 0, tzinfo=dt.UTC)


def _people(engine, n=2):
    return [factories.add_staff(engine, name, skills=["instructor:K9A1"])
            for name in ["Park Ji-hoon", "Kang Min-seo", "Han Do-yoon"][:n]]


def test_the_board_shows_booked_away_and_free_days(client, world, engine):
    a, b = _people(engine)
    event = factories.add_event(engine, world, staff=[a], units=[world.ids["units_PL"][0]],
                                starts_at=MONDAY, hours=9, title="Gunnery week Orzysz")
    from models import StaffMember
    with session_scope(engine) as s:
        unavailability.add_window(session=s, staff=s.get(StaffMember, b), data={
            "starts_at": MONDAY + dt.timedelta(days=1), "ends_at": MONDAY + dt.timedelta(days=2),
            "reason": "annual leave"})
    sign_in(client, "staff")
    page = client.get("/planning", query_string={
        "country": "PL", "system": world.ids["k9"], "from": "2030-03-04", "to": "2030-03-10",
    }).get_data(as_text=True)
    assert "Staff · 2 with instructor:K9A1" in page
    assert f'href="/services/{event}" title="Gunnery week Orzysz">B' in page
    assert "Park Ji-hoon 2030-03-04: booked for Gunnery week Orzysz" in page
    assert "Kang Min-seo 2030-03-05: away (annual leave)" in page
    assert "Kang Min-seo 2030-03-04: free" in page
    assert "K9-PL-000 2030-03-04: booked for Gunnery week Orzysz" in page
    assert "K9-PL-001 2030-03-04: free" in page
    assert page.count('class="board-day') == 2 * 7
    assert client.get("/planning", headers={}).status_code == 200  # the empty board asks to choose


def test_suggestions_open_the_schedule_form_filled_in(client, world, engine):
    a, b = _people(engine)
    factories.add_event(engine, world, staff=[a], starts_at=MONDAY, hours=9)
    sign_in(client, "staff")
    page = client.get("/planning", query_string={
        "country": "PL", "system": world.ids["k9"], "from": "2030-03-04", "to": "2030-03-10",
        "suggest": "1", "kind": "trial_run", "duration": "1", "per": "days", "skill_1": "instructor:K9A1",
        "count_1": "2", "units": "1", "earliest": "2030-03-04", "latest": "2030-03-08",
    }).get_data(as_text=True)
    links = re.findall(r'<li><a href="(/services/new\?[^"]+)">', page)
    assert len(links) == 4  # Tuesday to Friday: on Monday Park is booked
    link = links[0].replace("&amp;", "&")
    assert "starts_at=2030-03-05T08:00" in link and "ends_at=2030-03-05T17:00" in link
    form = client.get(link).get_data(as_text=True)
    assert 'value="2030-03-05T08:00"' in form and 'value="2030-03-05T17:00"' in form
    assert re.search(rf'value="{a}"[^>]*checked', form) and re.search(rf'value="{b}"[^>]*checked', form)
    assert '<option value="trial_run" selected>' in form
    miss = client.get("/planning", query_string={
        "country": "PL", "system": world.ids["k9"], "suggest": "1", "duration": "1", "per": "days",
        "skill_1": "instructor:K9A1", "count_1": "3", "earliest": "2030-03-04",
        "latest": "2030-03-08"}).get_data(as_text=True)
    assert "Nothing fits" in miss and "only 2 instructor:K9A1 free in the window" in miss


def test_the_board_opened_from_the_menu_asks_rather_than_refuses(client, world):
    sign_in(client, "staff")
    page = client.get("/planning").get_data(as_text=True)
    assert "Some filters were not used" not in page and "Missing data" not in page
    assert 'id="board-country"' in page and 'id="board-system"' in page
    chosen = client.get("/planning?country=PL").get_data(as_text=True)
    assert "Choose a country and one of its systems." in chosen


def test_planning_pages_are_for_staff(client, world):
    sign_in(client, "pl")
    assert client.get("/planning?country=PL&system=1").status_code == 403
    assert client.get("/planning/staff").status_code == 403


def test_staff_pages_edit_skills_and_absences(client, world, engine):
    (a,) = _people(engine, 1)
    sign_in(client, "staff")
    listing = client.get("/planning/staff?q=K9A1").get_data(as_text=True)
    assert f'href="/planning/staff/{a}">Park Ji-hoon</a>' in listing
    token = csrf(client, f"/planning/staff/{a}")
    r = client.post(f"/planning/staff/{a}/skills", data={"csrf_token": token, "version": "1",
                                                         "skills": "instructor:K9A1\nchef kimchi"})
    assert r.status_code == 422 and "kind:subject" in r.get_data(as_text=True)
    assert "chef kimchi" in r.get_data(as_text=True)  # what was typed stays
    r = client.post(f"/planning/staff/{a}/skills", data={"csrf_token": token, "version": "1",
                                                         "skills": "instructor:K9A1\ninterpreter:pl"})
    assert r.status_code == 302
    stale = client.post(f"/planning/staff/{a}/skills", data={"csrf_token": token, "version": "1",
                                                             "skills": "technician:K9A1"})
    assert stale.status_code == 302
    body = client.get(f"/api/v1/staff/{a}", headers=world.headers("staff")).get_json()
    assert body["skills"] == ["instructor:K9A1", "interpreter:pl"]
    r = client.post(f"/planning/staff/{a}/unavailability", data={
        "csrf_token": token, "starts_at": "2030-03-10T00:00", "ends_at": "2030-03-08T00:00", "reason": "x"})
    assert r.status_code == 422 and 'id="ends_at-error"' in r.get_data(as_text=True)
    r = client.post(f"/planning/staff/{a}/unavailability", data={
        "csrf_token": token, "starts_at": "2030-03-08T00:00", "ends_at": "2030-03-10T00:00",
        "reason": "Family leave", "timezone": "Asia/Seoul"})
    assert r.status_code == 302
    (window,) = client.get(f"/api/v1/staff/{a}/unavailability", headers=world.headers("staff")).get_json()
    assert window["starts_at"] == "2030-03-07T15:00:00+00:00" and window["reason"] == "Family leave"
    page = client.get(f"/planning/staff/{a}").get_data(as_text=True)
    assert "Family leave" in page
    r = client.post(f"/planning/staff/{a}/unavailability/{window['id']}/delete", data={"csrf_token": token})
    assert r.status_code == 302
    assert client.get(f"/api/v1/staff/{a}/unavailability", headers=world.headers("staff")).get_json() == []


def test_the_schedule_form_shows_who_is_free_for_the_window(client, world, engine):
    a, b, c = _people(engine, 3)
    busy = factories.add_event(engine, world, staff=[a], units=[world.ids["units_PL"][0]],
                               starts_at=MONDAY, hours=9, title="Gunnery week Orzysz")
    from models import StaffMember
    with session_scope(engine) as s:
        unavailability.add_window(session=s, staff=s.get(StaffMember, b), data={
            "starts_at": MONDAY - dt.timedelta(hours=2), "ends_at": MONDAY + dt.timedelta(days=1),
            "reason": "travel to Seoul"})
    sign_in(client, "staff")
    url = f"/services/new?country=PL&system_id={world.ids['k9']}"
    page = client.get(url).get_data(as_text=True)
    assert "Type when the service starts and ends" in page
    token = csrf(client, url)
    form = {"csrf_token": token, "kind": "joint_training", "title": "Second course",
            "starts_at": "2030-03-04T10:00", "ends_at": "2030-03-04T12:00", "action": "check"}
    page = client.post(url, data=form).get_data(as_text=True)
    flat = re.sub(r"\s+", " ", page)
    assert re.search(rf'Park Ji-hoon</label></th> <td><span class="state-booked">booked</span>: '
                     rf'<a href="/services/{busy}">Gunnery week Orzysz</a>', flat)
    assert 'Kang Min-seo</label></th> <td><span class="state-away">away</span>: travel to Seoul' in flat
    assert 'Han Do-yoon</label></th> <td><span class="state-free">free</span>' in flat
    assert 'value="Second course"' in page  # what was typed stays; nothing saved
    picked = client.post(url, data={**form, "action": "first_n", "first_n": "2"}).get_data(as_text=True)
    ids = world.ids["units_PL"]
    assert re.search(rf'value="{ids[1]}" checked', picked) and re.search(rf'value="{ids[2]}" checked', picked)
    assert not re.search(rf'value="{ids[0]}" checked', picked)  # booked then
    searched = client.post(url, data={**form, "unit_q": "002"}).get_data(as_text=True)
    assert "K9-PL-002" in searched and "K9-PL-001" not in searched
    saved = client.post(url, data={k: v for k, v in form.items() if k != "action"} | {"staff": str(c)})
    assert saved.status_code == 302


def test_accepting_a_request_uses_the_same_pickers_and_a_liaison_sees_none(app, client, world, engine):
    a, b = _people(engine)
    factories.add_event(engine, world, staff=[a], starts_at=dt.datetime(2030, 5, 6, 7, tzinfo=dt.UTC),
                        title="Gunnery week Orzysz")
    request_id = factories.add_request(engine, world)  # wished for May 2030
    sign_in(client, "staff")
    token = csrf(client, f"/requests/{request_id}")
    page = client.post(f"/requests/{request_id}/accept", data={
        "csrf_token": token, "version": "1", "title": "Refresher", "starts_at": "2030-05-06T09:00",
        "ends_at": "2030-05-06T16:00", "action": "check"}).get_data(as_text=True)
    flat = re.sub(r"\s+", " ", page)
    assert 'Park Ji-hoon</label></th> <td><span class="state-booked">booked</span>' in flat
    assert 'Kang Min-seo</label></th> <td><span class="state-free">free</span>' in flat
    assert 'value="Refresher"' in page and "Pending" in page  # nothing was accepted
    liaison = app.test_client()
    sign_in(liaison, "pl")
    mine = liaison.get(f"/requests/{request_id}").get_data(as_text=True)
    assert "Park Ji-hoon" not in mine and "instructor:K9A1" not in mine and "staff-picker" not in mine


def test_the_boards_units_come_grouped_by_status_each_group_once(client, world, engine):
    from models import Unit

    with session_scope(engine) as s:  # the middle serial under repair
        s.get(Unit, world.ids["units_PL"][1]).status = "under_repair"
    sign_in(client, "staff")
    page = client.get("/planning", query_string={"country": "PL", "system": world.ids["k9"]}).get_data(
        as_text=True)
    units = page[page.index("K9-PL-000") - 400:]
    groups = re.findall(r'<tr class="board-group"><th scope="rowgroup"[^>]*>([^<]+)</th>', units)
    assert groups == ["Operational", "Under repair"]
    assert units.index("K9-PL-000") < units.index("K9-PL-002") < units.index("K9-PL-001")


def test_a_first_suggestion_asks_for_an_instructor_of_the_system(client, world, engine):
    _people(engine)
    factories.add_staff(engine, "Seo Yu-na", skills=["interpreter:pl", "technician:K2"])
    sign_in(client, "staff")
    page = client.get("/planning", query_string={"country": "PL", "system": world.ids["k9"]}).get_data(
        as_text=True)
    assert re.search(r'<select id="skill_1" name="skill_1"[^>]*>.*?<option value="instructor:K9A1" selected',
                     page, re.S)
    page = client.get("/planning", query_string={"country": "PL", "system": world.ids["k2"]}).get_data(
        as_text=True)
    assert re.search(r'<option value="technician:K2" selected', page)  # no K2 instructor: its technician
    chosen = client.get("/planning", query_string={"country": "PL", "system": world.ids["k9"], "suggest": "1",
                                                   "skill_1": ""}).get_data(as_text=True)
    picker = re.search(r'<select id="skill_1" name="skill_1".*?</select>', chosen, re.S).group(0)
    assert "instructor:K9A1" in picker and "selected" not in picker  # the officer's "—" stays
