"""Generated attacks on the API, from its own OpenAPI document (schemathesis, in-process).

Every operation of /api/v1/openapi.json is called with generated requests — valid ones and
deliberately invalid ones — as each kind of caller (admin, staff, a liaison), against the
small world of two countries. Routes added later are covered because the operations come
from the document. Every answer must be: not a 5xx, a documented status, a body matching the
documented schema, and the documented content type. Bounded and derandomized for CI: on
PostgreSQL fewer cases, as the admin and the liaison (see EXAMPLES below).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from models import ApiToken, User
from tests.test_access import _norway_params

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance,
          content_type_conformance]
# Cases per operation and mode. The runs are derandomized, so PostgreSQL's are drawn by the
# same generator as SQLite's, fewer of them: what is checked there is what the database does
# with the values (a NUL byte, an integer past 64 bits, a string past a column's length). That
# is reached by the admin, whom every write is open to, and the liaison, whose every statement
# carries the country scope; staff's answers differ from the admin's by permissions alone,
# which no database decides, and their run stays on SQLite. API_ATTACK_EXAMPLES=60 digs deeper.
EXAMPLES = {"sqlite": 5, "postgresql": 3}
SQLITE_ONLY = {"staff": "staff differ from the admin by permissions alone: SQLite suffices"}


def _settings(database: str) -> Any:
    examples = int(os.environ.get("API_ATTACK_EXAMPLES") or EXAMPLES[database])
    return settings(
        max_examples=examples, deadline=None, derandomize=True, database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
STATS: Counter[str] = Counter()


def _own_params(world: Any, who: str) -> dict[str, Any]:
    """Path parameters naming records the caller can see (Poland's, for staff too)."""
    params = _norway_params(world)
    params.update(code="PL", contract_id=world.ids["contract_PL"], unit_id=world.ids["unit_PL"],
                  user_id=world.ids[f"user_{who}"])
    return params


def _strategy(operation: Any, mode: GenerationMode, known: list[dict[str, Any]]) -> Any:
    """Generated cases, half of them aimed at records that exist (so bodies reach the rules)."""
    names = {p.name for p in operation.path_parameters}
    strategies = [operation.as_strategy(generation_mode=mode)]
    for params in known:
        fixed = {k: v for k, v in params.items() if k in names}
        if names and set(fixed) == names:
            strategies.append(operation.as_strategy(generation_mode=mode, path_parameters=fixed))
    return st.one_of(*strategies)


def _restorer(engine: sa.Engine, world: Any) -> Callable[[], None]:
    """Puts the callers back as they were: an admin's generated PATCH may deactivate or demote
    them, and a generated DELETE may revoke their own token."""
    ids = [world.ids[f"user_{who}"] for who in ("admin", "staff", "pl", "no")]
    roles = {"admin": ("admin", None), "staff": ("staff", None), "pl": ("liaison", "PL"),
             "no": ("liaison", "NO")}

    def restore() -> None:
        with engine.begin() as conn:
            conn.execute(sa.update(ApiToken).where(ApiToken.user_id.in_(ids)).values(revoked_at=None))
            for who, (role, country) in roles.items():
                conn.execute(sa.update(User).where(User.id == world.ids[f"user_{who}"])
                             .values(active=True, role=role, country_code=country))

    return restore


def _attack(app: Any, operation: Any, headers: dict[str, str], mode: GenerationMode,
            known: list[dict[str, Any]], restore: Callable[[], None], how: Any) -> None:
    @how
    @given(case=_strategy(operation, mode, known))
    def run(case: Any) -> None:
        STATS[f"cases:{mode.value}"] += 1
        response = case.call(headers=headers, app=app)
        if case.method.upper() not in ("GET", "HEAD", "OPTIONS"):
            restore()  # for the next case: only a write can have changed the callers
        STATS[f"status:{response.status_code}"] += 1
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        # An operation without parameters or body (e.g. POST /me/calendar-feed/rotate) has
        # no invalid request to generate; every valid one was still tried above.
        if mode is not GenerationMode.NEGATIVE:
            raise
        STATS["operations without invalid input"] += 1


@pytest.mark.slow
@pytest.mark.parametrize("who", ["admin", "staff", "pl"])
def test_generated_requests_get_documented_answers(app, engine, full_world, who):
    if who in SQLITE_ONLY and engine.dialect.name != "sqlite":
        pytest.skip(SQLITE_ONLY[who])
    world = full_world
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = world.headers(who, **{"If-Match": "*"})
    known = [_own_params(world, who), _norway_params(world)]
    restore = _restorer(engine, world)
    restore()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    how = _settings(engine.dialect.name)
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _attack(app, operation, headers, mode, known, restore, how)
    STATS["operations"] = len(operations)
    print(f"\n[{who}] {dict(sorted(STATS.items()))}")
    STATS.clear()
