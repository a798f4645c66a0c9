"""A report's conversation: messages between the buyer and staff, and staff-only internal
notes. That a liaison never sees a note is the scoping point's rule (`StaffOnlyRows` in
`service.core.db`), so every query here, and every other, is covered without asking."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models import DeficiencyMessage, DeficiencyReport
from service.core.auth import Principal
from service.domain import outbox
from service.domain.deficiencies import mail
from service.domain.errors import Forbidden, Invalid


def messages(*, session: Session, report: DeficiencyReport) -> list[DeficiencyMessage]:
    """The conversation, oldest first (a liaison's session holds no internal note)."""
    return list(session.exec(select(DeficiencyMessage)
                             .where(DeficiencyMessage.report_id == report.id)
                             .order_by(col(DeficiencyMessage.created_at), col(DeficiencyMessage.id))))


def post(*, session: Session, report: DeficiencyReport, actor: Principal, body: str,
         internal: bool = False) -> DeficiencyMessage:
    """Add a message (or, staff only, an internal note) and tell the other side; commits."""
    if internal and actor.is_liaison:
        raise Forbidden("Only staff write internal notes", {"internal": ["staff only"]})
    if report.status == "withdrawn":
        raise Invalid("The report was withdrawn", {"status": ["the report is withdrawn"]})
    message = DeficiencyMessage(report_id=report.id or 0, country_code=report.country_code,
                                internal=internal, body=body, author_id=actor.user_id,
                                author_name=actor.name)
    session.add(message)
    session.flush()
    if not internal:  # a note stays with staff: nobody is told of it
        to = (outbox.staff_and_admins(session=session) if actor.is_liaison
              else outbox.liaisons_of(session=session, country_code=report.country_code))
        outbox.notify(session=session, messages=[{
            "key": f"deficiency-message:{message.id}:user:{u.id}", "kind": "deficiency_message",
            "user_id": u.id, "recipient": u.email, "country_code": report.country_code,
            **mail.render_to(session, u, "deficiency_message", report=report, author=actor.name, text=body),
            "data": {"deficiency_id": report.id, "message_id": message.id},
        } for u in to if u.id != actor.user_id])
    session.commit()
    return message
