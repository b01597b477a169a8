"""SQLite: every change to API keys and webhook endpoints counts up that table's row of
config_versions, which keeps each process's cache of them true (dealerhub/configcache.py)

Revision ID: 0021_config_versions
Revises: 0020_config_notify
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021_config_versions"
down_revision: str | Sequence[str] | None = "0020_config_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("api_keys", "webhook_endpoints")
OPERATIONS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return  # PostgreSQL notifies instead (0020_config_notify)
    op.execute(
        "CREATE TABLE config_versions (name VARCHAR(40) NOT NULL PRIMARY KEY, "
        "version INTEGER NOT NULL)"
    )
    for table in TABLES:
        op.execute(f"INSERT INTO config_versions (name, version) VALUES ('{table}', 0)")
        # Row-level (SQLite has no other): the count moves once per row changed, inside the
        # changing transaction, so it is seen exactly when the change is. A DELETE without
        # WHERE still fires them (SQLite skips its truncate shortcut for tables with triggers).
        for operation in OPERATIONS:
            op.execute(
                f"CREATE TRIGGER {table}_{operation.lower()}_counted AFTER {operation} ON {table} "
                f"BEGIN UPDATE config_versions SET version = version + 1 "
                f"WHERE name = '{table}'; END"
            )


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for table in TABLES:
        for operation in OPERATIONS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{operation.lower()}_counted")
    op.execute("DROP TABLE IF EXISTS config_versions")
