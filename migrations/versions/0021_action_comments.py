"""corrective actions' comments and progress (issue 20 item 10)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 01:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('action_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('country_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['corrective_action.id'], ),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('action_comment', schema=None) as batch_op:
        batch_op.create_index('ix_action_comment_action', ['action_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('action_comment', schema=None) as batch_op:
        batch_op.drop_index('ix_action_comment_action')

    op.drop_table('action_comment')
