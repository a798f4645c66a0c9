"""Issue 18 beyond the pages: notifications in the recipient's language, the API's error texts
by `Accept-Language` (codes and field names English), the command line in the environment's
language, and Korean as a new staff account's language (SPEC §12)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import Country, Notification, User
from schedules.certificates import run_certificate_reminders
from service.core.db import session_scope
from service.domain import identity, mail
from tests import factories

KO = {"Accept-Language": "ko-KR,ko;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def _set(engine: sa.Engine, *, user: int | None = None, language: str | None = None,
         country: str | None = None, report_language: str | None = None) -> None:
    with engine.begin() as conn:
        if user is not None:
            conn.execute(sa.update(User).where(User.id == user).values(language=language))
        if country is not None:
            conn.execute(sa.update(Country).where(Country.code == country)
                         .values(report_language=report_language))


def _notes(engine: sa.Engine, kind: str) -> dict[str, Notification]:
    with Session(engine) as s:
        return {n.recipient: n for n in s.exec(select(Notification).where(Notification.kind == kind))}


# --- notifications ---------------------------------------------------------------------------


def test_a_survey_invitation_is_in_each_liaisons_language(app, world, engine):
    """Norway's liaison chose Korean; Poland's has no setting and Poland reports in English."""
    _set(engine, user=world.ids["user_no"], language="ko")
    factories.add_survey(app, world, country="PL", title="Gunnery drill PL")
    factories.add_survey(app, world, country="NO", title="Gunnery drill NO")
    notes = _notes(engine, "survey_invitation")
    english, korean = notes["pl@example.org"], notes["no@example.org"]
    assert english.subject == "How did it go? Gunnery drill PL"
    assert english.body.startswith("Dear pl,\n\nGunnery drill PL has been completed.")
    assert "The link works until " in english.body and "년" not in english.body
    assert korean.subject == "결과는 어떠셨습니까? Gunnery drill NO"
    assert korean.body.startswith("no 님께,\n\nGunnery drill NO이(가) 완료되었습니다.")
    assert "링크는 " in korean.body and "년 " in korean.body and "월 " in korean.body  # 2026년 12월 3일
    assert "Dear" not in korean.body and "The link" not in korean.body
    assert korean.data["answer_url"] in korean.body  # the link itself is the same in every language


def test_a_liaison_without_a_setting_reads_the_countrys_report_language(app, world, engine):
    """Poland reports in Korean: its liaison (no setting) is told in Korean, by the daily job too;
    a liaison who chose English is told in English all the same."""
    _set(engine, country="PL", report_language="ko")
    _set(engine, user=world.ids["user_no"], language="en")
    today = dt.date(2030, 1, 10)
    for country in ("PL", "NO"):
        factories.add_certificate(engine, world, country=country, name=f"Trainee {country}",
                                  valid_until=today + dt.timedelta(days=20))
    assert run_certificate_reminders(app, today=today) == 2
    notes = _notes(engine, "certificate_expiring")
    korean, english = notes["pl@example.org"], notes["no@example.org"]
    assert korean.subject.startswith("자격증 ") and korean.subject.endswith("2030년 1월 30일에 만료됩니다")
    assert "Trainee PL 님의 자격증" in korean.body and "30일 안에 만료됩니다" in korean.body
    assert english.subject.endswith("expires on January 30, 2030")
    assert "The certificate" in english.body and "within 30 days" in english.body


def test_staff_read_korean_unless_they_chose_english(app, world, engine):
    """A staff member's password-reset mail: Korean by default (SPEC §12), English when chosen."""
    _set(engine, user=world.ids["user_admin"], language="en")
    with session_scope(engine) as s:
        for who in ("user_staff", "user_admin"):
            user = s.get(User, world.ids[who])
            identity.send_password_reset(session=s, user=user, secret="test-secret",  # noqa: S106
                                         link_for=lambda t: f"http://127.0.0.1:5000/reset/{t}")
    notes = _notes(engine, "password_reset")
    korean, english = notes["staff@example.org"], notes["admin@example.org"]
    assert korean.subject == "K-Sustain 새 비밀번호 설정"
    assert "관리자가 staff@example.org 계정의 비밀번호 재설정을 요청했습니다." in korean.body
    assert "http://127.0.0.1:5000/reset/" in korean.body
    assert english.subject == "Choose a new K-Sustain password"
    assert "An administrator started a password reset for admin@example.org." in english.body


