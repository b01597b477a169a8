"""PostgreSQL: every change to API keys and webhook endpoints notifies the dealerhub_config
channel, which keeps each process's cache of them true (dealerhub/configcache.py)

Revision ID: 0020_config_notify
Revises: 0019_dms_sync_queue
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_config_notify"
down_revision: str | Sequence[str] | None = "0019_dms_sync_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("api_keys", "webhook_endpoints")


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return  # SQLite has no NOTIFY: its processes read keys and endpoints every time
    # Statement-level: one notification per statement, delivered when its transaction commits
    # (PostgreSQL folds duplicates within a transaction), none if it rolls back.
    op.execute(
        "CREATE FUNCTION dealerhub_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN PERFORM pg_notify('dealerhub_config', TG_TABLE_NAME); RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_config_changed "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION dealerhub_config_changed()"
        )


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_config_changed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS dealerhub_config_changed()")
