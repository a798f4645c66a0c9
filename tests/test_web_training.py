"""Training pages: the roster, nominating from the service page, completing with results,
certificates and their public verification, a contract's support package."""

from __future__ import annotations

import datetime as dt
import re

from tests import factories
from tests.test_web_pages import csrf, sign_in


def _signed(app, who):
    client = app.test_client()
    assert sign_in(client, who).status_code == 302
    return client


def test_a_liaison_adds_trainees_and_nominates_them_from_the_service_page(app, world, engine):
    client = _signed(app, "pl")
    r = client.post("/trainees", data={"csrf_token": csrf(client, "/trainees"), "name": "Piotr Zielinski",
                                       "rank": "Cpl", "organisation": "1 Armoured Bde"})
    assert r.status_code == 302
    assert "Piotr Zielinski" in client.get("/trainees").get_data(as_text=True)
    bad = client.post("/trainees", data={"csrf_token": csrf(client, "/trainees"), "name": ""})
    assert bad.status_code == 422 and 'id="name-error"' in bad.get_data(as_text=True)
    event = factories.add_event(engine, world, capacity=3)
    page = client.get(f"/services/{event}").get_data(as_text=True)
    assert "Nominees" in page and "0 nominated of 3 seats" in page
    trainee = re.search(r'<option value="(\d+)">Piotr Zielinski, Cpl</option>', page)
    assert trainee, page
    r = client.post(f"/services/{event}/nominations", data={
        "csrf_token": csrf(client, f"/services/{event}"), "trainee_id": trainee.group(1)})
    assert r.status_code == 302
    page = client.get(f"/services/{event}").get_data(as_text=True)
    assert "1 nominated of 3 seats" in page and "Withdraw" in page
    staff = _signed(app, "staff")
    assert "Piotr Zielinski" in staff.get(f"/services/{event}").get_data(as_text=True)


def test_staff_complete_a_training_with_each_nominees_result(app, world, engine):
    event = factories.add_event(engine, world, capacity=3, status="in_progress",
                                starts_at=factories.WHEN)
    a = factories.add_trainee(engine, world, name="Ada Lis")
    b = factories.add_trainee(engine, world, name="Bo Kot")
    na = factories.add_nomination(engine, world, event_id=event, trainee_id=a)
    nb = factories.add_nomination(engine, world, event_id=event, trainee_id=b)
    staff = _signed(app, "staff")
    page = staff.get(f"/services/{event}").get_data(as_text=True)
    assert f'name="result-{na}"' in page and f'name="result-{nb}"' in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    form = {"csrf_token": csrf(staff, f"/services/{event}"), "version": version, "status": "completed",
            "outcome": "Both trained", f"result-{na}": "passed", f"score-{na}": "88",
            "early": "true", "reason": "ahead of its dates in the test"}
    r = staff.post(f"/services/{event}/transition", data=form)
    assert r.status_code == 422 and "every nominee needs a result" in r.get_data(as_text=True)
    r = staff.post(f"/services/{event}/transition", data={**form, f"result-{nb}": "failed"})
    assert r.status_code == 302
    page = staff.get(f"/services/{event}").get_data(as_text=True)
    assert "Passed (88.0)" in page and "Failed" in page
    certs = staff.get("/certificates").get_data(as_text=True)
    assert "Ada Lis" in certs and "Bo Kot" not in certs


def test_certificates_page_and_public_verification(app, world, engine):
    cert = factories.add_certificate(engine, world, name="Ewa Mazur",
                                     valid_until=dt.date.today() + dt.timedelta(days=30))
    client = _signed(app, "pl")
    page = client.get("/certificates").get_data(as_text=True)
    assert "Ewa Mazur" in page and "Qualified people per system" in page and "Ask for a refresher" in page
    anon = app.test_client()
    ok = anon.get(f"/verify/{cert['number']}?code={cert['code']}")
    assert ok.status_code == 200 and "Ewa Mazur" in ok.get_data(as_text=True)
    wrong = anon.get(f"/verify/{cert['number']}?code=NOPE1234")
    unknown = anon.get(f"/verify/KS-0000-NOSUCH?code={cert['code']}")
    assert wrong.status_code == unknown.status_code == 404
    assert "Ewa Mazur" not in wrong.get_data(as_text=True)
    strip = lambda r: re.sub(r"KS-[\w-]+", "#", r.get_data(as_text=True))  # noqa: E731
    assert strip(wrong).replace("NOPE1234", cert["code"]) == strip(unknown)
    r = client.post(f"/certificates/{cert['id']}/refresher",
                    data={"csrf_token": csrf(client, "/certificates")})
    assert r.status_code == 302 and "/requests/" in r.location


def test_the_package_page_for_staff_and_the_liaisons_dispute(app, world, engine):
    line = factories.add_package_line(engine, world, quantity=2, description="Recoil kits",
                                      due_on=dt.date.today() - dt.timedelta(days=3))
    staff = _signed(app, "staff")
    url = f"/contracts/{world.ids['contract_PL']}/package"
    page = staff.get(url).get_data(as_text=True)
    assert "Recoil kits" in page and "Overdue" in page and "0 of 2 delivered" in page
    r = staff.post(f"{url}/{line}/deliveries", data={"csrf_token": csrf(staff, url), "quantity": "2",
                                                     "delivered_on": dt.date.today().isoformat()})
    assert r.status_code == 302
    liaison = _signed(app, "pl")
    page = liaison.get(url).get_data(as_text=True)
    assert "2 of 2 delivered" in page and "Dispute" in page
    delivery = re.search(r"/deliveries/(\d+)/dispute", page).group(1)
    r = liaison.post(f"/deliveries/{delivery}/dispute", data={
        "csrf_token": csrf(liaison, url), "version": "1", "reason": "One kit is the wrong model"})
    assert r.status_code == 302
    page = staff.get(url).get_data(as_text=True)
    assert "One kit is the wrong model" in page and "Answer the dispute" in page
    home = liaison.get("/").get_data(as_text=True)
    assert "Support packages" in home and "PL-C-1" in home


def test_staff_plan_a_packages_services_from_its_page(app, world, engine):
    staff_id = factories.add_staff(engine, "Han Ji-woo")
    factories.add_package_line(engine, world, kind="trial_run", quantity=2, description="Trials",
                               due_on=dt.date.today() + dt.timedelta(days=80))
    staff = _signed(app, "staff")
    url = f"/contracts/{world.ids['contract_PL']}/package"
    page = staff.post(f"/contracts/{world.ids['contract_PL']}/plan", data={
        "csrf_token": csrf(staff, url), "staff": str(staff_id), "days": "2", "lead_days": "14",
        "seats": "20"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and text.count('name="take"') == 2, text[-3000:]
    r = staff.post(f"/contracts/{world.ids['contract_PL']}/plan/confirm", data={
        **dict(re.findall(r'<input type="hidden" name="([\w-]+)" value="([^"]*)"', text)),
        "csrf_token": csrf(staff, url), "take": ["0", "1"]})
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    assert "2 service(s) scheduled" in staff.get(url).get_data(as_text=True)
