"""an index on deficiency reports by country and status (a dashboard's open reports)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 01:00:00

The dashboard counts a country's open reports by severity: with only (country_code,
submitted_at) or (status) to go by, it read every report the country ever filed, or every
open report of every country.
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_deficiency_country_status", "deficiency_report", ["country_code", "status"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_deficiency_country_status", table_name="deficiency_report")
