"""a corrective action's internal notes are staff-only entries of its progress

The notes were a column of the action, so writing them bumped the version (and the ETag) that
the country's liaison reads: a liaison saw when staff wrote about their action, if not what.
Each note is now an `action_comment` row marked `internal`, which the scoping point hides from
a liaison like a deficiency report's internal notes; the action itself is untouched by a note.
The notes kept so far become one internal entry per action, written by "K-Sustain staff" at the
moment of the upgrade (when they were written was not kept) in the action's current state.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-04 04:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime, utcnow

revision: str = '0032'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUTHOR = "K-Sustain staff"


def _tables() -> tuple[sa.Table, sa.Table]:
    meta = sa.MetaData()
    action = sa.Table('corrective_action', meta, sa.Column('id', sa.Integer), sa.Column('country_code', sa.String),
                      sa.Column('status', sa.String), sa.Column('internal_notes', sa.String))
    comment = sa.Table('action_comment', meta, sa.Column('id', sa.Integer), sa.Column('action_id', sa.Integer),
                       sa.Column('country_code', sa.String), sa.Column('kind', sa.String),
                       sa.Column('status', sa.String), sa.Column('body', sa.String),
                       sa.Column('author_id', sa.Integer), sa.Column('author_name', sa.String),
                       sa.Column('created_at', UTCDateTime(timezone=True)), sa.Column('internal', sa.Boolean))
    return action, comment


def upgrade() -> None:
    with op.batch_alter_table('action_comment', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('internal', sa.Boolean(), nullable=False, server_default=sa.false()))
    action, comment = _tables()
    bind, now = op.get_bind(), utcnow()
    notes = [{"action_id": action_id, "country_code": code, "kind": "comment", "status": status, "body": body,
              "author_id": None, "author_name": AUTHOR, "created_at": now, "internal": True}
             for action_id, code, status, body in bind.execute(
                 sa.select(action.c.id, action.c.country_code, action.c.status, action.c.internal_notes)
                 .where(action.c.internal_notes.is_not(None)).order_by(action.c.id))
             if body.strip()]  # blank notes (spaces, tabs, new lines) were no notes
    if notes:
        bind.execute(comment.insert(), notes)
    # SQLite drops the column in place (3.35+): a copied table would be dropped under the foreign
    # keys of its comments
    with op.batch_alter_table('corrective_action', recreate='never') as batch_op:
        batch_op.drop_column('internal_notes')


def downgrade() -> None:
    with op.batch_alter_table('corrective_action', recreate='never') as batch_op:
        batch_op.add_column(sa.Column('internal_notes', sa.String(length=4000), nullable=True))
    action, comment = _tables()
    bind = op.get_bind()
    notes: dict[int, list[str]] = {}
    for action_id, body in bind.execute(sa.select(comment.c.action_id, comment.c.body)
                                        .where(comment.c.internal.is_(True))
                                        .order_by(comment.c.created_at, comment.c.id)):
        notes.setdefault(action_id, []).append(body)
    for action_id, bodies in notes.items():  # the column held 4000 characters: the latest notes
        bind.execute(action.update().where(action.c.id == action_id)
                     .values(internal_notes="\n\n".join(bodies)[-4000:]))
    op.execute(comment.delete().where(comment.c.internal.is_(True)))
    with op.batch_alter_table('action_comment', recreate='never') as batch_op:
        batch_op.drop_column('internal')
