"""Languages (SPEC §12): gettext catalogues through Flask-Babel, and which language a request
is answered in.

The choice, first that applies: on the API, the `Accept-Language` sent (its error texts follow
it); the signed-in user's own setting; for a liaison without one, their country's report
language; the language picked with the switch on a page (kept in the session: the sign-in and
survey pages); the browser's `Accept-Language`; English. The
catalogues are `service/translations/<lang>/LC_MESSAGES/messages.po` (committed) compiled to
`.mo` by `make install` (never committed); `make messages` extracts and updates them.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations
from flask import Flask, g, request, session
from flask_babel import Babel

LANGUAGES = ("en", "ko")
DEFAULT = "en"
SESSION_KEY = "lang"
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


def country_name(code: str, name: str, language: str) -> str:
    """A country's name in `language`: in English the registered name as it is, in another
    language Babel's name of the territory (`PL` 폴란드), the registered name when Babel has none.
    Pages and PDFs show it; the API keeps answering with the registered name."""
    if language == DEFAULT or not code:
        return name or code
    return str(Locale.parse(language).territories.get(code.upper()) or name or code)


@functools.cache
def catalogue(language: str) -> NullTranslations:
    """The compiled catalogue of `language`, for what is written without a request (messages,
    PDFs, the command line); English needs none (the msgids are English)."""
    if language == DEFAULT:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [language, DEFAULT])


def choose_language() -> str:
    if request and request.path.startswith("/api/") and request.accept_languages:
        # The API's error texts follow the `Accept-Language` sent (SPEC §12); without one, as below.
        return request.accept_languages.best_match(LANGUAGES) or DEFAULT
    principal = g.get("principal")
    if principal is not None and principal.language in LANGUAGES:
        return str(principal.language)
    if request and session.get(SESSION_KEY) in LANGUAGES:
        return str(session[SESSION_KEY])
    if request:
        return request.accept_languages.best_match(LANGUAGES) or DEFAULT
    return DEFAULT


def chooser(asked: str | None) -> Callable[[list[str]], str]:
    """Picks from what a survey offers: the language asked for (`?lang=`, the page's switch),
    else the browser's best match, else English."""

    def choose(offered: list[str]) -> str:
        if asked in offered:
            return str(asked)
        return request.accept_languages.best_match(offered) or DEFAULT

    return choose


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=choose_language, default_locale=DEFAULT)


def strftime_zoned(moment: dt.datetime, fmt: str) -> str:
    """`moment.strftime(fmt)` with its zone (`%Z`) as people read it: the zone's abbreviation
    (CET, KST), or, for a zone that has none (the Gulf's, which tzdata writes "+04"), its offset
    from UTC ("UTC+04")."""
    if "%Z" in fmt:
        name = moment.strftime("%Z")
        fmt = fmt.replace("%Z", (f"UTC{name}" if name and name[0] in "+-" else name).replace("%", "%%"))
    return moment.strftime(fmt)
