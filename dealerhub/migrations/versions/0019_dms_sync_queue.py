"""DMS sync claims due records in batches: pending ones oldest first, failed ones by due time
(replaces the single-column sync_status indexes)

Revision ID: 0019_dms_sync_queue
Revises: 0018_idempotency_lock
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019_dms_sync_queue"
down_revision: str | Sequence[str] | None = "0018_idempotency_lock"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("dms_leads", "dms_deals")


def upgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_sync_status", table_name=table)
        op.create_index(f"ix_{table}_sync_queue", table, ["sync_status", "created"])
        op.create_index(f"ix_{table}_sync_retry", table, ["sync_status", "sync_retry_at"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_sync_retry", table_name=table)
        op.drop_index(f"ix_{table}_sync_queue", table_name=table)
        op.create_index(f"ix_{table}_sync_status", table, ["sync_status"])
