"""Releasing a bulletin to countries (by default every country with a unit it concerns) and
withdrawing a release. Who sees a bulletin follows from these rows alone, through the one
scoping point (`service.core.db`): a change here holds from the next statement on."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import BulletinRelease, Country, ServiceBulletin, Unit, utcnow
from service.core.auth import Principal
from service.domain import mail, outbox
from service.domain.bulletins import history
from service.domain.bulletins.publishing import applies_to
from service.domain.errors import Invalid, NotFound


def due_after(released_at: dt.datetime, days: int) -> dt.datetime:
    return released_at + dt.timedelta(days=days)


def default_countries(*, session: Session, bulletin: ServiceBulletin) -> list[str]:
    """Every country that has a unit the bulletin concerns."""
    return list(session.scalars(
        sa.select(col(Unit.country_code)).where(applies_to(bulletin))
        .distinct().order_by(Unit.country_code)))


def listing(*, session: Session, bulletin: ServiceBulletin) -> list[BulletinRelease]:
    """The bulletin's releases, withdrawn ones too, by country."""
    return list(session.exec(select(BulletinRelease).where(BulletinRelease.bulletin_id == bulletin.id)
                             .order_by(col(BulletinRelease.country_code))))


def release(*, session: Session, bulletin: ServiceBulletin, countries: list[str] | None,
            actor: Principal) -> list[BulletinRelease]:
    """Release to `countries` (None: the default set); a withdrawn release is released again,
    one in force is left as it is. Each newly released country's liaisons are told; commits."""
    codes = (default_countries(session=session, bulletin=bulletin) if countries is None
             else sorted(set(countries)))
    if not codes:
        raise Invalid("No country has a unit this bulletin concerns; name the countries",
                      {"countries": ["no country has an applicable unit"]})
    known = set(session.scalars(sa.select(col(Country.code)).where(col(Country.code).in_(codes))))
    if unknown := [c for c in codes if c not in known]:
        raise Invalid("Unknown country", {"countries": [f"{c} is not a buyer country" for c in unknown]})
    existing = {r.country_code: r for r in listing(session=session, bulletin=bulletin)}
    now = utcnow()
    fresh: list[BulletinRelease] = []
    for code in codes:
        row = existing.get(code)
        if row is not None and row.withdrawn_at is None:
            continue
        if row is None:
            row = BulletinRelease(bulletin_id=bulletin.id or 0, country_code=code, released_at=now,
                                  due_at=now)
            session.add(row)
        row.released_at, row.released_by, row.withdrawn_at, row.withdrawn_by = now, actor.user_id, None, None
        row.due_at = due_after(now, bulletin.compliance_due_days)
        history.released(session, row)
        fresh.append(row)
    outbox.notify(session=session, messages=[{
        "key": f"bulletin-released:{bulletin.id}:r{bulletin.revision}:{row.country_code}:"
               f"{now.isoformat()}:user:{user.id}",
        "kind": "bulletin_released", "user_id": user.id, "recipient": user.email,
        "country_code": row.country_code,
        **mail.render_to(session, user, "bulletin_released", bulletin=bulletin, due=row.due_at),
        "data": {"bulletin_id": bulletin.id},
    } for row in fresh for user in outbox.liaisons_of(session=session, country_code=row.country_code)])
    session.commit()
    return listing(session=session, bulletin=bulletin)


def withdraw(*, session: Session, bulletin: ServiceBulletin, country_code: str,
             actor: Principal) -> BulletinRelease:
    """Withdraw the release to one country (its liaisons stop seeing the bulletin); commits."""
    row = session.get(BulletinRelease, (bulletin.id, country_code.upper()))
    if row is None or row.withdrawn_at is not None:
        raise NotFound(f"Bulletin {bulletin.number} is not released to {country_code.upper()}")
    row.withdrawn_at, row.withdrawn_by = utcnow(), actor.user_id
    history.withdrawn(session, row)
    session.commit()
    return row
