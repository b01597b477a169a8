"""idempotency keys: an in-flight request is marked by a lock it holds, not a column

The ``locked_at`` claim timestamp went stale only after a timeout, so a retry after a crash
got 409 until then; requests now hold a lock that ends with them (dealerhub.idempotency).

Revision ID: 0018_idempotency_lock
Revises: 0017_delivery
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_idempotency_lock"
down_revision: str | Sequence[str] | None = "0017_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("locked_at")


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("locked_at", sa.Integer(), nullable=True))
