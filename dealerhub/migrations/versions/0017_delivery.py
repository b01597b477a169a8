"""worker heartbeats for /healthz, and an index for the sweep of pending refunds (the
batch webhook pipeline needs no new columns: it claims by the existing
ix_webhook_deliveries_due index on status, next_attempt_at)

Revision ID: 0017_delivery
Revises: 0016_allowed_origins
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_delivery"
down_revision: str | Sequence[str] | None = "0016_allowed_origins"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(length=255), primary_key=True),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.Integer(), nullable=False),
    )
    op.create_index("ix_worker_heartbeats_seen_at", "worker_heartbeats", ["seen_at"])
    op.create_index("ix_refunds_status_created", "refunds", ["status", "created"])


def downgrade() -> None:
    op.drop_index("ix_refunds_status_created", table_name="refunds")
    op.drop_index("ix_worker_heartbeats_seen_at", table_name="worker_heartbeats")
    op.drop_table("worker_heartbeats")
