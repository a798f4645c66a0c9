"""Deficiency reports: file, list, read, correct and move along their lifecycle (SPEC §9)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from models import DeficiencyAttachment, DeficiencyReport
from service.api.common import PAGE, check_if_match, takes_if_match, with_etag
from service.core.auth import EVERYONE, STAFF, access, current_principal, require_principal
from service.core.db import get_session
from service.core.limits import body_limit
from service.core.reads import get_or_404, paginate
from service.domain.deficiencies import attachments, conversation, filing, lifecycle, queries
from service.domain.deficiencies.queries import ReportOut
from service.schemas.deficiencies import (
    AttachmentSchema,
    DeficiencyCreateSchema,
    DeficiencyQuerySchema,
    DeficiencySchema,
    DeficiencyTransitionSchema,
    DeficiencyUpdateSchema,
    MessageSchema,
    UploadSchema,
)

blp = Blueprint("deficiencies", __name__, url_prefix="/deficiencies",
                description="Deficiency reports about delivered units")


def _out(report: DeficiencyReport) -> ReportOut:
    out = queries.with_units(session=get_session(), reports=[report])[0]
    out.allowed = lifecycle.allowed(report, current_principal(), out.now)
    return out


@blp.route("")
class Deficiencies(MethodView):
    @blp.arguments(DeficiencyQuerySchema, location="query")
    @blp.response(200, DeficiencySchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """List reports, newest first; filter by country, system, unit, status, severity,
        category, overdue and submission time."""
        session = get_session()
        reports = paginate(session, queries.list_statement(query), pagination_parameters)
        principal = current_principal()
        out = queries.with_units(session=session, reports=reports)
        for item in out:
            item.allowed = lifecycle.allowed(item.report, principal, item.now)
        return out

    @access(*EVERYONE)
    @blp.arguments(DeficiencyCreateSchema)
    @blp.response(201, DeficiencySchema)
    def post(self, data: dict[str, Any]) -> Any:
        """File a report (a liaison: for their own country's units; staff: name the country)."""
        report = filing.file_report(session=get_session(), data=data, actor=require_principal())
        body, status, headers = with_etag(_out(report), 201)
        headers["Location"] = f"/api/v1/deficiencies/{report.id}"
        return body, status, headers


@blp.route("/<int:deficiency_id>")
class DeficiencyItem(MethodView):
    @blp.response(200, DeficiencySchema)
    def get(self, deficiency_id: int) -> Any:
        """One report with its units, due times and the moves you may make."""
        return with_etag(_out(get_or_404(get_session(), DeficiencyReport, deficiency_id)))

    @access(*STAFF)
    @takes_if_match
    @blp.arguments(DeficiencyUpdateSchema)
    @blp.response(200, DeficiencySchema)
    def patch(self, changes: dict[str, Any], deficiency_id: int) -> Any:
        """Correct a report's category, severity (its due times follow), title, description or
        time of occurrence (needs If-Match)."""
        session = get_session()
        report = get_or_404(session, DeficiencyReport, deficiency_id)
        check_if_match(report)
        return with_etag(_out(filing.update_report(session=session, report=report, changes=changes)))


@blp.route("/<int:deficiency_id>/transition")
class DeficiencyTransition(MethodView):
    @access(*EVERYONE)
    @takes_if_match
    @blp.arguments(DeficiencyTransitionSchema)
    @blp.response(200, DeficiencySchema)
    @blp.alt_response(409, description="not allowed now, or not for you; `allowed` lists your moves")
    def post(self, data: dict[str, Any], deficiency_id: int) -> Any:
        """Move the report along its lifecycle (needs If-Match; resolving needs a disposition
        and a resolution)."""
        session = get_session()
        report = get_or_404(session, DeficiencyReport, deficiency_id)
        check_if_match(report)
        return with_etag(_out(lifecycle.transition(session=session, report=report,
                                                   actor=require_principal(), **data)))


@blp.route("/<int:deficiency_id>/messages")
class DeficiencyMessages(MethodView):
    @blp.response(200, MessageSchema(many=True))
    def get(self, deficiency_id: int) -> Any:
        """The report's conversation, oldest first (staff also see the internal notes)."""
        session = get_session()
        report = get_or_404(session, DeficiencyReport, deficiency_id)
        return conversation.messages(session=session, report=report)

    @access(*EVERYONE)
    @blp.arguments(MessageSchema)
    @blp.response(201, MessageSchema)
    def post(self, data: dict[str, Any], deficiency_id: int) -> Any:
        """Write to the other side (staff: or an internal note, `internal: true`)."""
        session = get_session()
        report = get_or_404(session, DeficiencyReport, deficiency_id)
        return conversation.post(session=session, report=report, actor=require_principal(), **data)


BINARY = {"type": "string", "format": "binary"}
UPLOAD_LIMIT = attachments.MAX_BYTES + 64 * 1024  # one file and its multipart envelope


@blp.route("/<int:deficiency_id>/attachments")
class DeficiencyAttachments(MethodView):
    @blp.response(200, AttachmentSchema(many=True))
    def get(self, deficiency_id: int) -> Any:
        """The report's attachments (their metadata; each file at its own URL)."""
        session = get_session()
        report = get_or_404(session, DeficiencyReport, deficiency_id)
        return attachments.listing(session=session, report=report)

    @access(*EVERYONE)
    @body_limit(UPLOAD_LIMIT)
    @blp.arguments(UploadSchema, location="files")
    @blp.response(201, AttachmentSchema)
    @blp.alt_response(413, description="larger than 10 MiB")
    def post(self, files: dict[str, Any], deficiency_id: int) -> Any:
        """Attach a photo or PDF (multipart, field `file`; at most 10 per report, 10 MiB each)."""
        session = get_session()
        report = get_or_404(session, DeficiencyReport, deficiency_id)
        upload = files["file"]
        return attachments.attach(session=session, report=report, actor=require_principal(),
                                  filename=upload.filename or "", data=upload.read())


@blp.route("/<int:deficiency_id>/attachments/<int:attachment_id>")
class DeficiencyAttachmentFile(MethodView):
    @blp.response(200, BINARY, content_type="application/pdf",
                  description="The file, as an attachment, with the type read from its content")
    @blp.doc(responses={"200": {"content": {kind: {"schema": BINARY} for kind in attachments.TYPES}}})
    def get(self, deficiency_id: int, attachment_id: int) -> Any:
        """Download one attachment."""
        session = get_session()
        report = get_or_404(session, DeficiencyReport, deficiency_id)
        attachment = get_or_404(session, DeficiencyAttachment, attachment_id)
        if attachment.report_id != report.id:
            abort(404, message=f"DeficiencyAttachment {attachment_id} not found")
        response = current_app.response_class(
            attachments.content(session=session, attachment=attachment),
            mimetype=attachment.content_type)
        response.headers["Content-Disposition"] = f'attachment; filename="{attachment.filename}"'
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-cache"
        return response
