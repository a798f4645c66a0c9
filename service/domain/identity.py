"""Users, passwords and bearer tokens."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable
from functools import cache
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlmodel import Session, col, select

from models import COUNTRY_ROLES, ApiToken, ApiTokenUse, Country, Role, User, UserSession, utcnow
from service.core.auth import hash_token
from service.domain import mail, outbox
from service.domain.errors import Conflict, Invalid, NotFound

_hasher = PasswordHasher()
TOKEN_PREFIX = "kst_"  # noqa: S105 - a label, not a secret
# A change of any of these ends every way the user was signed in (see `revoke_credentials`).
CREDENTIAL_FIELDS = frozenset({"password", "role", "country_code", "active"})
PASSWORD_MIN_LENGTH = 10
# zxcvbn's score 3 means "about 10^8 guesses or more"; below that, a common password, a
# keyboard walk, a repeat or a sequence, or a dictionary word with a few digits.
PASSWORD_MIN_SCORE = 3
_ESTIMATED_CHARS = 72  # zxcvbn's own limit; the first 72 characters decide a password's strength
_NOT_LETTERS = re.compile(r"[^a-z]+")


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


def _user_words(email: str, name: str) -> list[str]:
    """What a password must not be built from (NIST SP 800-63B 3.1.1.2: context-specific words)."""
    local, _, domain = email.lower().partition("@")
    words = [email.lower(), local, domain, name.lower(), *re.split(r"[\W_]+", f"{local} {name.lower()}")]
    return [w for w in dict.fromkeys(words) if len(w) >= 3]


def check_password(password: str, *, email: str, name: str) -> None:
    """Refuse a password that is short, common, a pattern, or built from the user's e-mail or
    name; the one check of every way a password is set (API, pages, CLI)."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise Invalid("Password too short", {"password": [f"at least {PASSWORD_MIN_LENGTH} characters"]})
    words = _user_words(email, name)
    letters = _NOT_LETTERS.sub("", password.lower())
    if len(letters) >= 3 and any(letters in _NOT_LETTERS.sub("", w) for w in words):
        raise Invalid("Password too weak", {"password": ["must not be made from your e-mail or name"]})
    from zxcvbn import zxcvbn  # its dictionaries load here, when a password is set, not in every worker

    verdict = zxcvbn(password[:_ESTIMATED_CHARS], user_inputs=words)
    if verdict["score"] < PASSWORD_MIN_SCORE:
        reason = verdict["feedback"]["warning"] or "This password is easy to guess."
        raise Invalid("Password too weak", {"password": [
            f"{reason} Choose a longer one, e.g. several uncommon words."]})


def token_lifetime(*, days: int | None, default_hours: int, max_hours: int,
                   field: str = "expires_in_days") -> dt.timedelta:
    """How long a new token lives: `days` when given, else the default; never past the maximum."""
    ttl = dt.timedelta(days=days) if days else dt.timedelta(hours=default_hours)
    if ttl > dt.timedelta(hours=max_hours):
        raise Invalid("Token lifetime too long", {field: [
            f"at most {max_hours // 24} days (TOKEN_MAX_TTL_HOURS={max_hours})"]})
    return ttl


def _check_role_country(session: Session, role: Role, country_code: str | None) -> None:
    if role in COUNTRY_ROLES:
        if not country_code:
            raise Invalid("A liaison or country administrator belongs to one country",
                          {"country": [f"required for a {role.value.replace('_', ' ')}"]})
        if session.get(Country, country_code) is None:
            raise Invalid("Unknown country", {"country": ["no such buyer country is registered"]})
    elif country_code:
        raise Invalid("Only liaisons and country administrators belong to a country",
                      {"country": ["only for liaisons and country administrators"]})


def create_user(
    *, session: Session, email: str, name: str, role: Role | str, password: str,
    country_code: str | None = None, language: str | None = None,
) -> User:
    role = Role(role)
    email = email.strip().lower()
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("E-mail taken", {"email": ["a user with this e-mail exists"]})
    _check_role_country(session, role, country_code)
    check_password(password, email=email, name=name)
    user = User(email=email, name=name, role=role, country_code=country_code, language=language,
                password_hash=hash_password(password))
    session.add(user)
    session.commit()
    return user


def update_user(*, session: Session, user: User, changes: dict[str, Any]) -> User:
    """Apply an administrator's `changes` (a country administrator's are bounded first, by
    `service.domain.accounts.check_changes`); a new password, role, country or deactivation also ends the
    user's sessions and revokes their API tokens and calendar feed (`revoke_credentials`)."""
    password = changes.pop("password", None)
    before = {"role": Role(user.role), "country_code": user.country_code, "active": user.active}
    role = Role(changes.get("role", user.role))
    country = changes.get("country_code", user.country_code if role in COUNTRY_ROLES else None)
    if role not in COUNTRY_ROLES:
        changes["country_code"] = None
        country = None
    _check_role_country(session, role, country)
    if password is not None:
        check_password(password, email=user.email, name=changes.get("name", user.name))
    for key, value in changes.items():
        setattr(user, key, value)
    if password is not None:
        user.password_hash = hash_password(password)
    after = {"role": Role(user.role), "country_code": user.country_code, "active": user.active}
    if password is not None or after != before:
        revoke_credentials(session=session, user=user, tokens=True, calendar_feed=True)
    session.commit()
    return user


