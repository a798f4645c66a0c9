"""readiness indexes: reports by acknowledgement and resolution due time, status changes by time

Each readiness figure reads a range bounded by the period asked for: the deficiency reports
acknowledged and due for resolution in it (per country) and the units' returns to service in
it (per country, whatever the system), never the country's whole history.

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-02 04:15:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0025'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_deficiency_country_acknowledged', 'deficiency_report',
                    ['country_code', 'acknowledged_at'])
    op.create_index('ix_deficiency_country_resolve_due', 'deficiency_report',
                    ['country_code', 'resolve_due_at'])
    op.create_index('ix_unit_status_change_country_at', 'unit_status_change', ['country_code', 'at'])


def downgrade() -> None:
    op.drop_index('ix_unit_status_change_country_at', table_name='unit_status_change')
    op.drop_index('ix_deficiency_country_resolve_due', table_name='deficiency_report')
    op.drop_index('ix_deficiency_country_acknowledged', table_name='deficiency_report')
