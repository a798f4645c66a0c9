"""data revision: a value every committed change of data renews (keyed the read cache)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 10:00:00

The DDL is frozen here (it once lived in `service.revision`, removed with the read cache in
0010), so that this history replays the same on every database, whatever the code does now.
"""
# ruff: noqa: S608 - every SQL text here is made of this module's constants and table names
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The application tables of this revision (frozen: a later table added its own triggers).
TABLES = ('country', 'staff_member', 'survey_template', 'weapon_system', 'app_user', 'contract',
          'api_token', 'contract_line', 'notification', 'report', 'service_request', 'unit',
          'report_file', 'service_event', 'event_staff', 'event_unit', 'survey',
          'survey_response', 'corrective_action')
TABLE = "data_revision"
FUNCTION = "k_sustain_new_revision"
SQLITE_NEW = "lower(hex(randomblob(16)))"


def trigger_names(table: str, postgres: bool) -> list[str]:
    if postgres:
        return [f"k_rev_{table}", f"k_rev_{table}_truncate"]
    return [f"k_rev_{table}_{event}" for event in ("ins", "upd", "del")]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(TABLE, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("value", sa.String(32), nullable=False))
    if postgres:
        op.execute(f"INSERT INTO {TABLE} (id, value) VALUES (1, md5(random()::text))")
        op.execute(f"""
            CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF current_setting('k_sustain.revision_written', true) IS DISTINCT FROM 'on' THEN
                    UPDATE {TABLE} SET value = md5(random()::text || clock_timestamp()::text)
                        WHERE id = 1;
                    PERFORM set_config('k_sustain.revision_written', 'on', true);
                END IF;
                RETURN NULL;
            END $$""")
    else:
        op.execute(f"INSERT INTO {TABLE} (id, value) VALUES (1, {SQLITE_NEW})")
    for table in TABLES:
        if postgres:
            row, truncate = trigger_names(table, postgres)
            op.execute(f'CREATE CONSTRAINT TRIGGER {row} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                       f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()")
            op.execute(f'CREATE TRIGGER {truncate} AFTER TRUNCATE ON "{table}" '
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()")
            continue
        for name, event in zip(trigger_names(table, postgres), ("INSERT", "UPDATE", "DELETE"),
                               strict=True):
            op.execute(f'CREATE TRIGGER {name} AFTER {event} ON "{table}" BEGIN '
                       f"UPDATE {TABLE} SET value = {SQLITE_NEW} WHERE id = 1; END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        for name in trigger_names(table, postgres):
            op.execute(f'DROP TRIGGER IF EXISTS {name}' + (f' ON "{table}"' if postgres else ""))
    op.drop_table(TABLE)
    if postgres:
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
