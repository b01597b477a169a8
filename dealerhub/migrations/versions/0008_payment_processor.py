"""record which processor each payment method, charge, refund and setup intent belongs to

Every row written before this revision came from the sandbox (live mode had no processor),
so test-mode rows are backfilled with "sandbox".

Revision ID: 0008_payment_processor
Revises: 0007_merge_areas
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_payment_processor"
down_revision: str | Sequence[str] | None = "0007_merge_areas"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("payment_methods", "charges", "refunds", "setup_intents")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("processor", sa.String(length=32), nullable=True))
        op.execute(
            sa.text(f"UPDATE {table} SET processor = 'sandbox' WHERE livemode = :live").bindparams(
                live=False
            )
        )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("processor")
