"""Screenshots of the main pages for the README, taken in Debian's Chromium.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Builds a throw-away SQLite database with the demo data (plus a year of illustrative
services and answers while the demo set has none of its own), serves it on a free port and
saves PNGs of the sign-in page, a liaison's home, the staff countries table, the users page,
the services list, the month calendar, a service's page, the planning board, the deficiency
reports, the bulletins and the trainees at 1280 px, a liaison's home and the survey form behind
an e-mailed link on a 390-px phone, the sign-in, countries, users, calendar and reports
pages in Korean (the browser asking for Korean, as a Korean staff officer's does), and the first
page of Poland's last monthly report written in Korean (`--only report-ko.png` takes just one).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from models import (  # noqa: E402
    CorrectiveAction,
    Country,
    Report,
    ServiceEvent,
    ServiceRequest,
    Survey,
    SurveyResponse,
    SurveyTemplate,
    Unit,
)
from service.core.db import get_engine, session_scope  # noqa: E402
from service.domain import demo, pdf, periods, report_data  # noqa: E402
from tests.browser import DESKTOP, PHONE, chromium, migrated_app, serve, sign_in  # noqa: E402

TITLES = {"joint_training": "Joint live-fire exercise", "tech_education": "Maintenance course",
          "trial_run": "Acceptance trial run"}


def illustrate(engine: sa.Engine, now: dt.datetime, rng: random.Random) -> None:
    """A year of completed services with answers, and what is coming, for every country."""
    with session_scope(engine) as s:
        if s.scalar(select(sa.func.count()).select_from(ServiceEvent)):
            return  # the demo data set has its own services now
        template = SurveyTemplate(name="standard", questions=[{"id": "overall"}])
        s.add(template)
        s.flush()
        systems = dict(s.execute(select(Unit.country_code, sa.func.min(Unit.system_id))
                                 .group_by(Unit.country_code)).all())
        for country in s.scalars(select(Country)):
            system_id = systems.get(country.code)
            if system_id is None:
                continue
            mood = rng.uniform(-1.2, 0.8)
            for months_ago in range(12, 0, -1):
                kind = rng.choice(list(TITLES))
                start = now - dt.timedelta(days=30 * months_ago + rng.randint(0, 10))
                event = ServiceEvent(kind=kind, title=TITLES[kind], country_code=country.code,
                                     system_id=system_id, starts_at=start,
                                     ends_at=start + dt.timedelta(days=3), timezone=country.timezone,
                                     location="Training area", status="completed",
                                     participants_actual=rng.randint(8, 30))
                s.add(event)
                s.flush()
                survey = Survey(event_id=event.id, country_code=country.code, system_id=system_id,
                                kind=kind, template_id=template.id, token=f"shot-{event.id}",
                                period=periods.of(event.ends_at), sent_at=event.ends_at,
                                expires_at=event.ends_at + dt.timedelta(days=30),
                                status="sent" if months_ago == 1 else "answered")
                s.add(survey)
                s.flush()
                if months_ago == 1:
                    continue
                overall = max(1, min(5, round(4 + mood + rng.uniform(-1, 1))))
                response = SurveyResponse(
                    survey_id=survey.id, event_id=event.id, country_code=country.code,
                    system_id=system_id, kind=kind, template_id=template.id, period=survey.period,
                    overall=overall, instructors=max(1, min(5, overall + rng.randint(-1, 1))),
                    timeliness=overall, documentation=max(1, overall - 1), equipment=overall,
                    recommend=max(0, min(10, overall * 2 + rng.randint(-1, 1))))
                s.add(response)
                s.flush()
                if overall <= 2:
                    s.add(CorrectiveAction(country_code=country.code, event_id=event.id,
                                           response_id=response.id, title="Review the course material",
                                           due_on=(now + dt.timedelta(days=rng.randint(-20, 20))).date()))
            for days, status in ((rng.randint(2, 20), "confirmed"), (rng.randint(22, 40), "planned"),
                                 (rng.randint(45, 70), "planned")):
                kind = rng.choice(list(TITLES))
                start = now + dt.timedelta(days=days, hours=rng.randint(0, 8))
                s.add(ServiceEvent(kind=kind, title=TITLES[kind], country_code=country.code,
                                   system_id=system_id, starts_at=start, ends_at=start + dt.timedelta(days=2),
                                   timezone=country.timezone, location="Training area", status=status))
            s.add(ServiceRequest(country_code=country.code, kind="trial_run", system_id=system_id,
                                 wished_from=(now + dt.timedelta(days=60)).date(),
                                 wished_to=(now + dt.timedelta(days=75)).date()))
            for back in (1, 2):
                s.add(Report(kind="country_monthly", country_code=country.code, scope_key=country.code,
                             period=periods.shift(periods.of(now), -back), generated_by="scheduler",
                             pages=7, size=61_000))


def service_pages(engine: sa.Engine) -> tuple[int, str, str]:
    """A Polish service that is planned or under way, an open survey's token, and this month."""
    with session_scope(engine) as s:
        now = dt.datetime.now(dt.UTC)
        event_id = s.scalar(select(ServiceEvent.id).where(
            ServiceEvent.country_code == "PL", ServiceEvent.starts_at > now,
            ServiceEvent.status.in_(("planned", "confirmed"))).order_by(ServiceEvent.starts_at))
        token = s.scalar(select(Survey.token).where(Survey.status == "sent", Survey.expires_at > now)
                         .order_by(Survey.sent_at.desc()))
        return int(event_id or 1), str(token or "none"), periods.of(now)


