"""revocable web sessions; the data revision and its triggers dropped (the read cache is gone)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 21:00:00

The downgrade recreates the data revision with the DDL frozen here (as 0009 made it).
"""
# ruff: noqa: S608 - every SQL text here is made of this module's constants and table names
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.base

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables 0009 gave triggers (frozen).
REVISION_TABLES = ('country', 'staff_member', 'survey_template', 'weapon_system', 'app_user',
                   'contract', 'api_token', 'contract_line', 'notification', 'report',
                   'service_request', 'unit', 'report_file', 'service_event', 'event_staff',
                   'event_unit', 'survey', 'survey_response', 'corrective_action')
REVISION_TABLE = "data_revision"
FUNCTION = "k_sustain_new_revision"
SQLITE_NEW = "lower(hex(randomblob(16)))"


def _trigger_names(table: str, postgres: bool) -> list[str]:
    if postgres:
        return [f"k_rev_{table}", f"k_rev_{table}_truncate"]
    return [f"k_rev_{table}_{event}" for event in ("ins", "upd", "del")]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in REVISION_TABLES:
        for name in _trigger_names(table, postgres):
            op.execute(f'DROP TRIGGER IF EXISTS {name}' + (f' ON "{table}"' if postgres else ""))
    if postgres:
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    op.execute(f"DROP TABLE IF EXISTS {REVISION_TABLE}")

    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))
    op.drop_table('user_session')

    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(REVISION_TABLE, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("value", sa.String(32), nullable=False))
    if postgres:
        op.execute(f"INSERT INTO {REVISION_TABLE} (id, value) VALUES (1, md5(random()::text))")
        op.execute(f"""
            CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF current_setting('k_sustain.revision_written', true) IS DISTINCT FROM 'on' THEN
                    UPDATE {REVISION_TABLE} SET value = md5(random()::text || clock_timestamp()::text)
                        WHERE id = 1;
                    PERFORM set_config('k_sustain.revision_written', 'on', true);
                END IF;
                RETURN NULL;
            END $$""")
    else:
        op.execute(f"INSERT INTO {REVISION_TABLE} (id, value) VALUES (1, {SQLITE_NEW})")
    for table in REVISION_TABLES:
        if postgres:
            row, truncate = _trigger_names(table, postgres)
            op.execute(f'CREATE CONSTRAINT TRIGGER {row} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                       f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()")
            op.execute(f'CREATE TRIGGER {truncate} AFTER TRUNCATE ON "{table}" '
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()")
            continue
        for name, event in zip(_trigger_names(table, postgres), ("INSERT", "UPDATE", "DELETE"),
                               strict=True):
            op.execute(f'CREATE TRIGGER {name} AFTER {event} ON "{table}" BEGIN '
                       f"UPDATE {REVISION_TABLE} SET value = {SQLITE_NEW} WHERE id = 1; END")
