"""the bulletins' history: release spans, revisions, compliance changes

Figures as of a past moment (a monthly report's end of month) need what stood then: when each
bulletin was in force for each country, when each revision took effect, and each unit's
compliance as recorded over time. The upgrade makes that history from what the rows hold now:
each release one span (a release withdrawn and given again before now is one span, from its last
release; a due time a revision moved is today's from the release on), revision 1 at publication
and the current one when it was made (both of today's kind), each compliance record one change
at its recording. The audit trail keeps what this leaves out.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-04 19:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models

revision: str = '0033'
down_revision: str | None = '0032'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bulletin_release_span',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bulletin_id', sa.Integer(), nullable=False),
    sa.Column('country_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('released_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('since', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('until', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bulletin_id'], ['service_bulletin.id'], ),
    sa.ForeignKeyConstraint(['country_code'], ['country.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('bulletin_release_span', schema=None) as batch_op:
        batch_op.create_index('ix_bulletin_release_span_bulletin_id', ['bulletin_id'], unique=False)
        batch_op.create_index('ix_bulletin_release_span_country', ['country_code', 'since'], unique=False)

    op.create_table('bulletin_revision',
    sa.Column('bulletin_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['bulletin_id'], ['service_bulletin.id'], ),
    sa.PrimaryKeyConstraint('bulletin_id', 'revision')
    )

    op.create_table('bulletin_compliance_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bulletin_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('country_code', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bulletin_id'], ['service_bulletin.id'], ),
    sa.ForeignKeyConstraint(['country_code'], ['country.code'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('bulletin_compliance_change', schema=None) as batch_op:
        batch_op.create_index('ix_bulletin_compliance_change_unit', ['bulletin_id', 'unit_id', 'at'], unique=False)

    op.execute("INSERT INTO bulletin_revision (bulletin_id, revision, at, kind) "
               "SELECT id, 1, created_at, kind FROM service_bulletin")
    op.execute("INSERT INTO bulletin_revision (bulletin_id, revision, at, kind) "
               "SELECT id, revision, coalesce(revised_at, created_at), kind FROM service_bulletin WHERE revision > 1")
    op.execute("INSERT INTO bulletin_release_span (bulletin_id, country_code, released_at, due_at, since, until) "
               "SELECT bulletin_id, country_code, released_at, due_at, released_at, withdrawn_at FROM bulletin_release")
    op.execute("INSERT INTO bulletin_compliance_change (bulletin_id, unit_id, country_code, status, at) "
               "SELECT bulletin_id, unit_id, country_code, status, recorded_at FROM bulletin_compliance")


def downgrade() -> None:
    with op.batch_alter_table('bulletin_compliance_change', schema=None) as batch_op:
        batch_op.drop_index('ix_bulletin_compliance_change_unit')
    op.drop_table('bulletin_compliance_change')
    op.drop_table('bulletin_revision')
    with op.batch_alter_table('bulletin_release_span', schema=None) as batch_op:
        batch_op.drop_index('ix_bulletin_release_span_country')
        batch_op.drop_index('ix_bulletin_release_span_bulletin_id')
    op.drop_table('bulletin_release_span')
