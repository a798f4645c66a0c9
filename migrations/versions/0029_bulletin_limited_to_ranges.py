"""whether a bulletin is limited to serial ranges, kept on the bulletin

A liaison sees only the serial ranges covering their own country's units (another country's
serials never reach them), so whether a bulletin concerns the whole system or its ranges alone
can no longer be read from the ranges a session sees: the bulletin keeps it. Existing bulletins
with ranges are limited to them.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-02 12:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('service_bulletin', sa.Column('limited_to_ranges', sa.Boolean(), nullable=False,
                                                server_default=sa.false()))
    op.execute("UPDATE service_bulletin SET limited_to_ranges = EXISTS (SELECT 1 FROM bulletin_serial_range r "
               "WHERE r.bulletin_id = service_bulletin.id)")


def downgrade() -> None:
    with op.batch_alter_table('service_bulletin') as batch:
        batch.drop_column('limited_to_ranges')
