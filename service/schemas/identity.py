"""Schemas for sign-in, users, tokens and the audit trail."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from models import Role
from service.core.i18n import LANGUAGES
from service.schemas.common import AwareDateTime, Base, CountryCode, SortField, VersionedSchema, choice, text


def language_field(**kwargs: Any) -> fields.String:
    """A user's language (SPEC §12); null: their country's report language, else the browser's."""
    return fields.String(allow_none=True, validate=validate.OneOf(LANGUAGES),
                         metadata={"description": "en or ko; null follows the country or the browser"},
                         **kwargs)



class CredentialsSchema(Base):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class TokenSchema(Base):
    id = fields.Integer(dump_only=True)
    token = fields.String(dump_only=True, metadata={"description": "shown only once"})
    expires_at = AwareDateTime(dump_only=True)


class TokenRequestSchema(Base):
    name = text(80, required=False)
    expires_in_days = fields.Integer(
        validate=validate.Range(min=1), allow_none=True,
        metadata={"description": "default TOKEN_TTL_HOURS; at most TOKEN_MAX_TTL_HOURS"})


class TokenInfoSchema(Base):
    id = fields.Integer()
    name = fields.String()
    created_at = AwareDateTime()
    expires_at = AwareDateTime(allow_none=True)
    revoked_at = AwareDateTime(allow_none=True)
    last_used_at = AwareDateTime(allow_none=True,
                                 metadata={"description": "to within TOKEN_LAST_USE_MINUTES"})


class SignOutEverywhereSchema(Base):
    tokens = fields.Boolean(load_default=False, metadata={"description": "revoke my API tokens too"})
    calendar_feed = fields.Boolean(load_default=False,
                                   metadata={"description": "revoke my calendar feed's URL too"})


class SignedOutSchema(Base):
    sessions = fields.Boolean()
    tokens = fields.Boolean()
    calendar_feed = fields.Boolean()


class MeSchema(Base):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = choice(Role)
    country = fields.String(allow_none=True, attribute="country_code")
    language = language_field(dump_only=True)
    calendar_feed_url = fields.String(metadata={"description": "personal iCalendar feed (keep secret)"})


class MeUpdateSchema(Base):
    language = language_field(required=True)


class UserSchema(VersionedSchema):
    id = fields.Integer(dump_only=True)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = text(120)
    role = choice(Role, required=True)
    country = CountryCode(allow_none=True, attribute="country_code", load_default=None)
    language = language_field(load_default=None)
    active = fields.Boolean(dump_only=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=256))
    created_at = AwareDateTime(dump_only=True)


class UserUpdateSchema(Base):
    name = text(120, required=False)
    role = choice(Role)
    country = CountryCode(allow_none=True, attribute="country_code")
    language = language_field()
    active = fields.Boolean()
    password = fields.String(load_only=True, validate=validate.Length(min=10, max=256))


class UserQuerySchema(Base):
    role = choice(Role)
    country = CountryCode()
    sort = SortField(("email", "name", "role", "country", "active", "created"), default="role,email")


class PasswordResetSentSchema(Base):
    sent_to = fields.String(metadata={"description": "the user's e-mail, where the link went"})
    expires_at = AwareDateTime(metadata={"description": "the link works once, until then"})


class AuditEntrySchema(Base):
    id = fields.Integer()
    at = AwareDateTime()
    user_id = fields.Integer(allow_none=True)
    actor = fields.String()
    action = fields.String()
    entity = fields.String()
    entity_id = fields.String(allow_none=True)
    changes = fields.Dict(allow_none=True)
    remote_addr = fields.String(allow_none=True)


class AuditQuerySchema(Base):
    entity = fields.String(validate=validate.Length(max=64))
    entity_id = fields.String(validate=validate.Length(max=64))
    action = fields.String(validate=validate.Length(max=32))
    user_id = fields.Integer()
    actor = fields.String(validate=validate.Length(max=254),
                          metadata={"description": "the e-mail of who acted"})
    since = fields.Date(metadata={"description": "from this UTC day on"})
    until = fields.Date(metadata={"description": "up to and including this UTC day"})

    @validates_schema
    def _in_order(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise ValidationError("Cannot be before since.", "until")
