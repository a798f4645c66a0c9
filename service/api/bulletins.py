"""Service bulletins: publish and revise (staff), release to countries and withdraw (staff),
acknowledge and record compliance per unit (the released country's liaisons) — SPEC §13.

Who sees a bulletin is decided by its releases alone, in the one scoping point: a bulletin
not released to a liaison's country answers 404 here exactly like a missing one."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from models import Role, ServiceBulletin
from service.api.common import PAGE, check_if_match, takes_if_match, with_etag
from service.core.auth import STAFF, access, require_principal
from service.core.db import get_session
from service.core.limits import body_limit
from service.core.reads import get_or_404, paginate
from service.domain.bulletins import attachments, compliance, publishing, queries, releases
from service.domain.bulletins.queries import BulletinOut
from service.domain.uploads import MAX_BYTES, TYPES
from service.schemas.bulletins import (
    AcknowledgementSchema,
    BulletinAttachmentSchema,
    BulletinCreateSchema,
    BulletinQuerySchema,
    BulletinSchema,
    BulletinUpdateSchema,
    ComplianceInSchema,
    ComplianceRowSchema,
    CountryFiguresSchema,
    FiguresQuerySchema,
    ReleaseRowSchema,
    ReleaseSchema,
    UnitComplianceSchema,
)
from service.schemas.deficiencies import UploadSchema

blp = Blueprint("bulletins", __name__, url_prefix="/bulletins",
                description="Service bulletins released to the countries they concern")


def _out(bulletin: ServiceBulletin) -> BulletinOut:
    return queries.with_details(session=get_session(), bulletins=[bulletin])[0]


def _bulletin(bulletin_id: int) -> ServiceBulletin:
    return get_or_404(get_session(), ServiceBulletin, bulletin_id)


@blp.route("")
class Bulletins(MethodView):
    @blp.arguments(BulletinQuerySchema, location="query")
    @blp.response(200, BulletinSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """List bulletins, newest first (a liaison: those released to their country)."""
        session = get_session()
        found = paginate(session, queries.list_statement(query), pagination_parameters)
        return queries.with_details(session=session, bulletins=found)

    @access(*STAFF)
    @blp.arguments(BulletinCreateSchema)
    @blp.response(201, BulletinSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Publish a bulletin (numbered within its system; released to no one until released)."""
        bulletin = publishing.create_bulletin(session=get_session(), data=data, actor=require_principal())
        body, status, headers = with_etag(_out(bulletin), 201)
        headers["Location"] = f"/api/v1/bulletins/{bulletin.id}"
        return body, status, headers


