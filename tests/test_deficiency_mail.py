"""The notifications' texts come from the templates in service/web/templates/mail/ (the
deficiency ones here; the recipient's language: tests/test_i18n_messages.py)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from jinja2 import UndefinedError
from sqlmodel import Session, select

from models import Notification, User
from service.domain.deficiencies import mail
from tests import factories


def test_every_template_has_a_subject_and_a_body():
    names = sorted(p.stem for p in mail.TEMPLATES.glob("*.txt"))
    assert {"deficiency_filed", "deficiency_message", "deficiency_overdue", "deficiency_status",
            "deficiency_survey", "password_reset", "service_reminder"} <= set(names)
    for name in names:
        source = (mail.TEMPLATES / f"{name}.txt").read_text()
        assert "{% block subject %}" in source and "{% block body %}" in source


def test_a_missing_value_is_an_error_not_a_blank():
    with pytest.raises(UndefinedError):
        mail.render("deficiency_status")


def test_filing_and_moving_write_the_templates_texts(client, world, engine):
    with engine.begin() as conn:  # one staff member reads English; the others keep the default, Korean
        conn.execute(sa.update(User).where(User.id == world.ids["user_staff"]).values(language="en"))
    rid = factories.add_deficiency(engine, world, now=dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC))
    with Session(engine) as s:
        filed = {n.user_id: n for n in s.exec(
            select(Notification).where(Notification.kind == "deficiency_filed"))}
    number = client.get(f"/api/v1/deficiencies/{rid}", headers=world.headers("pl")).get_json()["number"]
    english = filed[world.ids["user_staff"]]
    assert english.subject == f"Deficiency report {number} (major): Recoil buffer cracked"
    assert english.body == ("Poland reported a major quality deficiency on 1 unit(s).\n\n"
                            "Acknowledge by Thursday, November 5, 2026 08:00 (UTC).\n")
    korean = filed[world.ids["user_admin"]]
    assert korean.subject == f"결함 보고 {number}(중대): Recoil buffer cracked"
    assert korean.body == ("폴란드에서 장비 1대에 대한 중대 품질 결함을 보고했습니다.\n\n"
                           "2026년 11월 5일 목요일 08:00 (UTC)까지 접수 확인하십시오.\n")
