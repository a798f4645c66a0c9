"""Who is asking, and what they may see: authentication, role policy, country scope.

Every request passes `authenticate_request` before its view runs. A view declares who may
call it with `@access(...)`; undecorated reads are open to every signed-in role and
undecorated writes to staff and admins, so a new endpoint is closed by default. For a
liaison the request's database session is scoped to their country (see `service.core.db`),
which is what keeps one buyer's data from another: views never filter by hand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, abort, current_app, g, request, session
from sqlmodel import Session, col

from models import COUNTRY_ROLES, ApiToken, AuditEntry, Country, Role, User, UserSession, utcnow
from service.core import token_use
from service.core.db import WRITE_METHODS, get_engine, get_session, scope_to, writer

F = TypeVar("F", bound=Callable[..., Any])

EVERYONE = frozenset(Role)  # every signed-in role
STAFF = frozenset({Role.admin, Role.staff})
ADMIN = frozenset({Role.admin})
LIAISONS = COUNTRY_ROLES  # a country's own people: its liaisons and its country administrator
USER_ADMINS = frozenset({Role.admin, Role.country_admin})  # manage accounts (a country admin: their
# country's liaisons only, see `service.domain.accounts`)
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Principal:
    """The signed-in caller."""

    user_id: int
    email: str
    name: str
    role: Role
    country_code: str | None
    language: str | None = None  # the user's own, else (a liaison) their country's report language
    country_name: str | None = None  # their country's registered name, read with the caller

    @property
    def is_liaison(self) -> bool:
        """Whether the caller speaks for one country: a liaison, or that country's administrator,
        who reaches (reads and writes) exactly what a liaison does, plus its liaisons' accounts."""
        return self.role in COUNTRY_ROLES

    @property
    def is_country_admin(self) -> bool:
        return self.role == Role.country_admin

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
        fn._access_policy = policy  # type: ignore[attr-defined]  # a marker read by the access check
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


def view_target(app: Flask) -> Callable[..., Any] | None:
    """The function that answers this request: the view, or its MethodView's method."""
    view = app.view_functions.get(request.endpoint or "")
    if view is None:
        return None
    cls = getattr(view, "view_class", None)
    target = getattr(cls, request.method.lower(), None) if cls else None
    if target is None and cls is not None and request.method == "HEAD":
        target = getattr(cls, "get", None)
    return target or view


def _policy_for_request(app: Flask) -> Policy | None:
    """The access policy of the view answering this request (worked out once per endpoint
    and method: it depends on nothing else)."""
    known = app.extensions.setdefault("k_sustain_policies", {})
    key = (request.endpoint, request.method)
    if key not in known:
        known[key] = _find_policy(app)
    g.view_target, policy = known[key]
    return policy


def _find_policy(app: Flask) -> tuple[Callable[..., Any] | None, Policy | None]:
    target = view_target(app)
    if target is None:
        return None, None
    if request.blueprint in PUBLIC_BLUEPRINTS or request.endpoint == "static":
        return target, Policy(EVERYONE, public=True)
    policy = getattr(target, "_access_policy", None)
    if policy is None:
        view = app.view_functions[request.endpoint or ""]
        policy = getattr(view, "_access_policy", None)
    if policy is None:
        policy = Policy(EVERYONE if request.method in READ_METHODS else STAFF)
    return target, policy


def principal_for_user(user: User) -> Principal:
    return Principal(
        user_id=user.id or 0,
        email=user.email,
        name=user.name,
        role=Role(user.role),
        country_code=user.country_code,
        language=user.language,
    )


# The caller's look-up: one module-level Core statement per credential, bound per request
# (SQLAlchemy's compiled cache is hit), run on the request's own session, which the view then
# goes on using: one connection, one transaction, and the caller is read with the data.
_CALLER: tuple[Any, ...] = (
    col(User.id), col(User.email), col(User.name), col(User.role), col(User.country_code),
    sa.func.coalesce(User.language, Country.report_language).label("language"),
    col(Country.name).label("country_name"))
