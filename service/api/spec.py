"""The OpenAPI document tells the truth: every status an operation can answer is documented.

flask-smorest documents what a view declares (`@blp.response`, `@blp.arguments` -> 422,
`@blp.alt_response`). The statuses that come from app-wide machinery are added here, for
every operation, from what that machinery does to it:

- 401 / 403: the view's `@access` policy (as `service.core.auth` applies it);
- 404: a path parameter (a missing or foreign record), or a write naming other records;
- 400 / 413: a request body (malformed JSON, larger than MAX_CONTENT_LENGTH);
- 409: a write (a unique value taken, a rule in conflict);
- 412 / 428 and the If-Match header: a view marked `takes_if_match` (it calls `check_if_match`);
- 429: an endpoint under the sign-in rate limit (`service.core.ratelimit`).

There is no catch-all `default` response: an undocumented status is a bug the generated
API tests (tests/test_api_attacks.py) must find.
"""

from __future__ import annotations

import re
import threading
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from apispec import BasePlugin
from flask import Flask
from flask_smorest import Api
from werkzeug.routing import Rule

WRITES = {"post", "put", "patch", "delete"}


class ErrorSchema(ma.Schema):
    """Every error body: `{"code", "status", "message"?, "errors"?}` (rules may add keys)."""

    class Meta:
        unknown = ma.INCLUDE  # e.g. `conflicts` on a 409 from a scheduling rule

    code = ma.fields.Integer(required=True, metadata={"description": "the HTTP status"})
    status = ma.fields.String(required=True, metadata={"description": "its reason phrase"})
    message = ma.fields.String(metadata={"description": "what went wrong, for a person"})
    errors = ma.fields.Dict(metadata={"description": "per-field messages"})


