"""deficiency handling surveys: a survey (and its response) may be about a closed deficiency
report instead of an event

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 01:05:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deficiency_id', sa.Integer(), nullable=True))
        batch_op.alter_column('event_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_unique_constraint('uq_survey_deficiency_id', ['deficiency_id'])
        batch_op.create_foreign_key('fk_survey_deficiency_id', 'deficiency_report',
                                    ['deficiency_id'], ['id'])
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deficiency_id', sa.Integer(), nullable=True))
        batch_op.alter_column('event_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f('ix_survey_response_deficiency_id'), ['deficiency_id'],
                              unique=False)
        batch_op.create_foreign_key('fk_survey_response_deficiency_id', 'deficiency_report',
                                    ['deficiency_id'], ['id'])


def downgrade() -> None:
    # the handling surveys and their answers have no event: they cannot be kept
    op.execute("DELETE FROM survey_response WHERE deficiency_id IS NOT NULL")
    op.execute("DELETE FROM survey WHERE deficiency_id IS NOT NULL")
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_constraint('fk_survey_response_deficiency_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_survey_response_deficiency_id'))
        batch_op.alter_column('event_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('deficiency_id')
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_constraint('fk_survey_deficiency_id', type_='foreignkey')
        batch_op.drop_constraint('uq_survey_deficiency_id', type_='unique')
        batch_op.alter_column('event_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('deficiency_id')
