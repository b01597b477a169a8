"""trade-in valuation day cache

Revision ID: 0009_tradein
Revises: 0008_payment_processor
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_tradein"
down_revision: str | Sequence[str] | None = "0008_payment_processor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tradein_valuations",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("dealer_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("cache_key", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("vehicle_id", sa.String(length=80), nullable=False),
        sa.Column("expires_at", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
    )
    op.create_index("ix_tradein_valuations_dealer_id", "tradein_valuations", ["dealer_id"])
    op.create_index("ix_tradein_valuations_created", "tradein_valuations", ["created"])
    op.create_index("ix_tradein_valuations_expires_at", "tradein_valuations", ["expires_at"])
    op.create_index(
        "ix_tradein_valuations_lookup",
        "tradein_valuations",
        ["dealer_id", "livemode", "cache_key", "created"],
    )


def downgrade() -> None:
    op.drop_table("tradein_valuations")
