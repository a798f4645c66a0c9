"""every token expires; tokens' last use; answers kept for Idempotency-Key retries

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01 21:00:00
"""
import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A token issued without an expiry lives this long from the upgrade on (TOKEN_TTL_HOURS'
# default): it keeps working for a while, then its holder asks for a new one.
EXISTING_TOKENS_TTL = dt.timedelta(days=30)


def upgrade() -> None:
    api_token = sa.table('api_token', sa.column('expires_at', models.base.UTCDateTime()))
    op.execute(api_token.update().where(api_token.c.expires_at.is_(None))
               .values(expires_at=dt.datetime.now(dt.UTC) + EXISTING_TOKENS_TTL))
    op.create_table(
        'api_token_use',
        sa.Column('token_id', sa.Integer(), sa.ForeignKey('api_token.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('last_used_at', models.base.UTCDateTime(), nullable=False),
    )
    op.create_table(
        'idempotency_key',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('caller', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
        sa.Column('expires_at', models.base.UTCDateTime(), nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('headers', sa.JSON(), nullable=True),
        sa.Column('body', sa.LargeBinary(), nullable=True),
        sa.UniqueConstraint('caller', 'key', name='uq_idempotency_key_caller_key'),
    )
    op.create_index('ix_idempotency_key_expires_at', 'idempotency_key', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_idempotency_key_expires_at', table_name='idempotency_key')
    op.drop_table('idempotency_key')
    op.drop_table('api_token_use')
