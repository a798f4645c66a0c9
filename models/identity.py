"""Who may sign in: users, their API tokens, and the audit trail of what they did."""


import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import CountryScoped, Versioned, utc_field, utcnow


class Role(StrEnum):
    admin = "admin"
    staff = "staff"
    liaison = "liaison"
    country_admin = "country_admin"  # manages their country's liaisons; otherwise reaches what a liaison does


COUNTRY_ROLES = frozenset({Role.liaison, Role.country_admin})
"""The roles bound to one country (`User.country_code`), whose sessions are scoped to it."""


class User(Versioned, SQLModel, table=True):
    """A person who signs in; a liaison or a country administrator is bound to exactly one country."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, sa_column_kwargs={"unique": True})
    name: str = Field(max_length=120)
    role: Role = Field(sa_type=sa.String(16))
    country_code: str | None = Field(default=None, foreign_key="country.code", max_length=2)
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    feed_salt: str | None = Field(default=None, max_length=64)  # rotating it revokes the feed
    # "en" or "ko" (SPEC §12); None: the country's report language (a liaison), else the browser's
    language: str | None = Field(default=None, sa_type=sa.String(5))
    version: int = Field(default=1)
    created_at: dt.datetime = utc_field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 is kept, the token itself is shown once."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(default="api", max_length=80)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: dt.datetime = utc_field(default_factory=utcnow)
    expires_at: dt.datetime | None = utc_field(default=None)
    revoked_at: dt.datetime | None = utc_field(default=None)


class UserSession(SQLModel, table=True):
    """One signed-in web session: the cookie carries its random id, only the SHA-256 is kept.
    Signing out revokes it; a change of the user's credentials revokes all of theirs."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: dt.datetime = utc_field(default_factory=utcnow)
    expires_at: dt.datetime = utc_field()
    revoked_at: dt.datetime | None = utc_field(default=None)


class AuditEntry(CountryScoped, SQLModel, table=True):
    """One change, or one refused access: who, when, what, from where, and the country the actor
    acted for (a liaison's or country administrator's at the time; none for staff, admins and
    the system), so a country administrator reads what their country's accounts did there and
    nothing an account did before it moved to their country."""

    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_country_id", "country_code", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = utc_field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, index=True)
    country_code: str | None = Field(default=None, max_length=2)
    actor: str = Field(max_length=254)
    action: str = Field(max_length=32)
    entity: str = Field(max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    changes: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    remote_addr: str | None = Field(default=None, max_length=64)


class ApiTokenUse(SQLModel, table=True):
    """When a token was last used (written at most every few minutes, see `service.core.token_use`).

    Its own table, not a column of `api_token`: a read that notes its token's use must not
    renew the data revision that `api_token`'s triggers keep, nor touch the token's row."""

    __tablename__ = "api_token_use"

    token_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("api_token.id", ondelete="CASCADE"), primary_key=True))
    last_used_at: dt.datetime = utc_field()
