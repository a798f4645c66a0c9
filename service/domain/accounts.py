"""Whose accounts a caller manages: an admin every one; a country administrator their own
country's liaisons, and nobody else (SPEC §13).

User rows are not country-scoped by the session (staff and admins belong to no country, and a
liaison's pages still name who wrote to them), so this module is the one place users are bounded
for the account pages and endpoints: the list, the record, what may be created and changed. A reach
beyond is refused with an error that asks to be audited (`audited`): another country's user, a
staff or admin account, a missing id are all a 404 alike; the caller's own account, a role or
country change, a password set directly are a 403 naming the field.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from models import Role, User
from service.domain.errors import Forbidden, NotFound
from service.domain.lists import sorted_by, where_given

FILTERS = (("role", User.role), ("country", User.country_code))
SORTS = {"email": User.email, "name": User.name, "role": User.role, "country": User.country_code,
         "active": User.active, "created": User.created_at}
DEFAULT_SORT = ("role", "email")
# What a country administrator may change on one of their liaisons; a password is reset through
# a one-time link (`identity.send_password_reset`), never set by them.
COUNTRY_ADMIN_MAY_CHANGE = frozenset({"name", "active"})


class _Audited:
    """A refusal recorded on the audit trail as a denied access (`service.core.auth.record_refusal`)."""

    audited = True
    entity = "app_user"
    entity_id: str | None = None


class HiddenAccount(_Audited, NotFound):
    """An account outside the caller's bounds: answered like one that does not exist."""


class ForbiddenAccount(_Audited, Forbidden):
    """A change outside the caller's bounds on an account they can see (or their own)."""


def _refuse(cls: type[_Audited], message: str, errors: dict[str, Any] | None = None,
            *, user_id: Any = None) -> Exception:
    err = cls(message, errors)  # type: ignore[call-arg]  # a mixin type: the concrete class is a domain error
    err.entity_id = None if user_id is None else str(user_id)[:64]
    return err  # type: ignore[return-value]  # a mixin type: the concrete class is a domain error


def _bounded(principal: Any) -> bool:
    return bool(principal.role == Role.country_admin)


def in_bounds(*, principal: Any, user: User) -> bool:
    """Whether `principal` manages `user`'s account."""
    if principal.role == Role.admin:
        return True
    return (_bounded(principal) and user.role == Role.liaison
            and user.country_code == principal.country_code)


def users_query(*, principal: Any, query: dict[str, Any]) -> Any:
    """The accounts `principal` manages, filtered by `query` (a `UserQuerySchema` load) and in its
    `sort` order: the one statement behind `GET /api/v1/users` and the users page."""
    stmt = select(User)
    if _bounded(principal):
        stmt = stmt.where(User.role == Role.liaison, User.country_code == principal.country_code)
    stmt = where_given(stmt, query, FILTERS)
    return sorted_by(stmt, query.get("sort") or DEFAULT_SORT, SORTS, tie=col(User.id))


def managed_user(*, session: Session, principal: Any, user_id: int) -> User:
    """The account `user_id` names if `principal` manages it; else a refusal (404 alike for a
    missing one and one out of bounds, 403 for the caller's own account)."""
    user = session.get(User, user_id)
    if user is not None and in_bounds(principal=principal, user=user):
        return user
    if not _bounded(principal):
        raise NotFound(f"User {user_id} not found")
    if user is not None and user.id == principal.user_id:
        raise _refuse(ForbiddenAccount, "You cannot manage your own account; ask an administrator",
                      user_id=user_id)
    raise _refuse(HiddenAccount, f"User {user_id} not found", user_id=user_id)


STAFF_LANGUAGE = "ko"  # SPEC §12: staff work in Korean


def with_default_language(data: dict[str, Any]) -> dict[str, Any]:
    """A new account's language when none is given: Korean for staff and administrators; none
    for a liaison or country administrator (they follow their country's report language)."""
    if data.get("language") or Role(data["role"]) not in (Role.staff, Role.admin):
        return data
    return {**data, "language": STAFF_LANGUAGE}


def check_new(*, principal: Any, data: dict[str, Any]) -> dict[str, Any]:
    """`data` for a new account (a `UserSchema` load) if `principal` may create it: a country
    administrator creates liaisons of their country only (the country may be left out). A staff
    or admin account without a language is given Korean (`with_default_language`)."""
    if not _bounded(principal):
        return with_default_language(data)
    errors: dict[str, list[str]] = {}
    if Role(data["role"]) != Role.liaison:
        errors["role"] = ["a country administrator creates liaison accounts only"]
    if data.get("country_code") in (None, principal.country_code):
        data = {**data, "country_code": principal.country_code}
    else:
        errors["country"] = [f"only your own country, {principal.country_code}"]
    if errors:
        raise _refuse(ForbiddenAccount, "Outside your country's liaison accounts", errors)
    return data


def check_changes(*, principal: Any, user: User, changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` (a `UserUpdateSchema` load) if `principal` may make them to `user` (in bounds
    already): a country administrator changes a liaison's name and active flag only; a field
    sent with the value it already has is no change."""
    if not _bounded(principal):
        return changes
    current = {"role": user.role, "country_code": user.country_code}
    refused = sorted(key for key, value in changes.items()
                     if key not in COUNTRY_ADMIN_MAY_CHANGE and current.get(key, object()) != value)
    if refused:
        names = {"country_code": "country"}
        raise _refuse(ForbiddenAccount, "A country administrator changes a liaison's name and "
                      "active state only (a password through a reset link)",
                      {names.get(k, k): ["a country administrator cannot change this"] for k in refused},
                      user_id=user.id)
    return {k: v for k, v in changes.items() if k in COUNTRY_ADMIN_MAY_CHANGE}
