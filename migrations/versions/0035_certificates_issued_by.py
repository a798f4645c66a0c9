"""qualified people as of a past day: the certificates issued by then, still one covered range

`GET /certificates/qualified?as_of=` and a month's report count the certificates issued by the
day they are as of; the per-country index gains `issued_on` so that the figures stay a range on
(country_code, valid_until) read from the index alone.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-04 20:20:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0035'
down_revision: str | None = '0034'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_certificate_country_valid', table_name='certificate')
    op.create_index('ix_certificate_country_valid', 'certificate',
                    ['country_code', 'valid_until', 'system_id', 'trainee_id', 'issued_on'])


def downgrade() -> None:
    op.drop_index('ix_certificate_country_valid', table_name='certificate')
    op.create_index('ix_certificate_country_valid', 'certificate',
                    ['country_code', 'valid_until', 'system_id', 'trainee_id'])
