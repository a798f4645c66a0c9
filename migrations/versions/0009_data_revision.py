"""data revision: a value every committed change of data renews (keys the read cache)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 10:00:00
"""
from collections.abc import Sequence

from alembic import op

from service import revision as rev

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The application tables of this revision (frozen: a later table adds its own triggers).
TABLES = ('country', 'staff_member', 'survey_template', 'weapon_system', 'app_user', 'contract',
          'api_token', 'contract_line', 'notification', 'report', 'service_request', 'unit',
          'report_file', 'service_event', 'event_staff', 'event_unit', 'survey',
          'survey_response', 'corrective_action')


def upgrade() -> None:
    rev.create_table(op)
    rev.create_triggers(op, TABLES)


def downgrade() -> None:
    rev.drop_triggers(op, TABLES)
    op.drop_table(rev.TABLE)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {rev.FUNCTION}()")
