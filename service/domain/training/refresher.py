"""A refresher for expiring certificates in one step: a service request for the course."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, select

from models import EXPIRING_DAYS, Certificate, ServiceRequest
from service.core.auth import Principal
from service.domain import requests
from service.domain.errors import Conflict
from service.domain.training.certificates import status_of


def request_refresher(*, session: Session, certificate: Certificate, actor: Principal,
                      description: str, today: dt.date) -> ServiceRequest:
    """File a service request for the certificate's course (system and kind), wished between
    two weeks from now and the day the first of the country's expiring certificates of that course
    runs out; the description counts them. Refused for a certificate still valid beyond 90 days."""
    if status_of(certificate.valid_until, today) == "valid":
        raise Conflict("Only an expiring or expired certificate needs a refresher",
                       {"status": [f"valid until {certificate.valid_until.isoformat()}"]})
    horizon = today + dt.timedelta(days=EXPIRING_DAYS)
    count, first = session.execute(
        select(sa.func.count(), sa.func.min(Certificate.valid_until)).where(
            Certificate.country_code == certificate.country_code,
            Certificate.system_id == certificate.system_id, Certificate.kind == certificate.kind,
            Certificate.valid_until >= today, Certificate.valid_until <= horizon)).one()
    wished_from = today + dt.timedelta(days=14)
    wished_to = max(first or certificate.valid_until, wished_from + dt.timedelta(days=14))
    text = (f"Refresher for {certificate.course}: {count} certificate(s) of the course expire "
            f"within {EXPIRING_DAYS} days (first on {(first or certificate.valid_until).isoformat()}).")
    if description:
        text += f"\n\n{description}"
    data = {"kind": certificate.kind, "system_id": certificate.system_id, "wished_from": wished_from,
            "wished_to": wished_to, "description": text[:4000]}
    if not actor.is_liaison:
        data["country_code"] = certificate.country_code
    return requests.file_request(session=session, data=data, actor=actor)