def set_language(*, session: Session, user: User, language: str | None) -> User:
    """The user's own choice of language (audited like every change of a user)."""
    user.language = language
    session.commit()
    return user


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same time either way)."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    ok = verify_password(user, password)
    return user if ok and user is not None and user.active else None


def issue_token(
    *, session: Session, user: User, ttl: dt.timedelta, name: str = "api"
) -> tuple[str, ApiToken]:
    """A new bearer token (256 random bits) that expires after `ttl` (see `token_lifetime`);
    returns the token, shown only this once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id or 0, name=name[:80], token_hash=hash_token(token), expires_at=utcnow() + ttl,
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
    session.execute(sa.delete(UserSession).where(col(UserSession.user_id) == user.id,
                                                 col(UserSession.expires_at) <= now))
    session.add(UserSession(user_id=user.id or 0, token_hash=hash_token(sid), expires_at=now + lifetime))
    session.commit()
    return sid


def end_session(*, session: Session, sid: str) -> None:
    """Sign-out: the session `sid` names stops working at once, on every host."""
    session.execute(sa.update(UserSession)
                    .where(col(UserSession.token_hash) == hash_token(sid),
                           col(UserSession.revoked_at).is_(None))
                    .values(revoked_at=utcnow()))
    session.commit()


def revoke_credentials(*, session: Session, user: User, tokens: bool, calendar_feed: bool) -> None:
    """End every web session of `user` ("sign out everywhere"); with `tokens` also revoke their
    API tokens, with `calendar_feed` their feed URL. The caller commits."""
    now = utcnow()
    session.execute(sa.update(UserSession)
                    .where(col(UserSession.user_id) == user.id,
                           col(UserSession.revoked_at).is_(None))
                    .values(revoked_at=now))
    if tokens:
        session.execute(sa.update(ApiToken)
                        .where(col(ApiToken.user_id) == user.id,
                               col(ApiToken.revoked_at).is_(None))
                        .values(revoked_at=now))
    if calendar_feed:
        user.feed_salt = None  # the next feed URL asked for is a new one
def tokens_of(*, session: Session, user_id: int) -> list[dict[str, Any]]:
    """A user's tokens, oldest first, each with when it was last used (never their values)."""
    rows = session.exec(
        select(ApiToken, ApiTokenUse.last_used_at)
        .join(ApiTokenUse, col(ApiTokenUse.token_id) == ApiToken.id, isouter=True)
        .where(col(ApiToken.user_id) == user_id).order_by(col(ApiToken.id))
    ).all()
    return [{"id": t.id, "name": t.name, "created_at": t.created_at, "expires_at": t.expires_at,
             "revoked_at": t.revoked_at, "last_used_at": used} for t, used in rows]


def revoke_own_token(*, session: Session, user_id: int, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (another's is not found)."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound(f"ApiToken {token_id} not found")
    return revoke_token(session=session, token=token)


RESET_MAX_AGE = dt.timedelta(hours=24)
_RESET_SALT = "password-reset"


def _reset_signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_RESET_SALT)


def send_password_reset(*, session: Session, user: User, secret: str, link_for: Callable[[str], str]) -> str:
    """Mail `user` a one-time link to choose a new password (through the outbox); commits.

    The link is signed (itsdangerous) over the user's id and record version: it expires after
    `RESET_MAX_AGE`, and once used the version has moved on, so it never works twice."""
    token = _reset_signer(secret).dumps({"user": user.id, "version": user.version})
    outbox.notify(session=session, messages=[{
        "key": f"password-reset:user:{user.id}:{hash_token(token)[:16]}", "kind": "password_reset",
        "user_id": user.id, "recipient": user.email, "country_code": user.country_code,
        **mail.render_to(session, user, "password_reset", link=link_for(token)),
        "data": {"user_id": user.id},
    }])
    session.commit()
    return token


def user_for_reset(*, session: Session, token: str, secret: str) -> User:
    """The active user a reset link designates, if it is unused and under 24 hours old."""
    try:
        payload = _reset_signer(secret).loads(token, max_age=int(RESET_MAX_AGE.total_seconds()))
    except BadData as err:
        raise NotFound("This link is unknown or has expired; ask your administrator for a new one") from err
    user = session.get(User, payload.get("user")) if isinstance(payload, dict) else None
    if user is None or not user.active or user.version != payload.get("version"):
        raise NotFound("This link was already used or is no longer valid; "
                       "ask your administrator for a new one")
    return user


def reset_password(*, session: Session, token: str, secret: str, password: str) -> User:
    """Set the password a reset link's holder chose (the one strength check); ends every session."""
    user = user_for_reset(session=session, token=token, secret=secret)
    return update_user(session=session, user=user, changes={"password": password})
