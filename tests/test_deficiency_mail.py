"""The deficiency notifications' texts come from the templates in service/web/templates/mail/."""

from __future__ import annotations

import datetime as dt

import pytest
from jinja2 import UndefinedError
from sqlmodel import Session, select

from models import Notification
from service.domain.deficiencies import mail
from tests import factories


def test_every_template_has_a_subject_and_a_body():
    names = sorted(p.stem for p in mail.TEMPLATES.glob("*.txt"))
    assert names == ["deficiency_filed", "deficiency_message", "deficiency_overdue",
                     "deficiency_status", "deficiency_survey"]
    for name in names:
        source = (mail.TEMPLATES / f"{name}.txt").read_text()
        assert "{% block subject %}" in source and "{% block body %}" in source


def test_a_missing_value_is_an_error_not_a_blank():
    with pytest.raises(UndefinedError):
        mail.render("deficiency_status")


def test_filing_and_moving_write_the_templates_texts(client, world, engine):
    rid = factories.add_deficiency(engine, world, now=dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC))
    with Session(engine) as s:
        filed = s.exec(select(Notification).where(Notification.kind == "deficiency_filed")).first()
    assert filed is not None
    number = client.get(f"/api/v1/deficiencies/{rid}", headers=world.headers("pl")).get_json()["number"]
    assert filed.subject == f"Deficiency report {number} (major): Recoil buffer cracked"
    assert filed.body == ("Poland reported a major quality deficiency on 1 unit(s).\n\n"
                          "Acknowledge by 2026-11-05T08:00:00+00:00.\n")
