"""Monthly PDF service reports: list, generate now, metadata and the PDF itself."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from webargs.flaskparser import abort  # flask_smorest re-exports it untyped

from models import Report, ReportFile, ReportKind
from service.api.common import PAGE
from service.core.auth import STAFF, access, require_principal
from service.core.db import get_engine, get_session
from service.core.reads import get_or_404, paginate
from service.domain import reports
from service.schemas.reports import ReportCreateSchema, ReportQuerySchema, ReportSchema

blp = Blueprint("reports", __name__, url_prefix="/reports", description="Monthly PDF reports")


@blp.route("")
class Reports(MethodView):
    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, ReportSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """List reports, newest period first, by country, period or kind."""
        return paginate(get_session(), reports.reports_query(query), pagination_parameters)

    @access(*STAFF)
    @blp.arguments(ReportCreateSchema)
    @blp.response(201, ReportSchema)
    @blp.alt_response(422, description="Unknown country, or a period that has not started")
    @blp.alt_response(503, description="Rendering failed; the failure is recorded on the report")
    def post(self, data: dict[str, Any]) -> Any:
        """Generate a report now (no country: the HQ report); regenerating bumps the revision."""
        principal = require_principal()
        country = data.get("country")
        kind = ReportKind.country_monthly if country else ReportKind.hq_monthly
        get_session().rollback()  # the report is written in its own locked transaction
        report = reports.generate_report(
            engine=get_engine(current_app), kind=kind.value, period=data["period"],
            country_code=country, actor=(principal.user_id, principal.email),
            options=reports.Options.from_config(current_app.config),
        )
        return report, 201, {"Location": f"{request.script_root}/api/v1/reports/{report.id}"}


@blp.route("/<int:report_id>")
class ReportItem(MethodView):
    @blp.response(200, ReportSchema)
    def get(self, report_id: int) -> Any:
        """One report's metadata."""
        return get_or_404(get_session(), Report, report_id)


@blp.route("/<int:report_id>/pdf")
class ReportPdf(MethodView):
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf",
                  description="The PDF, as an attachment; its ETag is the SHA-256")
    @blp.alt_response(304, description="Not modified: the copy named by If-None-Match is current")
    def get(self, report_id: int) -> Any:
        """Download the report's PDF."""
        session = get_session()
        report = get_or_404(session, Report, report_id)
        stored = session.get(ReportFile, report.id)
        if stored is None or not report.sha256:
            abort(404, message=f"Report {report_id} has no PDF yet: {report.error or 'not generated'}")
        name = f"k-sustain-{report.scope_key}-{report.period}-r{report.revision}.pdf"
        response = current_app.response_class(stored.pdf, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "private, no-cache"
        response.set_etag(report.sha256)
        if request.if_none_match.contains(report.sha256):
            # A GET is only ever conditional on If-None-Match; If-Match is for writes.
            not_modified = current_app.response_class(status=304)
            not_modified.headers.update({k: v for k, v in response.headers.items()
                                         if k in ("ETag", "Cache-Control")})
            return not_modified
        return response
