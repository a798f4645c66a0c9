"""status changes keep when the unit's next change ended them, indexed for readiness

Readiness read each unit's last change before a period with an index seek per unit (20,000
seeks on the bench fleet) and paired the changes with a window function; with the end of each
span on its row, the spans touching a period are one index range on `ended_at`, whatever the
fleet's size or its history's length. Existing rows get the `at` of the unit's next change.
MTTR reads the returns in a period for every country from (to_status, at) and each return's
departure with one seek on (unit_id, from_status, at).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-02 16:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = '0030'
down_revision: str | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('unit_status_change', sa.Column('ended_at', UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE unit_status_change SET ended_at = (SELECT n.at FROM unit_status_change n "
               "WHERE n.unit_id = unit_status_change.unit_id AND (n.at > unit_status_change.at "
               "OR (n.at = unit_status_change.at AND n.id > unit_status_change.id)) "
               "ORDER BY n.at, n.id LIMIT 1)")
    op.create_index('ix_unit_status_change_span', 'unit_status_change',
                    ['ended_at', 'at', 'country_code', 'system_id', 'to_status'])
    op.create_index('ix_unit_status_change_country_span', 'unit_status_change',
                    ['country_code', 'ended_at', 'at', 'system_id', 'to_status'])
    op.create_index('ix_unit_status_change_to_at', 'unit_status_change',
                    ['to_status', 'at', 'from_status', 'unit_id', 'country_code', 'system_id'])
    op.create_index('ix_unit_status_change_unit_from_at', 'unit_status_change', ['unit_id', 'from_status', 'at'])


def downgrade() -> None:
    op.drop_index('ix_unit_status_change_unit_from_at', table_name='unit_status_change')
    op.drop_index('ix_unit_status_change_to_at', table_name='unit_status_change')
    op.drop_index('ix_unit_status_change_country_span', table_name='unit_status_change')
    op.drop_index('ix_unit_status_change_span', table_name='unit_status_change')
    with op.batch_alter_table('unit_status_change') as batch:
        batch.drop_column('ended_at')
