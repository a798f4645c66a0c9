"""The texts of the API's error answers, translated at one point (SPEC §12: `message` and the
field errors follow `Accept-Language`; the `code`s and field names stay English).

The rules, the schemas and marshmallow raise their messages in English; `translate` (called by
the error handlers, `service.core.errors`) looks each text up in the catalogue when the answer
is written, in the request's language:

- a text that is a message id itself (a constant message: "Unknown country", marshmallow's
  "Missing data for required field.") is translated as it is;
- a text made from a pattern with values ("Longer than maximum length 120.", "User 7 not
  found") is matched against `PATTERNS` and its translation filled with the same values.

A text in neither stays English (the fallback of SPEC §12). The message ids are listed here,
marked with `_l` (no translation at import: a marker for `pybabel extract`, which reads `_l`),
so the Korean catalogue and its test (tests/test_i18n.py) cover them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from flask_babel import gettext


def _l(msgid: str) -> str:
    """Marks `msgid` for extraction (like gettext_noop); it is translated where it is shown."""
    return msgid


# What the HTTP layer says itself (service.core.errors, service.api.common).
HTTP = [
    _l("Not found"),
    _l("The record was changed by someone else; read it again and retry"),
    _l("Conflicts with an existing record (a unique value is taken)"),
    _l("A value is out of range for storage"), _l("Internal error"),
    _l("The database is busy or unavailable; retry shortly"),
    _l("The database's storage is full; nothing was written. Retry once an operator has freed space"),
    _l("Send If-Match with the ETag (or version) from your last read"),
    _l("The record changed since you read it; nothing was written"),
    _l("Invalid JSON body"), _l("nested too deeply"),
]
# What a POST's `Idempotency-Key` is refused with (service.core.idempotency).
IDEMPOTENCY = [
    _l("Idempotency-Key must be 1 to 255 printable ASCII characters"),
    _l("1 to 255 printable ASCII characters"),
    _l("This Idempotency-Key was used for another request"),
    _l("already used with another method, path or body"),
    _l("A request with this Idempotency-Key is still being processed; retry later"),
    _l("the first request with this key has not finished"),
    _l("The first request with this Idempotency-Key did not finish and its outcome is unknown: "
       "check whether it took effect before sending it again with a new key"),
    _l("the first request with this key never answered"),
    _l("A request with this Idempotency-Key is being processed; retry later"),
]
# The message of an answer that brings none of its own, by status.
DEFAULT_MESSAGES = {
    401: _l("Authentication required"), 403: _l("Your account may not do this"),
    422: _l("The request's values are not valid; see errors"),
}

# marshmallow's own messages (fields and validators), and the schemas' constant ones.
VALIDATION = [
    _l("Missing data for required field."), _l("Field may not be null."), _l("Invalid value."),
    _l("Must not be empty."),
    _l("Not a valid boolean."), _l("Not a valid date."), _l("Not a valid datetime."),
    _l("Not a valid aware datetime."), _l("Not a valid naive datetime."), _l("Not a valid time."),
    _l("Not a valid integer."), _l("Not a valid number."), _l("Not a valid string."),
    _l("Not a valid list."), _l("Not a valid mapping type."), _l("Not a valid email address."),
    _l("Not a valid URL."), _l("Not a valid UUID."), _l("Number too large."), _l("Invalid type."),
    _l("Unknown field."), _l("Invalid input type."), _l("Invalid input."),
    _l("String does not match expected pattern."), _l("Not a valid period of time."),
    _l("Special numeric values (nan or infinity) are not permitted."),
    _l("Not an ISO 3166-1 alpha-2 country code."), _l("Not an IANA timezone name (e.g. Europe/Warsaw)."),
    _l("Not an ISO 4217 currency code."), _l("Must be after starts_at."), _l("Must be after start."),
    _l("Cannot exceed capacity."), _l("Each staff member appears once."), _l("At most one lead."),
    _l("Each unit appears once."), _l("Cannot be before the first wished day."),
    _l("Cannot be before since."), _l("Cannot be before from."), _l("Give either count or serials."),
    _l("Each skill appears once."),
    _l("Give either duration_days or duration_hours."), _l("Longer than a working day."),
    _l("Each system appears once per contract."), _l("Warranty cannot end before delivery."),
    _l("This month has not started yet."), _l("Must not be after `to`."), _l("Cannot be in the future."),
    _l("Required."),  # a page's form: an empty required field (service.web.forms)
    _l("a two-letter language code such as en, ko or pl"),
]

# The rules' constant messages (service.domain), the ones a user meets most.
RULES = [
    _l("Unknown country"), _l("Unknown system"), _l("Unknown contract"), _l("Unknown trainee"),
    _l("Unknown staff member"), _l("Unknown or inactive staff"), _l("Unknown report kind"),
    _l("Name the country"), _l("E-mail taken"), _l("Serial taken"), _l("Contract number taken"),
    _l("Password too short"), _l("Password too weak"), _l("Token lifetime too long"),
    _l("No such move"), _l("Too many occurrences"), _l("The series is too long"),
    _l("Occurrences overlap"), _l("The rule yields no occurrence"),
    _l("The service must end after it starts"),
    _l("Double booking: a staff member or unit is already booked then"),
    _l("Units must belong to the service's country and system"), _l("Units cannot be used"),
    _l("More participants than places"), _l("Fewer places than nominees"), _l("No seat left"),
    _l("Already nominated"), _l("Already withdrawn"), _l("Already anonymised"),
    _l("Cancelling needs a reason"), _l("Going early needs a reason"),
    _l("Completing needs the participants and the outcome"),
    _l("Closing an action needs its resolution"),
    _l("Resolving needs a disposition and a resolution"), _l("Give the severity"),
    _l("A safety deficiency is always critical"), _l("The report was withdrawn"),
    _l("The units must be of the report's system"), _l("Only staff write internal notes"),
    _l("Only staff set the units' status"), _l("Wished dates out of order"),
    _l("This survey has already been answered"), _l("This survey has expired"),
    _l("This survey is not offered in that language"), _l("Some answers are missing or not asked"),
    _l("Only a disputed delivery is answered"),
    _l("Only the buyer's liaison accepts or disputes a delivery"),
    _l("Only liaisons and country administrators belong to a country"),
    _l("A liaison or country administrator belongs to one country"),
    _l("The file is larger than 10 MiB"),
    _l("Only photos (PNG, JPEG, GIF, WebP) and PDF files are accepted"),
    _l("The date is in the future"), _l("Future period"), _l("Bad period"),
    _l("No country has a unit this bulletin concerns; name the countries"),
    _l("A serial range runs from its first serial to its last"),
    _l("A serial range covers one country's units"),
    _l("The serial falls in a serial range of another country's units"),
    _l("This bulletin does not concern that unit"),
    _l("This link is unknown or has expired; ask your administrator for a new one"),
    _l("Outside your country's liaison accounts"),
    _l("You cannot manage your own account; ask an administrator"),
    # field texts of the same rules
    _l("a user with this e-mail exists"), _l("no such buyer country is registered"),
    _l("no such system in the catalogue"), _l("only for liaisons and country administrators"),
]

# Texts with values: `%(name)s` stands for any value, given back into the translation.
PATTERNS = [
    _l("Must be one of: %(choices)s."), _l("Length must be between %(min)s and %(max)s."),
    _l("Longer than maximum length %(max)s."), _l("Shorter than minimum length %(min)s."),
    _l("Length must be %(equal)s."), _l("Must be equal to %(other)s."),
    _l("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    _l("Must be greater than or equal to %(min)s."), _l("Must be less than or equal to %(max)s."),
    _l("Must be greater than %(min)s."), _l("Must be less than %(max)s."),
    _l("%(thing)s %(id)s not found"), _l("current version is %(version)s"),
    _l("%(thing)s %(id)s exists"), _l("The request was already %(status)s"),
    _l("A %(status)s delivery cannot be decided again"), _l("the delivery is %(status)s"),
    _l("A %(status)s report is not changed any more"), _l("the report is %(status)s"),
    _l("A %(status)s report cannot become %(next)s"),
    _l("A %(status)s service cannot become %(next)s"),
    _l("An action cannot go from %(status)s to %(next)s"),
    _l("Too many sign-in attempts; retry in %(seconds)s s"),
    _l("range %(n)s: %(lo)s is after %(hi)s"),
    _l("range %(n)s covers units of %(countries)s: split it by country"),
    _l("inside %(lo)s to %(hi)s of bulletin %(number)s, which covers another country's units"),
    _l("%(serial)s is outside the bulletin's system or serial ranges"),
]


# What a value may be: one word (a number, an id, a status) unless named here.
WORD = r"\S+?"
VALUES = {"thing": r"[A-Z][A-Za-z]*", "choices": r".+?", "other": r".+?", "countries": r".+?",
          "lo": r".+?", "hi": r".+?", "serial": r".+?"}  # serials may hold spaces


@functools.cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    compiled = []
    for msgid in PATTERNS:
        parts = re.split(r"%\((\w+)\)s", msgid)  # text, name, text, name, …, text
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>{VALUES.get(p, WORD)})"
                        for i, p in enumerate(parts))
        compiled.append((re.compile(regex, re.DOTALL), msgid))
    return compiled


def translate(text: Any, gettext: Callable[..., str] = gettext) -> Any:
    """`text` in the request's language when the catalogue has it (itself or its pattern);
    `gettext` another language's (the command line's, `service.cli`)."""
    if not isinstance(text, str) or not text:
        return text
    translated = gettext(text)
    if translated != text:
        return translated
    for pattern, msgid in _patterns():
        match = pattern.fullmatch(text)
        if match:
            return gettext(msgid, **match.groupdict())
    return text


def translate_body(body: dict[str, Any]) -> dict[str, Any]:
    """An error body (`{"code", "status", "message"?, "errors"?}`) with its `message` (the status's
    default one when it has none) and field errors translated; `code`, `status` and the other
    keys as they are."""
    body = dict(body)
    message = body.get("message") or DEFAULT_MESSAGES.get(int(body.get("code") or 0))
    if message:
        body["message"] = translate(str(message))
    if body.get("errors"):
        body["errors"] = translate_errors(body["errors"])
    return body


def translate_errors(errors: Any, gettext: Callable[..., str] = gettext) -> Any:
    """Field errors (`{"json": {"name": ["…"]}}`, lists, nested) with every text translated and
    every key (a location, a field name, an index) unchanged."""
    if isinstance(errors, dict):
        return {key: translate_errors(value, gettext) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [translate_errors(value, gettext) for value in errors]
    return translate(errors, gettext)
