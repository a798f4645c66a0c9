"""Who is asking, and what they may see: authentication, role policy, country scope.

Every request passes `authenticate_request` before its view runs. A view declares who may
call it with `@access(...)`; undecorated reads are open to every signed-in role and
undecorated writes to staff and admins, so a new endpoint is closed by default. For a
liaison the request's database session is scoped to their country (see `service.db`),
which is what keeps one buyer's data from another: views never filter by hand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, abort, current_app, g, request, session
from sqlmodel import Session, select

from models import ApiToken, AuditEntry, Role, User, utcnow
from service.db import ACTOR_KEY, SCOPE_KEY, get_engine, writer

F = TypeVar("F", bound=Callable[..., Any])

EVERYONE = frozenset({Role.admin, Role.staff, Role.liaison})
STAFF = frozenset({Role.admin, Role.staff})
ADMIN = frozenset({Role.admin})
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Principal:
    """The signed-in caller."""

    user_id: int
    email: str
    name: str
    role: Role
    country_code: str | None

    @property
    def is_liaison(self) -> bool:
        return self.role == Role.liaison

    @property
    def scope(self) -> str | None:
        """The only country this caller may see, or None for every country."""
        return self.country_code if self.is_liaison else None


@dataclass(frozen=True)
class Policy:
    roles: frozenset[Role]
    public: bool = False


def access(*roles: Role | str, public: bool = False) -> Callable[[F], F]:
    """Declare who may call a view: `@access(*STAFF)`, `@access(public=True)`."""
    policy = Policy(frozenset(Role(r) for r in roles), public)

    def decorate(fn: F) -> F:
        fn._access_policy = policy  # type: ignore[attr-defined]
        return fn

    return decorate


def hash_token(token: str) -> str:
    """The stored form of a bearer or feed token.

    Tokens are found by an indexed look-up of this hash, never by comparing the token itself:
    the time a look-up takes can depend only on the hash of what the caller sent, and
    learning how much of a SHA-256 they can steer tells nothing about any stored token (256
    random bits each). That is why no token comparison here needs to be constant-time; a
    secret compared directly anywhere else must use `hmac.compare_digest`.
    """
    return hashlib.sha256(token.encode()).hexdigest()


def current_principal() -> Principal | None:
    return g.get("principal")


def require_principal() -> Principal:
    principal = current_principal()
    if principal is None:
        abort(401)
    return principal


PUBLIC_BLUEPRINTS = {"api-docs"}  # the generated OpenAPI document and its viewer


def _policy_for_request(app: Flask) -> Policy | None:
    view = app.view_functions.get(request.endpoint or "")
    if view is None:
        return None
    if request.blueprint in PUBLIC_BLUEPRINTS or request.endpoint == "static":
        return Policy(EVERYONE, public=True)
    cls = getattr(view, "view_class", None)
    target = getattr(cls, request.method.lower(), None) if cls else None
    if target is None and cls is not None and request.method == "HEAD":
        target = getattr(cls, "get", None)
    policy = getattr(target or view, "_access_policy", None)
    if policy is None:
        policy = getattr(view, "_access_policy", None)
    if policy is None:
        policy = Policy(EVERYONE if request.method in READ_METHODS else STAFF)
    return policy  # type: ignore[no-any-return]


def principal_for_user(user: User) -> Principal:
    return Principal(
        user_id=user.id or 0,
        email=user.email,
        name=user.name,
        role=Role(user.role),
        country_code=user.country_code,
    )


def _identify(db: Session) -> Principal | None:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        now = utcnow()
        row = db.exec(
            select(User)
            .join(ApiToken, ApiToken.user_id == User.id)  # type: ignore[arg-type]
            .where(
                ApiToken.token_hash == hash_token(token.strip()),
                ApiToken.revoked_at.is_(None),  # type: ignore[union-attr]
                sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),  # type: ignore[union-attr,operator]
                User.active.is_(True),  # type: ignore[attr-defined]
            )
        ).first()
        return principal_for_user(row) if row else None
    user_id = session.get("user_id")
    if user_id is not None:
        user = db.get(User, user_id)
        if user is not None and user.active and session.get("user_version") == user.version:
            return principal_for_user(user)
    return None


def authenticate_request() -> None:
    """Before every request: identify the caller and apply the view's policy."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    policy = _policy_for_request(app)
    if policy is None or policy.public:
        return
    from service.db import get_session

    db = get_session()
    principal = _identify(db)
    if principal is None:
        record_denied(reason="unauthenticated", status=401)
        abort(401)
    g.principal = principal
    db.info[ACTOR_KEY] = (principal.user_id, principal.email)
    db.info[SCOPE_KEY] = principal.scope
    db.info["remote_addr"] = request.remote_addr
    if principal.role not in policy.roles:
        record_denied(reason=f"role {principal.role} not allowed", status=403)
        abort(403)


def record_denied(
    *, reason: str, status: int, entity: str | None = None, entity_id: str | None = None
) -> None:
    """Write an audit entry for a refused access, outside the request's own transaction."""
    principal = current_principal()
    if "db_session" in g:  # release SQLite's write lock first; a refused request writes nothing
        g.db_session.rollback()
    engine = get_engine(current_app)  # type: ignore[arg-type]
    with Session(writer(engine)) as audit:
        audit.add(
            AuditEntry(
                user_id=principal.user_id if principal else None,
                actor=principal.email if principal else "anonymous",
                action="denied",
                entity=entity or (request.endpoint or request.path)[:64],
                entity_id=entity_id,
                changes={"method": request.method, "path": request.path[:200],
                         "status": status, "reason": reason},
                remote_addr=request.remote_addr,
            )
        )
        audit.commit()


def init_app(app: Flask) -> None:
    app.before_request(authenticate_request)
