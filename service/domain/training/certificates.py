"""Certificates: issued for each pass, valid for the course's validity (default 24 months),
listed by status, verified publicly by number and check code (SPEC §11).

Status is arithmetic on `valid_until` and today: `expired` once the day has passed, `expiring`
within 90 days, else `valid`; the same comparisons are the list's filters, in SQL.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hmac
import secrets
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import (
    DEFAULT_VALIDITY_MONTHS,
    EXPIRING_DAYS,
    Certificate,
    CertificateStatus,
    CertificateValidity,
    Country,
    ServiceEvent,
    Trainee,
    WeaponSystem,
)
from service.core.i18n import country_name
from service.domain.errors import NotFound
from service.domain.lists import where_given

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper
DUMMY_CODE = "X" * 8  # compared against when the number is unknown: the same work either way


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months, kept at the month's end when the day does not exist there."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def status_of(valid_until: dt.date, today: dt.date) -> str:
    if valid_until < today:
        return CertificateStatus.expired.value
    if valid_until <= today + dt.timedelta(days=EXPIRING_DAYS):
        return CertificateStatus.expiring.value
    return CertificateStatus.valid.value


def validity_months(session: Session, *, system_id: int, kind: str) -> int:
    row = session.get(CertificateValidity, (system_id, kind))
    return row.months if row is not None else DEFAULT_VALIDITY_MONTHS


def set_validity(*, session: Session, system_id: int, kind: str, months: int) -> None:
    """Set the validity of one course (system and kind); commits."""
    row = session.get(CertificateValidity, (system_id, kind))
    if row is None:
        session.add(CertificateValidity(system_id=system_id, kind=kind, months=months))
    else:
        row.months = months
    session.commit()


def _token(n: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(n))


def course_name(system_code: str, kind: str, title: str) -> str:
    """What a certificate says was passed, as stored (in English, like every text the service
    writes): `K9A1 technological education: Crew course`."""
    from service.domain.calendar import KIND_LABEL

    return f"{system_code} {KIND_LABEL.get(kind, kind).lower()}: {title}"[:200]


def issue(*, session: Session, event: ServiceEvent, passed: list[tuple[int, int]]) -> list[Certificate]:
    """One certificate per (nomination id, trainee id) that passed `event`, issued on the
    service's last day in its own timezone; no commit (the completing transaction's)."""
    if not passed:
        return []
    from zoneinfo import ZoneInfo

    issued_on = event.ends_at.astimezone(ZoneInfo(event.timezone)).date()
    months = validity_months(session, system_id=event.system_id, kind=event.kind)
    code = session.scalar(select(WeaponSystem.code).where(WeaponSystem.id == event.system_id))
    certs = [Certificate(number=f"KS-{issued_on.year}-{_token(8)}", check_code=_token(8),
                         trainee_id=trainee_id, nomination_id=nomination_id, event_id=event.id or 0,
                         country_code=event.country_code, system_id=event.system_id, kind=event.kind,
                         course=course_name(code or "", event.kind, event.title),
                         issued_on=issued_on, valid_until=add_months(issued_on, months))
             for nomination_id, trainee_id in passed]
    session.add_all(certs)
    session.flush()
    return certs


# --- reading ---------------------------------------------------------------------------------

FILTERS = (("country", Certificate.country_code), ("system", Certificate.system_id),
           ("trainee", Certificate.trainee_id), ("kind", Certificate.kind))
COLUMNS = (Certificate, Trainee.name, WeaponSystem.code)


def status_clause(status: str, today: dt.date) -> Any:
    horizon = today + dt.timedelta(days=EXPIRING_DAYS)
    until = col(Certificate.valid_until)
    return {"expired": until < today,
            "expiring": sa.and_(until >= today, until <= horizon),
            "valid": until > horizon}[status]


def certificates_query(query: dict[str, Any], today: dt.date) -> Any:
    """The certificates a list shows for `query`, soonest expiry first: behind `GET
    /certificates` and the page."""
    stmt = where_given(select(Certificate).order_by(col(Certificate.valid_until), col(Certificate.id)),
                       query, FILTERS)
    if "status" in query:
        stmt = stmt.where(status_clause(query["status"], today))
    return stmt


def described(*, session: Session, certificates: list[Certificate], today: dt.date) -> list[dict[str, Any]]:
    """Certificates as the API and pages show them: holder's name, system code, status (one
    statement for the page)."""
    ids = [c.trainee_id for c in certificates]
    names: dict[int, str] = dict(session.execute(
        select(col(Trainee.id), col(Trainee.name)).where(col(Trainee.id).in_(ids))).all())
    systems = dict(session.execute(select(WeaponSystem.id, WeaponSystem.code)).all())
    return [{**{k: getattr(c, k) for k in ("id", "number", "trainee_id", "event_id", "system_id",
                                           "kind", "course", "issued_on", "valid_until")},
             "country": c.country_code, "check_code": c.check_code, "name": names.get(c.trainee_id),
             "system_code": systems.get(c.system_id), "status": status_of(c.valid_until, today)}
            for c in certificates]


_BY_NUMBER = (sa.select(col(Certificate.check_code), col(Certificate.course), col(Certificate.issued_on),
                        col(Certificate.valid_until), col(Certificate.number), col(Trainee.name))
              .join(Trainee, col(Trainee.id) == Certificate.trainee_id)
              .where(col(Certificate.number) == sa.bindparam("number")))


def verify(*, session: Session, number: str, code: str, today: dt.date) -> dict[str, Any]:
    """What the public may know of a certificate: name, course, validity. An unknown number and
    a wrong code raise the same NotFound after the same statement and the same comparison."""
    row = session.execute(_BY_NUMBER, {"number": number[:20]}).first()
    expected = row.check_code if row is not None else DUMMY_CODE
    matches = hmac.compare_digest(expected.encode(), code.upper().encode()[:64])
    if row is None or not matches:
        raise NotFound("No certificate with this number and check code")
    return {"number": row.number, "name": row.name, "course": row.course, "issued_on": row.issued_on,
            "valid_until": row.valid_until, "status": status_of(row.valid_until, today)}


def pdf_data(*, session: Session, certificate: Certificate, today: dt.date) -> dict[str, Any]:
    """The plain data a certificate's PDF is rendered from."""
    out = described(session=session, certificates=[certificate], today=today)[0]
    country = session.get(Country, certificate.country_code)
    trainee = session.get(Trainee, certificate.trainee_id)
    name = country.name if country else certificate.country_code
    # the English column names the country as registered, the Korean one in Korean (폴란드)
    out.update(country_name=name, country_name_ko=country_name(certificate.country_code, name, "ko"),
               rank=trainee.rank if trainee else "", organisation=trainee.organisation if trainee else "")
    return out