class KSustainApi(Api):
    """flask-smorest's Api with our error schema and without a catch-all `default` response,
    whose OpenAPI document is written when it is first read (`/api/v1/openapi.json`, the docs,
    `flask openapi`), not while every worker starts: documenting the views was a fifth of a
    worker's start. The views are registered at once; only their documentation waits, and
    it is flask-smorest's own (`register_views_in_doc`, in registration order)."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def init_app(self, app: Flask, *, spec_kwargs: dict[str, Any] | None = None) -> None:
        self._undocumented: list[tuple[Any, str, Any]] = []
        self._documenting = threading.Lock()
        super().init_app(app, spec_kwargs=spec_kwargs)

    @property
    def spec(self) -> Any:  # flask-smorest reads and assigns `self.spec`: the document
        document = self.__dict__.get("_document")
        if document is not None and self.__dict__.get("_undocumented"):
            with self._documenting:
                while self._undocumented:
                    blp, name, parameters = self._undocumented.pop(0)
                    blp.register_views_in_doc(self, self._app, document, name=name, parameters=parameters)
                    document.tag({"name": name, "description": blp.description})
        return document

    @spec.setter
    def spec(self, value: Any) -> None:
        self.__dict__["_document"] = value

    def handle_http_exception(self, error: Any) -> Any:
        """flask-smorest's JSON error answer (a 422 from the schemas, an `abort`), its message and
        field errors in the request's language (service.core.error_texts)."""
        from service.core.error_texts import translate_body

        payload, code, headers = super().handle_http_exception(error)
        return translate_body(payload), code, headers

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """flask-smorest's `register_blueprint`, its documentation left for the first read."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))


def _decimal_strings(_self: Any, field: ma.fields.Field, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """A Decimal sent as a string is a JSON string: bounds become words and a pattern,
    since `minimum`/`maximum` are only valid on numbers."""
    if isinstance(field, ma.fields.Decimal) and field.as_string:
        bounds = [f"{k} {ret.pop(k)}" for k in ("minimum", "maximum") if k in ret]
        ret["type"] = "string"
        ret["pattern"] = r"^-?[0-9]+(\.[0-9]+)?$"
        if bounds:
            ret["description"] = " ".join([ret.get("description", ""), "decimal,", *bounds]).strip()
    return {}


def _shared_fields(_self: Any, field: ma.fields.Field, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """The documented shape of the shared fields of `service.schemas.common` that marshmallow's
    own types do not tell: a list's order names its columns, a country code is two letters (any
    case: it is upper-cased on load, then checked against ISO 3166-1), and `DateOrDateTime` is a
    date or an ISO 8601 datetime."""
    from service.schemas.common import CountryCode, DateOrDateTime, SortField

    if isinstance(field, SortField):  # its columns, each `-` first but those of one direction
        either = "|".join(re.escape(c) for c in field.columns if c not in field.one_way)
        one_way = "|".join(map(re.escape, field.one_way))
        key = f"-?({either})" + (f"|({one_way})" if one_way else "")
        return {"pattern": f"^({key})(,({key}))*$"}
    if isinstance(field, CountryCode):
        return {"minLength": 2, "maxLength": 2, "pattern": "^[A-Za-z]{2}$"}
    if isinstance(field, DateOrDateTime):
        return {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]}
    return {}


class ErrorResponsesPlugin(BasePlugin):
    """Adds the app-wide error statuses to each operation as flask-smorest registers it."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def init_spec(self, spec: Any) -> None:
        super().init_spec(spec)
        for plugin in spec.plugins:
            if hasattr(plugin, "converter") and plugin.converter is not None:
                plugin.converter.add_attribute_function(_decimal_strings)
                plugin.converter.add_attribute_function(_shared_fields)

    def _policy(self, rule: Rule, method: str) -> Any:
        """The policy `service.core.auth` applies to this rule and method (no URL to build)."""
        from flask import request

        from service.core.auth import _policy_for_request

        with self.app.test_request_context("/", method=method.upper()):
            request.url_rule = rule
            return _policy_for_request(self.app)

    def takes_if_match(self, rule: Rule, method: str) -> bool:
        """Whether the view behind this rule and method checks If-Match (`takes_if_match`)."""
        from service.api.common import IF_MATCH

        view = self.app.view_functions.get(rule.endpoint)
        view_class = getattr(view, "view_class", None)
        handler = getattr(view_class, method, None) if view_class is not None else view
        return bool(getattr(handler, IF_MATCH, False))

    def statuses(self, rule: Rule, method: str, operation: dict[str, Any]) -> set[int]:
        """The statuses app-wide machinery can give this operation."""
        from service.core.auth import EVERYONE
        from service.core.ratelimit import is_limited

        out: set[int] = set()
        policy = self._policy(rule, method)
        if policy is not None and not policy.public:
            out.add(401)
            if policy.roles != EVERYONE or method in WRITES:
                out.add(403)
        if rule.arguments or method in WRITES:
            out.add(404)
        if any(isinstance(p, dict) and p.get("in") == "query" for p in operation.get("parameters", [])):
            out.add(422)
        if "requestBody" in operation:
            out.update({400, 413, 422})
        if method in WRITES:
            out.update({409, 422})
        if self.takes_if_match(rule, method):
            out.update({412, 428})
        if is_limited(rule.endpoint, method.upper()):
            out.add(429)
        return out

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            policy = self._policy(rule, method)
            if policy is not None and policy.public:
                operation["security"] = []  # no token needed
            responses = operation.setdefault("responses", {})
            for status in sorted(self.statuses(rule, method, operation)):
                responses.setdefault(str(status), HTTPStatus(status).name)
            if self.takes_if_match(rule, method):
                _document_if_match(operation)


def _document_if_match(operation: dict[str, Any]) -> None:
    params = operation.setdefault("parameters", [])
    if not any(p.get("in") == "header" and p.get("name") == "If-Match" for p in params
               if isinstance(p, dict)):
        params.append({
            "in": "header", "name": "If-Match", "required": True,
            "description": "the ETag (or version) from your last read; `*` overwrites blindly",
            "schema": {"type": "string"},
        })