@blp.route("/figures")
class BulletinFigures(MethodView):
    @blp.arguments(FiguresQuerySchema, location="query")
    @blp.response(200, CountryFiguresSchema(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        """Acknowledgement and compliance per country (staff: every country; a liaison: theirs),
        now or as they stood at `as_of`."""
        return compliance.figures(session=get_session(), bulletin_id=query.get("bulletin"),
                                  system_id=query.get("system"), country=query.get("country"),
                                  as_of=query.get("as_of"))


@blp.route("/<int:bulletin_id>")
class BulletinItem(MethodView):
    @blp.response(200, BulletinSchema)
    def get(self, bulletin_id: int) -> Any:
        """One bulletin with its serial ranges and releases."""
        return with_etag(_out(_bulletin(bulletin_id)))

    @access(*STAFF)
    @takes_if_match
    @blp.arguments(BulletinUpdateSchema)
    @blp.response(200, BulletinSchema)
    def patch(self, changes: dict[str, Any], bulletin_id: int) -> Any:
        """Revise the bulletin (needs If-Match): a new revision every released country is asked
        to acknowledge again; earlier acknowledgements are kept."""
        session = get_session()
        bulletin = _bulletin(bulletin_id)
        check_if_match(bulletin)
        return with_etag(_out(publishing.revise_bulletin(session=session, bulletin=bulletin,
                                                         changes=changes, actor=require_principal())))


@blp.route("/<int:bulletin_id>/releases")
class BulletinReleases(MethodView):
    @access(*STAFF)
    @blp.response(200, ReleaseRowSchema(many=True))
    def get(self, bulletin_id: int) -> Any:
        """The countries the bulletin is (or was) released to."""
        return releases.listing(session=get_session(), bulletin=_bulletin(bulletin_id))

    @access(*STAFF)
    @blp.arguments(ReleaseSchema)
    @blp.response(200, ReleaseRowSchema(many=True))
    def post(self, data: dict[str, Any], bulletin_id: int) -> Any:
        """Release to more countries (none named: every country with an applicable unit)."""
        return releases.release(session=get_session(), bulletin=_bulletin(bulletin_id),
                                countries=data.get("countries"), actor=require_principal())


@blp.route("/<int:bulletin_id>/releases/<string:code>")
class BulletinReleaseItem(MethodView):
    @access(*STAFF)
    @blp.response(200, ReleaseRowSchema)
    def delete(self, bulletin_id: int, code: str) -> Any:
        """Withdraw the release to one country (its liaisons stop seeing the bulletin)."""
        return releases.withdraw(session=get_session(), bulletin=_bulletin(bulletin_id),
                                 country_code=code, actor=require_principal())


@blp.route("/<int:bulletin_id>/acknowledgements")
class BulletinAcknowledgements(MethodView):
    @blp.response(200, AcknowledgementSchema(many=True))
    def get(self, bulletin_id: int) -> Any:
        """Every revision's acknowledgements (a liaison: their country's)."""
        return compliance.acknowledgements(session=get_session(), bulletin=_bulletin(bulletin_id))

    @access(Role.liaison)
    @blp.response(201, AcknowledgementSchema)
    def post(self, bulletin_id: int) -> Any:
        """Acknowledge the current revision for your country (409 if done already)."""
        return compliance.acknowledge(session=get_session(), bulletin=_bulletin(bulletin_id),
                                      actor=require_principal())


@blp.route("/<int:bulletin_id>/compliance")
class BulletinComplianceList(MethodView):
    @blp.response(200, UnitComplianceSchema(many=True))
    def get(self, bulletin_id: int) -> Any:
        """Every concerned unit of the released countries (a liaison: theirs) and its compliance."""
        return compliance.units(session=get_session(), bulletin=_bulletin(bulletin_id))


@blp.route("/<int:bulletin_id>/compliance/<int:unit_id>")
class BulletinComplianceItem(MethodView):
    @access(Role.liaison)
    @takes_if_match
    @blp.arguments(ComplianceInSchema)
    @blp.response(200, ComplianceRowSchema)
    def put(self, data: dict[str, Any], bulletin_id: int, unit_id: int) -> Any:
        """Record one of your units' compliance: `done` with `done_on`, `not_applicable` with a
        `reason`, or `pending` (If-Match with its version once recorded)."""
        session = get_session()
        bulletin = _bulletin(bulletin_id)
        row = compliance.current(session=session, bulletin=bulletin, unit_id=unit_id)
        if row is not None:
            check_if_match(row)
        return with_etag(compliance.record(session=session, bulletin=bulletin, unit_id=unit_id,
                                           data=data, actor=require_principal()))


BINARY = {"type": "string", "format": "binary"}
UPLOAD_LIMIT = MAX_BYTES + 64 * 1024  # one file and its multipart envelope


@blp.route("/<int:bulletin_id>/attachments")
class BulletinAttachments(MethodView):
    @blp.response(200, BulletinAttachmentSchema(many=True))
    def get(self, bulletin_id: int) -> Any:
        """The bulletin's attachments (their metadata; each file at its own URL)."""
        return attachments.listing(session=get_session(), bulletin=_bulletin(bulletin_id))

    @access(*STAFF)
    @body_limit(UPLOAD_LIMIT)
    @blp.arguments(UploadSchema, location="files")
    @blp.response(201, BulletinAttachmentSchema)
    @blp.alt_response(413, description="larger than 10 MiB")
    def post(self, files: dict[str, Any], bulletin_id: int) -> Any:
        """Attach a drawing or PDF (multipart, field `file`; at most 10, 10 MiB each)."""
        upload = files["file"]
        return attachments.attach(session=get_session(), bulletin=_bulletin(bulletin_id),
                                  actor=require_principal(), filename=upload.filename or "",
                                  data=upload.read())


@blp.route("/<int:bulletin_id>/attachments/<int:file_id>")
class BulletinAttachmentFile(MethodView):
    @blp.response(200, BINARY, content_type="application/pdf",
                  description="The file, as an attachment, with the type read from its content")
    @blp.doc(responses={"200": {"content": {kind: {"schema": BINARY} for kind in TYPES}}})
    def get(self, bulletin_id: int, file_id: int) -> Any:
        """Download one attachment."""
        session = get_session()
        bulletin = _bulletin(bulletin_id)
        attachment = attachments.find(session=session, bulletin=bulletin, attachment_id=file_id)
        if attachment is None:
            abort(404, message=f"BulletinAttachment {file_id} not found")
        assert attachment is not None
        response = current_app.response_class(attachments.content(session=session, attachment=attachment),
                                              mimetype=attachment.content_type)
        response.headers["Content-Disposition"] = f'attachment; filename="{attachment.filename}"'
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-cache"
        return response