_TOKEN_OWNER = (
    sa.select(*_CALLER)
    .join(ApiToken, col(ApiToken.user_id) == User.id)
    .outerjoin(Country, col(Country.code) == User.country_code)
    .where(
        col(ApiToken.token_hash) == sa.bindparam("token_hash"),
        col(ApiToken.revoked_at).is_(None),
        sa.or_(col(ApiToken.expires_at).is_(None), col(ApiToken.expires_at) > sa.bindparam("now")),
        col(User.active).is_(True),
    )
)
_SESSION_USER = (
    sa.select(*_CALLER)
    .join(UserSession, col(UserSession.user_id) == User.id)
    .outerjoin(Country, col(Country.code) == User.country_code)
    .where(
        col(UserSession.token_hash) == sa.bindparam("token_hash"),
        col(UserSession.revoked_at).is_(None),
        UserSession.expires_at > sa.bindparam("now"),
        col(User.active).is_(True),
    )
)
SESSION_KEY = "sid"
"""The key of the signed cookie that holds the web session's id (`models.UserSession`)."""


def _identify() -> Principal | None:
    """The caller named by the bearer token, or else by the web session cookie."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        statement, secret = _TOKEN_OWNER, token.strip()
    elif isinstance(sid := session.get(SESSION_KEY), str):
        statement, secret = _SESSION_USER, sid
    else:
        return None
    params: dict[str, Any] = {"token_hash": hash_token(secret), "now": utcnow()}
    if request.method in WRITE_METHODS:
        # Read apart from the request's session: a writer's transaction (SQLite: its write lock,
        # BEGIN IMMEDIATE) starts with its first write, not with this read, so what runs between
        # (the Idempotency-Key reservation, the token's last use) may write on its own connection.
        with get_engine(current_app).connect() as conn:
            row = conn.execute(statement, params).first()
    else:
        row = get_session().connection().execute(statement, params).first()
    if row is None:
        return None
    if statement is _TOKEN_OWNER:
        token_use.note_use(current_app._get_current_object(), params["token_hash"])  # type: ignore[attr-defined]  # current_app is typed as Flask, not its proxy
    return Principal(user_id=row.id, email=row.email, name=row.name, role=Role(row.role),
                     country_code=row.country_code, language=row.language,
                     country_name=row.country_name)


def authenticate_request() -> None:
    """Before every request: identify the caller and apply the view's policy.

    The request's database session, opened here for the caller's look-up, is then scoped to
    them (`service.core.db.scope_to`): the view reads and writes for the caller alone."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # current_app is typed as Flask, not its proxy
    policy = _policy_for_request(app)
    if policy is None or policy.public:
        return
    principal = _identify()
    if principal is None:
        record_denied(reason="unauthenticated", status=401)
        abort(401)
    g.principal = principal
    if "db_session" in g:  # opened before the caller was known: scope it now
        scope_to(g.db_session, principal)
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
    engine = get_engine(current_app)
    with Session(writer(engine)) as audit:
        audit.add(
            AuditEntry(
                user_id=principal.user_id if principal else None,
                actor=principal.email if principal else "anonymous",
                country_code=principal.scope if principal else None,
                action="denied",
                entity=entity or (request.endpoint or request.path)[:64],
                entity_id=entity_id,
                changes={"method": request.method, "path": request.path[:200],
                         "status": status, "reason": reason},
                remote_addr=request.remote_addr,
            )
        )
        audit.commit()


def record_refusal(exc: BaseException) -> None:
    """Audit a domain refusal that asks for it (`audited`: a reach beyond the caller's bounds,
    such as a country administrator's at another country's account), as `record_denied` does."""
    if not getattr(exc, "audited", False):
        return
    from service.core.statuses import status_of

    record_denied(reason=str(getattr(exc, "message", exc))[:200], status=status_of(exc),
                  entity=getattr(exc, "entity", None), entity_id=getattr(exc, "entity_id", None))


def init_app(app: Flask) -> None:
    app.before_request(authenticate_request)
