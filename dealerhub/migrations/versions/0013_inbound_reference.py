"""inbound events keep the attempt reference their processor's connector read from them

Each gateway puts the transaction id somewhere else in its webhook body; the connector that
verifies the notice knows where, so the reference is stored beside the verbatim payload.

Revision ID: 0013_inbound_reference
Revises: 0008_payment_processor
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_inbound_reference"
down_revision: str | Sequence[str] | None = "0008_payment_processor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_events") as batch:
        batch.add_column(sa.Column("reference", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_events") as batch:
        batch.drop_column("reference")
