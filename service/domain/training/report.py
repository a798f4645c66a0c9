"""The monthly reports' sections on people trained and support packages (SPEC §11): the same
functions, hence the same figures, as the API's `/certificates/qualified` and `/packages`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from service.domain.packages.lines import summary
from service.domain.training.qualified import qualified


def country_section(*, session: Session, country_code: str, as_of: dt.date) -> dict[str, Any]:
    """One country's qualified people per system and its contracts' packages, as of `as_of`."""
    return {"as_of": as_of.isoformat(),
            "qualified": qualified(session=session, today=as_of, country=country_code),
            "packages": summary(session=session, today=as_of, country=country_code, as_of=True)}


def hq_section(*, session: Session, as_of: dt.date, codes: list[str]) -> dict[str, Any]:
    """Every country side by side: qualified people per system, and package lines overdue."""
    per_country: dict[str, dict[str, Any]] = {code: {
        "code": code, "contracts": 0, "lines": 0, "overdue": 0, "promised": 0, "delivered": 0}
        for code in codes}
    for row in summary(session=session, today=as_of, as_of=True):
        c = per_country.setdefault(row["country"], {
            "code": row["country"], "contracts": 0, "lines": 0, "overdue": 0, "promised": 0, "delivered": 0})
        c["contracts"] += 1
        for key in ("lines", "overdue", "promised", "delivered"):
            c[key] += row[key]
    for c in per_country.values():
        c["share_delivered"] = round(100 * c["delivered"] / c["promised"], 1) if c["promised"] else None
    return {"as_of": as_of.isoformat(), "qualified": qualified(session=session, today=as_of),
            "packages": sorted(per_country.values(), key=lambda c: c["code"])}
