"""The conversation of a report: buyer and staff messages, and internal notes no liaison ever
gets, through the API, an aggregate, or a session of their own."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import DeficiencyMessage
from service.core.db import SCOPE_KEY, ScopeViolation
from tests import factories
from tests.conftest import rows

API = "/api/v1/deficiencies"
NOTE = "internal: supplier blames the crew"


@pytest.fixture
def report(world):
    return factories.add_deficiency(world.engine, world)


def _post(client, world, rid, who, **body):
    return client.post(f"{API}/{rid}/messages", json=body, headers=world.headers(who))


def test_buyer_and_staff_talk_and_the_note_stays_with_staff(client, world, report, engine):
    assert _post(client, world, report, "pl", body="Photos attached").status_code == 201
    assert _post(client, world, report, "staff", body="Please send the round count").status_code == 201
    r = _post(client, world, report, "staff", body=NOTE, internal=True)
    assert r.status_code == 201 and r.get_json()["internal"] is True
    staff = client.get(f"{API}/{report}/messages", headers=world.headers("staff")).get_json()
    assert [m["body"] for m in staff] == ["Photos attached", "Please send the round count", NOTE]
    liaison = client.get(f"{API}/{report}/messages", headers=world.headers("pl"))
    assert [m["body"] for m in liaison.get_json()] == ["Photos attached", "Please send the round count"]
    with engine.connect() as conn:  # nobody was told of the note
        assert not conn.scalar(sa.text("SELECT count(*) FROM notification WHERE body LIKE '%supplier%'"))


def test_a_liaison_cannot_write_an_internal_note(client, world, report, engine):
    r = _post(client, world, report, "pl", body="sneaky", internal=True)
    assert r.status_code == 403 and "internal" in r.get_json()["errors"]
    assert rows(engine, "deficiency_message") == 0
    r = _post(client, world, report, "pl", body="")
    assert r.status_code == 422 and "body" in r.get_json()["errors"]["json"]


def test_another_countrys_conversation_is_not_found(client, world, report):
    assert _post(client, world, report, "no", body="hello").status_code == 404
    assert client.get(f"{API}/{report}/messages", headers=world.headers("no")).status_code == 404


def test_the_scoping_point_hides_notes_from_every_liaison_query(client, world, report, engine):
    _post(client, world, report, "staff", body=NOTE, internal=True)
    _post(client, world, report, "staff", body="public")
    with Session(engine) as s:
        s.info[SCOPE_KEY] = "PL"
        assert [m.body for m in s.exec(select(DeficiencyMessage))] == ["public"]
        assert s.scalar(sa.select(sa.func.count(DeficiencyMessage.id))) == 1
        s.add(DeficiencyMessage(report_id=report, country_code="PL", internal=True, body="x",
                                author_name="pl"))
        with pytest.raises(ScopeViolation):
            s.flush()
