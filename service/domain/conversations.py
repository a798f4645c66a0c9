"""What the two conversations between a buyer and staff share (a deficiency report's messages,
a corrective action's progress): only staff write internal notes, and a message is told to the
other side through the outbox, a note to nobody."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from service.core.auth import Principal
from service.domain import mail, outbox
from service.domain.errors import Forbidden


def check_note(actor: Principal, internal: bool) -> None:
    """Refuse an internal note from a liaison (403 naming the field)."""
    if internal and actor.is_liaison:
        raise Forbidden("Only staff write internal notes", {"internal": ["staff only"]})


def tell_other_side(*, session: Session, actor: Principal, country_code: str, key: str, kind: str,
                    data: dict[str, Any], **context: Any) -> None:
    """Tell what `actor` wrote on a country's record: staff and administrators when one of its
    liaisons wrote, the country's liaisons when staff did; never the writer. `kind` is the
    template's name too; `key` makes each recipient's notification once only."""
    to = (outbox.staff_and_admins(session=session) if actor.is_liaison
          else outbox.liaisons_of(session=session, country_code=country_code))
    outbox.notify(session=session, messages=[{
        "key": f"{key}:user:{u.id}", "kind": kind, "user_id": u.id, "recipient": u.email,
        "country_code": country_code, **mail.render_to(session, u, kind, **context), "data": data,
    } for u in to if u.id != actor.user_id])
