"""Users, passwords and bearer tokens."""

from __future__ import annotations

import datetime as dt
import secrets
from functools import cache
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from models import ApiToken, Country, Role, User, UserSession, utcnow
from service.auth import hash_token
from service.domain.errors import Conflict, Invalid

_hasher = PasswordHasher()
TOKEN_PREFIX = "kst_"  # noqa: S105 - a label, not a secret
# A change of any of these ends every way the user was signed in (see `revoke_credentials`).
CREDENTIAL_FIELDS = frozenset({"password", "role", "country_code", "active"})


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified against when the e-mail is unknown, so both failures take the same time.

    Made by the first sign-in, not at import: an argon2 hash is a good part of a second of
    every worker's start (bench: worker start)."""
    return hasher.hash("not-a-real-password")


def verify_password(user: User | None, password: str) -> bool:
    dummy = _dummy_hash(_hasher)  # first, known e-mail or not: the first sign-in costs the same either way
    try:
        return _hasher.verify(user.password_hash if user else dummy, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def _check_role_country(session: Session, role: Role, country_code: str | None) -> None:
    if role == Role.liaison:
        if not country_code:
            raise Invalid("A liaison belongs to one country", {"country": ["required for a liaison"]})
        if session.get(Country, country_code) is None:
            raise Invalid("Unknown country", {"country": ["no such buyer country is registered"]})
    elif country_code:
        raise Invalid("Only liaisons belong to a country", {"country": ["only for liaisons"]})


def create_user(
    *, session: Session, email: str, name: str, role: Role | str, password: str,
    country_code: str | None = None,
) -> User:
    role = Role(role)
    email = email.strip().lower()
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("E-mail taken", {"email": ["a user with this e-mail exists"]})
    _check_role_country(session, role, country_code)
    if len(password) < 10:
        raise Invalid("Password too short", {"password": ["at least 10 characters"]})
    user = User(email=email, name=name, role=role, country_code=country_code,
                password_hash=hash_password(password))
    session.add(user)
    session.commit()
    return user


def update_user(*, session: Session, user: User, changes: dict[str, Any]) -> User:
    """Apply an admin's `changes`; a new password, role, country or deactivation also ends the
    user's sessions and revokes their API tokens and calendar feed (`revoke_credentials`)."""
    password = changes.pop("password", None)
    before = {"role": Role(user.role), "country_code": user.country_code, "active": user.active}
    role = Role(changes.get("role", user.role))
    country = changes.get("country_code", user.country_code if role == Role.liaison else None)
    if role != Role.liaison:
        changes["country_code"] = None
        country = None
    _check_role_country(session, role, country)
    for key, value in changes.items():
        setattr(user, key, value)
    if password is not None:
        if len(password) < 10:
            raise Invalid("Password too short", {"password": ["at least 10 characters"]})
        user.password_hash = hash_password(password)
    after = {"role": Role(user.role), "country_code": user.country_code, "active": user.active}
    if password is not None or after != before:
        revoke_credentials(session=session, user=user, tokens=True, calendar_feed=True)
    session.commit()
    return user


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same time either way)."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    ok = verify_password(user, password)
    return user if ok and user is not None and user.active else None


def issue_token(
    *, session: Session, user: User, name: str = "api", ttl: dt.timedelta | None = None
) -> tuple[str, ApiToken]:
    """A new bearer token (256 random bits); returns the token, shown only this once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id or 0, name=name[:80], token_hash=hash_token(token),
        expires_at=utcnow() + ttl if ttl else None,
    )
    session.add(row)
    session.commit()
    return token, row


def revoke_token(*, session: Session, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.commit()
    return token


def start_session(*, session: Session, user: User, lifetime: dt.timedelta) -> str:
    """A new web session for `user` (after sign-in): the random id for the signed cookie. The
    user's expired sessions are deleted meanwhile, so the table holds no more than each user's
    sessions of the last lifetime."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id,  # type: ignore[arg-type]
                                                 UserSession.expires_at <= now))  # type: ignore[arg-type]
    session.add(UserSession(user_id=user.id or 0, token_hash=hash_token(sid), expires_at=now + lifetime))
    session.commit()
    return sid


def end_session(*, session: Session, sid: str) -> None:
    """Sign-out: the session `sid` names stops working at once, on every host."""
    session.execute(sa.update(UserSession)
                    .where(UserSession.token_hash == hash_token(sid),  # type: ignore[arg-type]
                           UserSession.revoked_at.is_(None))  # type: ignore[union-attr]
                    .values(revoked_at=utcnow()))
    session.commit()


def revoke_credentials(*, session: Session, user: User, tokens: bool, calendar_feed: bool) -> None:
    """End every web session of `user` ("sign out everywhere"); with `tokens` also revoke their
    API tokens, with `calendar_feed` their feed URL. The caller commits."""
    now = utcnow()
    session.execute(sa.update(UserSession)
                    .where(UserSession.user_id == user.id,  # type: ignore[arg-type]
                           UserSession.revoked_at.is_(None))  # type: ignore[union-attr]
                    .values(revoked_at=now))
    if tokens:
        session.execute(sa.update(ApiToken)
                        .where(ApiToken.user_id == user.id,  # type: ignore[arg-type]
                               ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
                        .values(revoked_at=now))
    if calendar_feed:
        user.feed_salt = None  # the next feed URL asked for is a new one
