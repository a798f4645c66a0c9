"""App-wide hardening: security headers on every response, secrets kept out of logs, rate limits.

Everything here applies to every route, including routes added later, through hooks
(`after_request`, a log-record factory, the rate limiter's `before_request`): no view has
to remember anything.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from typing import Any

import flask
from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_smorest import abort
from gunicorn import glogging
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"
UNCACHED_EXEMPT = {"static", "web.static", "web.favicon", "api-docs.openapi_json",
                   "api-docs-assets.asset", DOCS_ENDPOINT}  # public, identical for everyone
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def docs_csp(body: bytes) -> str:
    """The Swagger UI page loads its code from this server (service.api.docs) and starts it
    with one inline script; that script is allowed by its hash, never with 'unsafe-inline'."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(m).digest()).decode()}'"
        for m in _INLINE_SCRIPT.findall(body)
    )
    return (f"default-src 'self'; img-src 'self' data:; style-src 'self'; "
            f"script-src 'self' {hashes}; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


_ALWAYS = (("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"),
           ("Referrer-Policy", "no-referrer"))
_UNLESS_SET = (("Content-Security-Policy", CSP), ("Cross-Origin-Opener-Policy", "same-origin"))
# Answers carry one caller's data (a liaison's country, a token): no cache may keep them.
_NO_STORE = (("Cache-Control", "no-store"),)
_HSTS = (("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),)


def _headers(app: Flask, response: Response) -> Response:
    h = response.headers
    endpoint = request.endpoint
    if endpoint == DOCS_ENDPOINT:
        h["Content-Security-Policy"] = docs_csp(response.get_data())
    present = {k.lower() for k in h.keys()}  # noqa: SIM118 - Headers iterates (key, value) pairs
    replaced = [*_ALWAYS, *(_NO_STORE if endpoint not in UNCACHED_EXEMPT else ()),
                *(_HSTS if app.config.get("ENV_NAME") == "production" else ())]
    for key, _value in replaced:
        if key.lower() in present:
            del h[key]
    h.extend([*replaced, *((k, v) for k, v in _UNLESS_SET if k.lower() not in present)])
    return response


class RecordId(IntegerConverter):
    """`<int:…>` in every URL is a database id: past PostgreSQL's `integer` it names nothing
    (404), instead of reaching the database as a number it cannot hold."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = 2**31 - 1, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


# --- bodies: whole and bounded, or refused -------------------------------------------------


class _WholeBody(LimitedStream):
    """A streamed (chunked) body, at most MAX_CONTENT_LENGTH: read whole, a body that goes on
    past the limit is refused (413). Werkzeug's own stream stops reading at the limit and
    hands on the cut-off part, which then failed to parse (400)."""

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._stream.read(1):
            raise RequestEntityTooLarge()
        return data


class JsonTooDeep(ValueError):
    """A JSON document nested deeper than the parser can follow."""


class JsonProvider(DefaultJSONProvider):
    """Flask's JSON, where a document nested too deeply is invalid JSON (a ValueError, as
    every other malformed document), not a RecursionError."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise JsonTooDeep("nested too deeply") from exc


class Request(flask.Request):
    """Flask's request, with a streamed body bounded as a sized one is (see `_WholeBody`)."""

    @cached_property
    def stream(self) -> Any:
        limit = self.max_content_length
        if (limit is not None and self.content_length is None and not self.shallow
                and "wsgi.input_terminated" in self.environ):
            return _WholeBody(self.environ["wsgi.input"], limit, is_max=True)
        return get_input_stream(self.environ, max_content_length=limit)


def refuse_deep_json() -> None:
    """Before every view, after the sign-in limit has counted the attempt: a JSON body nested
    too deeply answers 400. The views' parser (webargs) calls the standard library's
    `json.loads` itself and would meet the RecursionError as a 500; other malformed JSON
    is left to it (its 400 names the body)."""
    if not request.is_json:
        return
    data = request.get_data(cache=True)
    if not data:
        return
    try:
        flask.current_app.json.loads(data)
    except JsonTooDeep:
        abort(400, message="Invalid JSON body", errors={"json": ["nested too deeply"]})
    except ValueError:
        return


# --- secrets never reach a log --------------------------------------------------------------

_SECRETS = [
    (re.compile(r"kst_[A-Za-z0-9_\-]{4,}"), "kst_***"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/\-=]{8,}"), r"\1 ***"),
    (re.compile(r"(?i)(['\"]?(?:authorization|cookie|set-cookie|x-api-key)['\"]?\s*[:=,]\s*)"
                r"(\(?['\"]?)[^'\"\n]+"), r"\1\2***"),
    (re.compile(r"(?i)(['\"]?(?:password|passwd|secret|secret_key|token)['\"]?\s*[:=]\s*['\"]?)"
                r"[^'\"\s&,}]+"), r"\1***"),
    (re.compile(r"\$argon2[a-z]*\$[^\s'\",)]+"), "$argon2***"),
    # Tokens that are a URL's path: the calendar feed and the survey links (raw or %-encoded,
    # as in a `next=` parameter); a survey's numeric id is no secret.
    (re.compile(r"(?i)((?:/|%2F)calendar(?:/|%2F))[A-Za-z0-9_\-]+(\.ics)"), r"\1***\2"),
    (re.compile(r"(?i)((?:/|%2F)surveys(?:/|%2F))(?![0-9]+(?![A-Za-z0-9_\-]))[A-Za-z0-9_\-]+"), r"\1***"),
]


def redact(text: str) -> str:
    """`text` with tokens, Authorization/Cookie values, passwords and password hashes masked."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def install_log_redaction() -> None:
    """Redact every log record of the process when it is made, whatever handler prints it
    (ours, gunicorn's, pytest's): message, arguments and traceback text."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "k_sustain_redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: leave it to logging's own error report
            return record
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    factory.k_sustain_redacting = True  # type: ignore[attr-defined]  # marks the factory as installed
    logging.setLogRecordFactory(factory)


def _redact_record(record: logging.LogRecord) -> bool:
    """A logging filter: the record's message, redacted (it is always kept)."""
    record.msg, record.args = redact(record.getMessage()), None
    return True


class RedactingLogger(glogging.Logger):
    """gunicorn's logger (`logger_class` in gunicorn.conf.py) with every access and error line
    redacted, in the master as in the workers, whether or not the application was loaded."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            if _redact_record not in logger.filters:
                logger.addFilter(_redact_record)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus the signer's set-up on requests that carry no
    session cookie (every API call with a bearer token): an empty session is all they get,
    and an empty one nobody touched is not saved."""

    def open_session(self, app: Flask, request: flask.Request) -> SecureCookieSession | None:
        if "HTTP_COOKIE" not in request.environ or app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if not (session or session.modified or session.accessed):
            return  # nothing to set, clear or vary on (Flask would still read seven settings)
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    """Headers, log redaction, cookie flags, proxy trust, bounded bodies and the sign-in rate limit."""
    from service.core import ratelimit

    install_log_redaction()
    app.request_class = Request
    app.json = JsonProvider(app)
    app.session_interface = CookieSessions()
    app.url_map.converters["int"] = RecordId
    production = app.config.get("ENV_NAME") == "production"
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    if production:
        app.config["SESSION_COOKIE_SECURE"] = True
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:  # the client address the rate limit and audit see is the one the proxy saw
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]  # Flask's documented way to wrap the WSGI app
    app.after_request(lambda response: _headers(app, response))
    ratelimit.init_app(app)
    app.before_request(refuse_deep_json)  # after the limit: a refused body still counts