def test_every_mail_template_renders_in_both_languages_and_differs():
    """Each template, filled with the same values, gives a Korean text other than its English one
    (no template left with an untranslated subject)."""
    from types import SimpleNamespace as NS

    when = dt.datetime(2030, 3, 4, 8, tzinfo=dt.UTC)
    report = NS(number="PL-2030-0001", severity="major", category="quality", title="Crack",
                status="resolved")
    values = dict(
        report=report, country=NS(name="Poland", code="PL"), units=1, ack_due=when, author="Kim",
        text="Hello", kind="acknowledge", due=when, user=NS(name="Jan", email="jan@example.org"),
        answer_url="http://x/s", api_url="http://x/api", expires=when, event=NS(
            title="Drill", kind="joint_training", country_code="PL", starts_at=when, timezone="Europe/Warsaw",
            location=None, status="planned", participants_actual=3, outcome="Good"),
        delivery=NS(id=1, quantity=2, delivered_on=when.date(), country_code="PL"),
        line=NS(kind="spares", description=""), reason="Short", answer="Sent",
        certificate=NS(number="C1", name="Jan", course="K9", valid_until=when.date()), days=30,
        request=NS(id=4, status="declined", kind="trial_run", event_id=None, decline_reason="No slot"),
        action=NS(id=5, title="Fix", country_code="PL", due_on=when.date(), status="open", reasons=["a"]),
        base="http://x", link="http://x/reset/t", bulletin=NS(number="SB-1", kind="safety", title="Bolt",
                                                              revision=2, revision_note=None),
        pending=3, system_code="K9", label="7d",
    )
    names = sorted(p.stem for p in mail.TEMPLATES.glob("*.txt"))
    assert len(names) >= 20
    for name in names:
        en, ko = (mail.render(name, language=lang, **values) for lang in ("en", "ko"))
        assert en["subject"] and en["body"].strip(), name
        assert ko["subject"] != en["subject"] and ko["body"] != en["body"], name


# --- API error answers -----------------------------------------------------------------------


def _post_user(client, world, body, headers):
    return client.post("/api/v1/users", json=body, headers={**world.headers("admin"), **headers})


def test_a_422_answers_in_korean_with_the_same_code_and_field_names(client, world):
    body = {"email": "not-an-e-mail", "role": "staff", "name": "x" * 121}
    en, ko = _post_user(client, world, body, EN), _post_user(client, world, body, KO)
    assert en.status_code == ko.status_code == 422
    en_json, ko_json = en.get_json(), ko.get_json()
    assert ko_json["code"] == en_json["code"] == 422 and ko_json["status"] == en_json["status"]
    assert set(ko_json["errors"]["json"]) == set(en_json["errors"]["json"]) == {"email", "name", "password"}
    assert en_json["message"] == "The request's values are not valid; see errors"
    assert ko_json["message"] == "요청 값이 올바르지 않습니다. errors 항목을 확인하십시오"
    assert en_json["errors"]["json"]["email"] == ["Not a valid email address."]
    assert ko_json["errors"]["json"]["email"] == ["올바른 이메일 주소가 아닙니다."]
    assert ko_json["errors"]["json"]["password"] == ["필수 항목입니다."]
    assert "120" in ko_json["errors"]["json"]["name"][0]  # a text with a value keeps the value
    assert ko_json["errors"]["json"]["name"] != en_json["errors"]["json"]["name"]


def test_a_404_and_a_409_answer_in_korean(client, world):
    missing = client.get("/api/v1/users/987654", headers={**world.headers("admin"), **KO})
    assert missing.status_code == 404
    assert missing.get_json()["message"] == "User 987654을(를) 찾을 수 없습니다"
    english = client.get("/api/v1/users/987654", headers={**world.headers("admin"), **EN})
    assert english.get_json()["message"] == "User 987654 not found"
    taken = {"email": "pl@example.org", "name": "Again", "role": "liaison", "country": "PL",
             "password": "long enough pw"}
    r = _post_user(client, world, taken, KO)
    assert r.status_code == 409
    assert r.get_json()["message"] == "이미 사용 중인 이메일입니다"
    assert r.get_json()["errors"] == {"email": ["이 이메일을 쓰는 사용자가 이미 있습니다"]}
    r = _post_user(client, world, taken, EN)
    assert r.get_json()["message"] == "E-mail taken" and r.get_json()["errors"] == {
        "email": ["a user with this e-mail exists"]}


def test_the_api_follows_the_header_sent_before_the_users_own_language(client, world, engine):
    """A Korean-reading administrator's script that asks for English gets English; sending no
    header, the account's own language."""
    _set(engine, user=world.ids["user_admin"], language="ko")
    url = "/api/v1/users/987654"
    assert client.get(url, headers={**world.headers("admin"), **EN}).get_json()["message"] == (
        "User 987654 not found")
    assert client.get(url, headers=world.headers("admin")).get_json()["message"] == (
        "User 987654을(를) 찾을 수 없습니다")


