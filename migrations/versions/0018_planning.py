"""planning: staff unavailability windows; service events by end

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 00:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'staff_unavailability',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ends_at', models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('ends_at > starts_at', name='ck_staff_unavailability_window'),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_member.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('staff_unavailability', schema=None) as batch_op:
        batch_op.create_index('ix_staff_unavailability_staff_window',
                              ['staff_id', 'starts_at', 'ends_at'], unique=False)
    with op.batch_alter_table('service_event', schema=None) as batch_op:
        batch_op.create_index('ix_service_event_ends', ['ends_at', 'starts_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_event', schema=None) as batch_op:
        batch_op.drop_index('ix_service_event_ends')
    with op.batch_alter_table('staff_unavailability', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_unavailability_staff_window')
    op.drop_table('staff_unavailability')
