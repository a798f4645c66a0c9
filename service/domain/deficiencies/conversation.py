"""A report's conversation: messages between the buyer and staff, and staff-only internal
notes. That a liaison never sees a note is the scoping point's rule (`StaffOnlyRows` in
`service.core.db`), so every query here, and every other, is covered without asking."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models import DeficiencyMessage, DeficiencyReport
from service.core.auth import Principal
from service.domain import conversations
from service.domain.errors import Invalid


def messages(*, session: Session, report: DeficiencyReport) -> list[DeficiencyMessage]:
    """The conversation, oldest first (a liaison's session holds no internal note)."""
    return list(session.exec(select(DeficiencyMessage)
                             .where(DeficiencyMessage.report_id == report.id)
                             .order_by(col(DeficiencyMessage.created_at), col(DeficiencyMessage.id))))


def post(*, session: Session, report: DeficiencyReport, actor: Principal, body: str,
         internal: bool = False) -> DeficiencyMessage:
    """Add a message (or, staff only, an internal note) and tell the other side; commits."""
    conversations.check_note(actor, internal)
    if report.status == "withdrawn":
        raise Invalid("The report was withdrawn", {"status": ["the report is withdrawn"]})
    message = DeficiencyMessage(report_id=report.id or 0, country_code=report.country_code,
                                internal=internal, body=body, author_id=actor.user_id,
                                author_name=actor.name)
    session.add(message)
    session.flush()
    if not internal:  # a note stays with staff: nobody is told of it
        conversations.tell_other_side(
            session=session, actor=actor, country_code=report.country_code,
            key=f"deficiency-message:{message.id}", kind="deficiency_message",
            data={"deficiency_id": report.id, "message_id": message.id},
            report=report, author=actor.name, text=body)
    session.commit()
    return message