A4 = {"width": 794, "height": 1123}  # 210 x 297 mm at 96 px per inch


def browser_font(path: Path) -> bytes:
    """The font without its hinting-source tables (TSI*), which Chromium's font sanitizer
    refuses (WeasyPrint reads the file as it is); fontTools comes with WeasyPrint."""
    from fontTools.ttLib import TTFont

    font = TTFont(path)
    for tag in [t for t in font.keys() if t.startswith("TSI")]:  # noqa: SIM118 - TTFont has no __iter__
        del font[tag]
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def korean_report(engine: sa.Engine, period: str) -> str:
    """The HTML WeasyPrint renders for Poland's monthly report of `period` once Poland's report
    language is Korean, made standalone for the browser: the stylesheet and its NanumGothic
    fonts inlined, the page margins as padding. Chromium draws no @page margin boxes, so the
    first page shows without its running header and footer."""
    with session_scope(engine) as s:
        country = s.get(Country, "PL")
        assert country is not None
        country.report_language = "ko"
    with Session(engine) as s:
        data = report_data.country_monthly(session=s, country_code="PL", period=period,
                                           now=dt.datetime.now(dt.UTC), revision=1,
                                           marking="UNCLASSIFIED")
    css = (pdf.TEMPLATES_DIR / "report.css").read_text()
    for font in ("NanumGothic.ttf", "NanumGothicBold.ttf"):
        inline = base64.b64encode(browser_font(pdf.TEMPLATES_DIR / "fonts" / font)).decode()
        css = css.replace(f'url("fonts/{font}")', f'url("data:font/ttf;base64,{inline}")')
    css += "\nbody { padding: 22mm 16mm 20mm; }"
    return pdf.render_html("country_monthly.html", data).replace(
        '<link rel="stylesheet" href="report.css">', f"<style>{css}</style>")


def shrink(png: Path) -> None:
    """A 256-colour palette keeps the pictures small in the repository (Pillow comes with WeasyPrint)."""
    from PIL import Image

    with Image.open(png) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(png, optimize=True)


def korean_font() -> bool:
    """Whether the system has a font with Hangul that Chromium's pages can fall back on."""
    import shutil
    import subprocess

    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True, check=False)  # noqa: S607 - fontconfig's own tool
    return bool(found.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", action="append", help="take only this picture (e.g. report-ko.png)")
    args = parser.parse_args()
    if not korean_font():
        sys.exit("No font with Korean letters for Chromium (the pages would show empty boxes): "
                 "apt-get install fonts-nanum")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = migrated_app(Path(tmp) / "shots.db")
        engine = get_engine(app)
        demo.seed(engine)
        illustrate(engine, dt.datetime.now(dt.UTC), random.Random(6))  # noqa: S311 - made-up data
        event_id, token, month = service_pages(engine)
        with serve(app) as base, chromium() as browser:
            shots = [
                (None, "/login", DESKTOP, "login.png", False, "en-GB"),
                ("liaison.pl", "/", DESKTOP, "liaison-home.png", True, "en-GB"),
                ("liaison.pl", "/", PHONE, "liaison-home-phone.png", True, "en-GB"),
                ("staff", "/countries?sort=-csat", DESKTOP, "countries.png", False, "en-GB"),
                ("admin", "/users", DESKTOP, "users.png", False, "en-GB"),
                ("staff", "/services?country=PL", DESKTOP, "services.png", False, "en-GB"),
                ("staff", f"/services/calendar?month={month}", DESKTOP, "calendar.png", False, "en-GB"),
                ("staff", f"/services/{event_id}", DESKTOP, "service.png", True, "en-GB"),
                ("staff", "/planning?country=PL", DESKTOP, "planning.png", False, "en-GB"),
                ("staff", "/deficiencies", DESKTOP, "deficiencies.png", False, "en-GB"),
                ("liaison.pl", "/bulletins", DESKTOP, "bulletins.png", False, "en-GB"),
                ("liaison.pl", "/trainees", DESKTOP, "trainees.png", False, "en-GB"),
                (None, f"/surveys/{token}", PHONE, "survey-phone.png", True, "en-GB"),
                (None, "/login", DESKTOP, "login-ko.png", False, "ko-KR"),
                ("staff", "/countries?sort=-csat", DESKTOP, "countries-ko.png", False, "ko-KR"),
                ("admin", "/users", DESKTOP, "users-ko.png", False, "ko-KR"),
                ("staff", f"/services/calendar?month={month}", DESKTOP, "calendar-ko.png", False, "ko-KR"),
                ("staff", "/reports", DESKTOP, "reports-ko.png", False, "ko-KR"),
            ]
            for who, path, viewport, name, full, locale in shots:
                if args.only and name not in args.only:
                    continue
                context = browser.new_context(viewport=viewport, device_scale_factor=1, locale=locale)
                page = context.new_page()
                if who:
                    sign_in(page, base, f"{who}@k-sustain.example", demo.DEMO_PASSWORD)
                page.goto(base + path)
                page.screenshot(path=str(args.out / name), full_page=full)
                context.close()
                shrink(args.out / name)
                print(args.out / name)
            if not args.only or "report-ko.png" in args.only:
                context = browser.new_context(viewport=A4, device_scale_factor=1, locale="ko-KR")
                page = context.new_page()
                page.set_content(korean_report(engine, periods.shift(month, -1)), wait_until="load")
                page.screenshot(path=str(args.out / "report-ko.png"))
                context.close()
                shrink(args.out / "report-ko.png")
                print(args.out / "report-ko.png")
        engine.dispose()


if __name__ == "__main__":
    main()
