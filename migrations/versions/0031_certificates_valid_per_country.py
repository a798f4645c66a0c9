"""a country's valid certificates are one index range

The qualified-personnel figures (the dashboard, the reports, `GET /training/qualified`) read
each person's certificates valid since the month's start. For every country that is a range
on `ix_certificate_valid_until`; for one country (a liaison's scope, a country's report) the
planner took `(country_code, system_id, valid_until)` by its first column and read every
certificate the country ever held, ten years of them on the bench data. This index makes it a
range on (country_code, valid_until), covering what the figures group by.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03 15:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0031'
down_revision: str | None = '0030'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_certificate_country_valid', 'certificate',
                    ['country_code', 'valid_until', 'system_id', 'trainee_id'])


def downgrade() -> None:
    op.drop_index('ix_certificate_country_valid', table_name='certificate')