def test_a_missing_if_match_answers_in_korean(client, world):
    user = world.ids["user_pl"]
    r = client.patch(f"/api/v1/users/{user}", json={"name": "Renamed"},
                     headers={**world.headers("admin"), **KO})
    assert r.status_code == 428 and r.get_json()["code"] == 428
    assert r.get_json()["message"] == "마지막으로 조회한 ETag(또는 버전)를 If-Match 헤더로 보내십시오"


# --- the command line ------------------------------------------------------------------------

KOREAN_SHELL = {"LANG": "ko_KR.UTF-8", "LC_ALL": None, "LC_MESSAGES": None}
ENGLISH_SHELL = {"LANG": "en_US.UTF-8", "LC_ALL": None, "LC_MESSAGES": None}


def test_the_cli_speaks_the_environments_language_and_keeps_machine_output(app, world):
    runner = app.test_cli_runner()
    bad = ["users", "create", "bad-email", "--role", "staff", "--password", "long enough pw"]
    r = runner.invoke(args=bad, env=KOREAN_SHELL)
    assert r.exit_code != 0
    assert "입력이 올바르지 않습니다: email: 올바른 이메일 주소가 아닙니다." in r.output
    r = runner.invoke(args=bad, env=ENGLISH_SHELL)
    assert "Invalid input: email: Not a valid email address." in r.output
    r = runner.invoke(args=["users", "create", "kim@example.org", "--role", "staff", "--password",
                            "long enough pw"], env=KOREAN_SHELL)
    assert r.exit_code == 0 and r.output.startswith("사용자를 만들었습니다: ")
    r = runner.invoke(args=["users", "token", "kim@example.org"], env=KOREAN_SHELL)
    assert r.exit_code == 0 and r.output.startswith("kst_") and r.output.count("\n") == 1  # the token alone
    r = runner.invoke(args=["users", "token", "nobody@example.org"], env=KOREAN_SHELL)
    assert r.exit_code != 0 and "사용자 nobody@example.org이(가) 없습니다" in r.output
    r = runner.invoke(args=["reminders", "run", "--no-deliver"], env=KOREAN_SHELL)
    assert r.exit_code == 0 and r.output.startswith("알림: 신규 ")


def test_the_cli_help_is_in_the_environments_language(tmp_path):
    """The commands' and options' help, read when the command line starts (a new process)."""
    def help_of(lang: str, *args: str) -> str:
        env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES")}
        env.update(LANG=lang, DATABASE_URL=f"sqlite:///{tmp_path / 'help.db'}")
        return subprocess.run([sys.executable, "-m", "flask", "--app", "service", *args, "--help"],
                              env=env, capture_output=True, text=True, timeout=120, check=True).stdout

    korean = help_of("ko_KR.UTF-8", "db")
    assert "데이터베이스 구조." in korean and "Database schema." not in korean
    assert "데이터베이스를 생성하거나 최신 구조로 갱신합니다" in korean
    options = help_of("ko_KR.UTF-8", "reminders", "run")
    assert "발송함에만 기록하고 SMTP로 보내지 않습니다." in options
    english = help_of("en_US.UTF-8", "db")
    assert "Database schema." in english and "Create or migrate the database (Alembic)." in english


# --- a new staff account's language ----------------------------------------------------------


@pytest.mark.parametrize(("role", "country", "given", "expected"), [
    ("staff", None, None, "ko"), ("admin", None, None, "ko"), ("staff", None, "en", "en"),
    ("liaison", "PL", None, None),  # a liaison follows the country's report language
])
def test_a_new_account_through_the_api_gets_the_staff_default(client, world, role, country, given,
                                                               expected):
    body = {"email": f"new-{role}-{given}@example.org", "name": "New", "role": role,
            "country": country, "password": "long enough pw", **({"language": given} if given else {})}
    r = _post_user(client, world, body, EN)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["language"] == expected


def test_a_new_staff_account_from_the_cli_reads_korean(app, world, engine):
    r = app.test_cli_runner().invoke(args=["users", "create", "lee@example.org", "--role", "admin",
                                           "--password", "long enough pw"], env=ENGLISH_SHELL)
    assert r.exit_code == 0, r.output
    with Session(engine) as s:
        assert s.exec(select(User.language).where(User.email == "lee@example.org")).one() == "ko"


def test_the_demo_loaders_lines_follow_the_command_lines_language(app):
    """seed-demo prints its progress and the demo logins in the environment's language (the
    command wraps the loading in that language); without one they stay English."""
    from flask_babel import force_locale

    from service.domain import demo

    with app.app_context(), force_locale("ko"):
        assert demo.logins_text().startswith("시연 계정(모든 계정 비밀번호: k-sustain-demo):")
    with app.app_context():
        assert demo.logins_text().startswith("Demo logins (password for all: k-sustain-demo):")
