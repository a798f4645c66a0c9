"""Certificates: the list, one, its PDF, a refresher request; and the public verification."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from models import Certificate
from service.api.common import PAGE
from service.core.auth import EVERYONE, STAFF, access, require_principal
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain.training import certificates, qualified, refresher
from service.schemas.services import RequestSchema
from service.schemas.training import (
    CertificateQuerySchema,
    CertificateSchema,
    PublicCertificateSchema,
    QualifiedQuerySchema,
    QualifiedSchema,
    RefresherSchema,
    ValiditySchema,
    VerifyQuerySchema,
)

blp = Blueprint("certificates", __name__, url_prefix="/certificates",
                description="Certificates of the trainees who passed")
public_blp = Blueprint("public_certificates", __name__, url_prefix="/public/certificates",
                       description="Public verification of a certificate by number and check code")


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@blp.route("")
class Certificates(MethodView):
    @blp.arguments(CertificateQuerySchema, location="query")
    @blp.response(200, CertificateSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """Certificates, soonest expiry first; filter by country, system, kind, trainee, status."""
        session, today = get_session(), _today()
        rows = paginate(session, certificates.certificates_query(query, today), pagination_parameters)
        return certificates.described(session=session, certificates=rows, today=today)


@blp.route("/qualified")
class Qualified(MethodView):
    @blp.arguments(QualifiedQuerySchema, location="query")
    @blp.response(200, QualifiedSchema(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        """Qualified people per country and system today (or `as_of` a past day): valid,
        expiring in 90 days, expired this month (the figures of the dashboards and reports)."""
        return qualified.qualified(session=get_session(), today=query.get("as_of") or _today(),
                                   country=query.get("country"), system=query.get("system"))


@blp.route("/validity")
class Validity(MethodView):
    @access(*STAFF)
    @blp.arguments(ValiditySchema)
    @blp.response(200, ValiditySchema)
    def put(self, data: dict[str, Any]) -> Any:
        """Set how many months a course's certificates stay valid (default 24); for new ones."""
        certificates.set_validity(session=get_session(), **data)
        return data


@blp.route("/<int:certificate_id>")
class CertificateItem(MethodView):
    @blp.response(200, CertificateSchema)
    def get(self, certificate_id: int) -> Any:
        """One certificate, with its check code and status."""
        session = get_session()
        cert = get_or_404(session, Certificate, certificate_id)
        return certificates.described(session=session, certificates=[cert], today=_today())[0]


@blp.route("/<int:certificate_id>/pdf")
class CertificatePdf(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
    def get(self, certificate_id: int) -> Any:
        """The certificate as a PDF, in English and Korean."""
        from service.domain.training import certificate_pdf

        session = get_session()
        cert = get_or_404(session, Certificate, certificate_id)
        pdf = certificate_pdf.render(certificates.pdf_data(session=session, certificate=cert, today=_today()))
        response = current_app.response_class(pdf, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'inline; filename="certificate-{cert.number}.pdf"'
        response.headers["Cache-Control"] = "private, no-cache"
        return response


@blp.route("/<int:certificate_id>/refresher")
class CertificateRefresher(MethodView):
    @access(*EVERYONE)
    @blp.arguments(RefresherSchema)
    @blp.response(201, RequestSchema)
    def post(self, data: dict[str, Any], certificate_id: int) -> Any:
        """Ask for a refresher of this certificate's course, in one step: a service request for
        the country, wished before the certificates of that course run out."""
        session = get_session()
        cert = get_or_404(session, Certificate, certificate_id)
        return refresher.request_refresher(session=session, certificate=cert, actor=require_principal(),
                                           description=data.get("description", ""), today=_today())


@public_blp.route("/<string:number>")
class PublicCertificate(MethodView):
    @access(public=True)
    @public_blp.doc(security=[])
    @public_blp.arguments(VerifyQuerySchema, location="query")
    @public_blp.response(200, PublicCertificateSchema)
    @public_blp.alt_response(404, description="Unknown number or wrong code (the two answer alike)")
    def get(self, query: dict[str, Any], number: str) -> Any:
        """Verify a certificate: the holder's name, the course and its validity, nothing else."""
        return certificates.verify(session=get_session(), number=number, code=query["code"], today=_today())
