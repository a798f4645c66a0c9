"""Every notification's subject and body, from one place, in the recipient's language (SPEC §12).

The texts are the plain-text templates in `service/web/templates/mail/` (a `subject` and a
`body` block each), their words marked with `{% trans %}` / `_()` and so in the gettext
catalogues. They are rendered without a request (the daily jobs send most of them): each
language has its own Jinja environment with Babel's `support.Translations` for that language
installed, so a job renders a Korean and an English message side by side. An unknown name in
a template is an error, never a blank.

The language of a recipient, first that applies: their own setting; for a liaison (or a
country administrator) their country's report language; for staff and administrators Korean
(the staff default); English.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel import Locale
from babel.dates import format_date, format_time
from sqlmodel import Session

from models import Country, Role, User
from service.core.i18n import catalogue

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "web" / "templates" / "mail"
LANGUAGES = ("en", "ko")
DEFAULT = "en"
STAFF_DEFAULT = "ko"  # SPEC §12: staff work in Korean
COUNTRY_ROLES = (Role.liaison.value, Role.country_admin.value)
HQ_ROLES = (Role.staff.value, Role.admin.value)


def language_of(session: Session | None, user: User | None) -> str:
    """The language `user` reads their messages in (see the module's docstring)."""
    if user is None:
        return STAFF_DEFAULT  # a staff member without an account (service reminders)
    if user.language in LANGUAGES:
        return str(user.language)
    role = str(getattr(user.role, "value", user.role))
    if role in COUNTRY_ROLES:
        country = session.get(Country, user.country_code) if session and user.country_code else None
        language = country.report_language if country is not None else None
        return language if language in LANGUAGES else DEFAULT
    return STAFF_DEFAULT if role in HQ_ROLES else DEFAULT


def _date(language: str) -> Any:
    def date(value: dt.date | dt.datetime | None, tz: str | None = None) -> str:
        """A date in the language's words: `November 5, 2026`, `2026년 11월 5일`."""
        if value is None:
            return "—"
        if isinstance(value, dt.datetime):
            value = value.astimezone(ZoneInfo(tz) if tz else dt.UTC).date()
        return format_date(value, "long", locale=language)
    return date


def _moment(language: str) -> Any:
    def moment(value: dt.datetime, tz: str | None = None) -> str:
        """A time with its date and zone: `Thursday, November 5, 2026 08:00 (UTC)`."""
        zone = tz or "UTC"
        local = value.astimezone(ZoneInfo(zone) if tz else dt.UTC)
        return (f"{format_date(local.date(), 'full', locale=language)} "
                f"{format_time(local.time(), 'HH:mm', locale=language)} ({zone})")
    return moment


def _country(language: str) -> Any:
    def country(value: Any) -> str:
        """A country's name in the language (Babel's territory names), else its stored name."""
        code, name = str(getattr(value, "code", "") or ""), str(getattr(value, "name", value))
        if language == DEFAULT:
            return name
        return str(Locale.parse(language).territories.get(code.upper(), name))
    return country


@functools.cache
def _environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False,  # noqa: S701  # plain-text mail
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(catalogue(language), newstyle=True)  # type: ignore[attr-defined]
    from service.domain.actions import in_words

    env.filters.update(date=_date(language), moment=_moment(language),
                       country=_country(language),
                       in_words=lambda text: in_words(text, catalogue(language)))
    env.globals["word"] = env.get_template("lib/words.txt").module.word  # type: ignore[attr-defined]
    return env


def render(name: str, *, language: str = DEFAULT, **context: Any) -> dict[str, str]:
    """`{"subject", "body"}` of the message `name` (a file `name.txt`) in `language`."""
    template = _environment(language if language in LANGUAGES else DEFAULT).get_template(f"{name}.txt")
    exported = template.make_module(context).__dict__  # what the template sets at its top
    ctx = template.new_context({**context, **{k: v for k, v in exported.items() if not k.startswith("_")}})
    subject = " ".join("".join(template.blocks["subject"](ctx)).split())
    body = "".join(template.blocks["body"](ctx))
    return {"subject": subject[:300], "body": body}


def render_to(session: Session | None, user: User | None, name: str, **context: Any) -> dict[str, str]:
    """The message `name` for `user`, in their language (`language_of`)."""
    return render(name, language=language_of(session, user), user=user, **context)
