"""Korean staff members who deliver services (staff and admins only)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlmodel import col, select

from models import StaffMember
from service.api.common import PAGE, check_if_match, takes_if_match, with_etag
from service.core.auth import STAFF, access
from service.core.db import get_session
from service.core.reads import get_or_404, paginate
from service.domain import services
from service.schemas.services import StaffQuerySchema, StaffSchema, StaffUpdateSchema

blp = Blueprint("staff", __name__, url_prefix="/staff", description="Instructors, interpreters, technicians")


@blp.route("")
class Staff(MethodView):
    @access(*STAFF)
    @blp.arguments(StaffQuerySchema, location="query")
    @blp.response(200, StaffSchema(many=True))
    @blp.paginate(**PAGE)
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """List staff members by name; filter by active flag or part of the name."""
        stmt = select(StaffMember).order_by(col(StaffMember.name), col(StaffMember.id))
        if "active" in query:
            stmt = stmt.where(col(StaffMember.active).is_(query["active"]))
        if query.get("q"):
            stmt = stmt.where(col(StaffMember.name).icontains(query["q"], autoescape=True))
        return paginate(get_session(), stmt, pagination_parameters)

    @access(*STAFF)
    @blp.arguments(StaffSchema)
    @blp.response(201, StaffSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a staff member with their skills."""
        return with_etag(services.create_staff(session=get_session(), data=data), 201)


@blp.route("/<int:staff_id>")
class StaffItem(MethodView):
    @access(*STAFF)
    @blp.response(200, StaffSchema)
    def get(self, staff_id: int) -> Any:
        """One staff member."""
        return with_etag(get_or_404(get_session(), StaffMember, staff_id))

    @takes_if_match
    @access(*STAFF)
    @blp.arguments(StaffUpdateSchema)
    @blp.response(200, StaffSchema)
    def patch(self, changes: dict[str, Any], staff_id: int) -> Any:
        """Change a staff member's name, e-mail, skills or active flag (needs If-Match)."""
        session = get_session()
        staff = get_or_404(session, StaffMember, staff_id)
        check_if_match(staff)
        return with_etag(services.update_staff(session=session, staff=staff, changes=changes))
