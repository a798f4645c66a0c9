"""From an HTML form to the API's JSON shape, and from errors back to messages per field.

The pages validate through the API's own marshmallow schemas: these helpers only translate
what a browser sends (strings, `datetime-local` values without an offset, repeated fields)
into the body a JSON client would send, and flatten the error dictionaries for the form.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from service.core.db import get_session
from service.core.error_texts import translate
from service.core.statuses import status_of
from service.domain.errors import DomainError
from service.schemas.common import EMPTY

LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")
Errors = dict[str, list[str]]


def text_fields(*names: str) -> dict[str, str]:
    """The form's values for `names`, trimmed (a missing field is an empty string)."""
    return {name: request.form.get(name, "").strip() for name in names}


def given(form: dict[str, Any]) -> dict[str, Any]:
    """An empty optional field is "not given", as in a JSON body without the key."""
    return {k: v for k, v in form.items() if v not in ("", None, [])}


def zone(name: str | None) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name) if name else dt.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def local_to_iso(value: str, tz: str | None) -> str:
    """A `datetime-local` value read as wall-clock time in `tz`, as ISO 8601 with its offset.

    Anything else is passed on unchanged, so the schema reports it like a bad JSON value.
    """
    for fmt in LOCAL_FORMATS:
        try:
            naive = dt.datetime.strptime(value, fmt)  # noqa: DTZ007 - the zone is attached next
        except ValueError:
            continue
        return naive.replace(tzinfo=zone(tz)).isoformat()
    return value


def iso_to_local(value: dt.datetime | None, tz: str | None) -> str:
    """A stored UTC time as the value of a `datetime-local` field in `tz`."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone(tz)).strftime("%Y-%m-%dT%H:%M")


def whole(text: str, max_digits: int = 9) -> int | None:
    """`text` as a whole number if it is one written in ASCII digits (`int` refuses "²",
    which `str.isdigit` accepts), short enough for a database integer; else None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= max_digits else None


def number(value: str) -> int | str:
    """A whole number for schemas whose ratings are strict integers; other text stays as typed."""
    found = whole(value)
    return value if found is None else found


def message(text: Any) -> str:
    """A schema's or a rule's message in the page's language (a rule's lazy text is already)."""
    return str(translate(text))


# A form's empty required field, left out of the body (marshmallow: "Missing data for required
# field.") or sent empty ("Must not be empty."), is one thing to the person filling it in.
NOTHING_GIVEN = {"Missing data for required field.", EMPTY}
REQUIRED = "Required."


def flat_errors(messages: Any) -> dict[str, list[str]]:
    """marshmallow's nested messages (`{"staff": {0: {"id": [...]}}}`) as plain lists per field,
    each in the page's language (like the API's answers: `service.core.error_texts`); an empty
    required field says `REQUIRED`, whichever way it was left empty."""
    out: dict[str, list[str]] = {}

    def walk(value: Any, into: list[str]) -> None:
        if isinstance(value, dict):
            for inner in value.values():
                walk(inner, into)
        elif isinstance(value, list | tuple):
            for inner in value:
                walk(inner, into)
        else:
            into.append(message(REQUIRED if value in NOTHING_GIVEN else value))

    if not isinstance(messages, dict):
        messages = {"_": messages}
    for key, value in messages.items():
        name = "_" if key == "_schema" else str(key)
        walk(value, out.setdefault(name, []))
    return out


def domain_errors(err: DomainError) -> dict[str, list[str]]:
    """A rule's refusal as messages per field (its message alone when it names no field)."""
    errors = flat_errors(err.errors) if err.errors else {}
    return errors or {"_": [message(err.message)]}


class Refusal(NamedTuple):
    errors: dict[str, list[str]]
    status: int
    conflicts: list[Any]


def refused(err: ValidationError | DomainError) -> Refusal:
    """A form's input refused by the schema (422) or by a rule (its own status, and the
    bookings it clashes with): the errors per field, to show next to the form as typed.
    The request's session is rolled back, so nothing of the attempt is written."""
    get_session().rollback()
    if isinstance(err, ValidationError):
        return Refusal(flat_errors(err.messages_dict), 422, [])
    return Refusal(domain_errors(err), status_of(err), err.extra.get("conflicts", []))


def stale_version(obj: Any, what: str, endpoint: str, **values: Any) -> Response | None:
    """Like If-Match: a form sent from an older version is refused, nothing written. `what` names
    the record in the page's language (`_("This report")`)."""
    if request.form.get("version") == str(obj.version):
        return None
    flash(_("%(what)s was changed by someone else meanwhile; nothing was saved. "
            "Check the current version below and try again.", what=what), "error")
    return redirect(url_for(endpoint, **values))


def paging(params: Any, size: int) -> dict[str, int]:
    """The pager's values for a template: this page, how many pages, how many rows."""
    return {"page": params.page, "pages": max(1, -(-params.item_count // size)), "total": params.item_count}


def page_number() -> int:
    return max(1, min(whole(request.args.get("page", "1"), 6) or 1, 10_000))


def describe(keys: Sequence[str], labels: Mapping[str, str]) -> str:
    """`("-due", "title")` as "due date (descending), then title", in the page's language: what a
    page says its order is (`labels`: the list's columns in words, lazy strings)."""
    parts = [str(labels.get(k.removeprefix("-"), k.removeprefix("-"))) for k in keys]
    parts = [_("%(column)s (descending)", column=part) if key.startswith("-") else part
             for key, part in zip(keys, parts, strict=True)]
    text = parts[0] if parts else ""
    for part in parts[1:]:
        text = _("%(first)s, then %(next)s", first=text, next=part)
    return text


def list_order(query: dict[str, Any], default: tuple[str, ...], labels: Mapping[str, str]) -> dict[str, str]:
    """The page's order: the `sort` it was asked for (already checked by the list's schema) or the
    page's own default, put into `query` for the domain's list query; and, for the template, the
    sort as a query value and in words ("due date, then title", which `order_note` makes
    "Sorted by due date, then title.")."""
    keys = query.get("sort") or default
    query["sort"] = keys
    return {"sort": ",".join(keys), "order": describe(keys, labels)}
