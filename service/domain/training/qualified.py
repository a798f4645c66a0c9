"""Qualified people per system: valid, expiring within 90 days, and expired in the month.

A person is qualified on a system while their latest certificate for it has not expired;
expiring when that latest one runs out within 90 days; expired in the month when it ran out
between the month's first day and the day asked about. One grouped statement, the same for
the liaison's home, `/countries/{code}/status`, the API list and the reports.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import EXPIRING_DAYS, Certificate, WeaponSystem

# A person's latest certificate counts only when it runs to the month's start or later, so only
# the certificates valid since then are read (a range on `valid_until`, for one country on
# `ix_certificate_country_valid`), never the years of certificates that ran out before: the
# latest of those is the latest of all when one exists.
_LATEST = (select(Certificate.country_code, Certificate.system_id, Certificate.trainee_id,
                  sa.func.max(Certificate.valid_until).label("until"))
           .where(col(Certificate.valid_until) >= sa.bindparam("month_start"),
                  col(Certificate.issued_on) <= sa.bindparam("today"))  # issued by then
           .group_by(col(Certificate.country_code), col(Certificate.system_id), col(Certificate.trainee_id))
           .subquery())
_UNTIL = _LATEST.c.until
QUALIFIED = (
    sa.select(_LATEST.c.country_code.label("country"), _LATEST.c.system_id,
              col(WeaponSystem.code).label("system_code"),
              sa.func.count().filter(sa.bindparam("today") <= _UNTIL).label("qualified"),
              sa.func.count().filter(sa.bindparam("today") <= _UNTIL,
                                     sa.bindparam("horizon") >= _UNTIL).label("expiring"),
              sa.func.count().filter(sa.bindparam("month_start") <= _UNTIL,
                                     sa.bindparam("today") > _UNTIL).label("expired_in_month"))
    .join(WeaponSystem, col(WeaponSystem.id) == _LATEST.c.system_id)
    .where(sa.bindparam("month_start") <= _UNTIL)
    .group_by(_LATEST.c.country_code, _LATEST.c.system_id, WeaponSystem.code)
    .order_by(_LATEST.c.country_code, WeaponSystem.code)
)


def params(today: dt.date) -> dict[str, Any]:
    return {"today": today, "horizon": today + dt.timedelta(days=EXPIRING_DAYS),
            "month_start": today.replace(day=1)}


def qualified(*, session: Session, today: dt.date, country: str | None = None,
              system: int | None = None) -> list[dict[str, Any]]:
    """Per country and system, as of `today` (a past day too: the certificates issued by then;
    a liaison's session sees their country only)."""
    stmt = QUALIFIED
    if country is not None:
        stmt = stmt.where(_LATEST.c.country_code == country)
    if system is not None:
        stmt = stmt.where(_LATEST.c.system_id == system)
    return [row._asdict() for row in session.execute(stmt, params(today))]
