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

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

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


# --- secrets never reach a log --------------------------------------------------------------

_SECRETS = [
    (re.compile(r"kst_[A-Za-z0-9_\-]{4,}"), "kst_***"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/\-=]{8,}"), r"\1 ***"),
    (re.compile(r"(?i)(['\"]?(?:authorization|cookie|set-cookie|x-api-key)['\"]?\s*[:=,]\s*)"
                r"(\(?['\"]?)[^'\"\n]+"), r"\1\2***"),
    (re.compile(r"(?i)(['\"]?(?:password|passwd|secret|secret_key|token)['\"]?\s*[:=]\s*['\"]?)"
                r"[^'\"\s&,}]+"), r"\1***"),
    (re.compile(r"\$argon2[a-z]*\$[^\s'\",)]+"), "$argon2***"),
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

    factory.k_sustain_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus the signer's set-up on requests that carry no
    session cookie (every API call with a bearer token): an empty session is all they get,
    and an empty one nobody touched is not saved."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if "HTTP_COOKIE" not in request.environ or app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if not (session or session.modified or session.accessed):
            return  # nothing to set, clear or vary on (Flask would still read seven settings)
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    """Headers, log redaction, cookie flags, proxy trust and the sign-in rate limit."""
    from service import ratelimit

    install_log_redaction()
    app.session_interface = CookieSessions()
    app.url_map.converters["int"] = RecordId
    production = app.config.get("ENV_NAME") == "production"
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    if production:
        app.config["SESSION_COOKIE_SECURE"] = True
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:  # the client address the rate limit and audit see is the one the proxy saw
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.after_request(lambda response: _headers(app, response))
    ratelimit.init_app(app)
