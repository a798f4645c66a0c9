"""when a service was cancelled, kept on it

A month's report counts a service cancelled if it was cancelled by the month's end; the row's
last change (`updated_at`) moved with any later edit of its title or objectives. Services
cancelled before this revision take their last change as the moment (the best the row knows).

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04 19:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models

revision: str = '0034'
down_revision: str | None = '0033'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('service_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', models.base.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE service_event SET cancelled_at = updated_at WHERE status = 'cancelled'")


def downgrade() -> None:
    with op.batch_alter_table('service_event', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')
