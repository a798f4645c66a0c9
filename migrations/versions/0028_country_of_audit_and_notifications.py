"""the country of each audit entry and notification: what an account did and received for a country

A country administrator reads the audit entries of their country and a liaison their own
country's notifications through the session's country scope (both tables are country-scoped
now): an entry is stamped with the country its actor acted for, a notification to a country's
account with that country. Existing rows take the country of their account today (the best
the trail knows of where it acted).

Revision ID: 0028
Revises: 0025
Create Date: 2026-12-02 07:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0028'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_entry') as batch:
        batch.add_column(sa.Column('country_code', sa.String(length=2), nullable=True))
    op.create_index('ix_audit_entry_country_id', 'audit_entry', ['country_code', 'id'])
    op.execute("UPDATE audit_entry SET country_code = (SELECT app_user.country_code FROM app_user "
               "WHERE app_user.id = audit_entry.user_id) WHERE user_id IS NOT NULL")
    op.execute("UPDATE notification SET country_code = (SELECT app_user.country_code FROM app_user "
               "WHERE app_user.id = notification.user_id) "
               "WHERE country_code IS NULL AND user_id IS NOT NULL")


def downgrade() -> None:
    op.drop_index('ix_audit_entry_country_id', table_name='audit_entry')
    with op.batch_alter_table('audit_entry') as batch:
        batch.drop_column('country_code')
