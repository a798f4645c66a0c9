"""One map from errors to HTTP status (service.core.statuses), answered alike by the API and the pages."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from service.core.db import ScopeViolation
from service.core.statuses import status_of
from service.domain.errors import Conflict, DomainError, Invalid, NotFound, Unavailable
from service.domain.reports import RenderFailed
from tests.test_web_pages import sign_in

CASES = [
    (NotFound("gone"), 404), (Conflict("clash"), 409), (Invalid("bad"), 422), (DomainError("no"), 422),
    (RenderFailed("font"), 503), (Unavailable("later"), 503), (ScopeViolation("NO"), 404),
    (StaleDataError("v"), 412), (IntegrityError("s", {}, Exception("dup")), 409),
    (OperationalError("s", {}, Exception("locked")), 503), (RuntimeError("boom"), 500),
]


@pytest.mark.parametrize(("exc", "status"), CASES,
                         ids=lambda c: type(c).__name__ if isinstance(c, Exception) else str(c))
def test_the_api_and_the_pages_answer_an_error_with_the_one_status(client, world, monkeypatch, exc, status):
    from service.domain import dashboard

    def failing(**_: Any) -> Any:
        raise exc

    monkeypatch.setattr(dashboard, "country_overview", failing)
    assert status_of(exc) == status
    api = client.get("/api/v1/countries/PL/status", headers=world.headers("pl"))
    assert (api.status_code, api.get_json()["code"]) == (status, status)
    sign_in(client, "pl")
    page = client.get("/")
    assert page.status_code == status and page.mimetype == "text/html"
