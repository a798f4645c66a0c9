"""languages: each user's language, each country's report language, each survey answer's

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 01:15:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('app_user') as batch:
        batch.add_column(sa.Column('language', sa.String(length=5), nullable=True))
    with op.batch_alter_table('country') as batch:
        batch.add_column(sa.Column('report_language', sa.String(length=5), nullable=False,
                                   server_default='en'))
    with op.batch_alter_table('survey_response') as batch:
        batch.add_column(sa.Column('language', sa.String(length=5), nullable=False, server_default='en'))


def downgrade() -> None:
    with op.batch_alter_table('survey_response') as batch:
        batch.drop_column('language')
    with op.batch_alter_table('country') as batch:
        batch.drop_column('report_language')
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('language')
