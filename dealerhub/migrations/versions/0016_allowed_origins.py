"""a plaintext index of each configuration's web.allowed_origins, for CORS preflights

No backfill: web.allowed_origins arrived with this revision's release, so no stored tree holds
one yet (and the trees are encrypted, which a migration cannot read).

Revision ID: 0016_allowed_origins
Revises: 0015_staff
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_allowed_origins"
down_revision: str | Sequence[str] | None = "0015_staff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "allowed_origins",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dealer_id", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.UniqueConstraint("dealer_id", "livemode", "origin", name="uq_allowed_origins"),
    )
    op.create_index("ix_allowed_origins_origin", "allowed_origins", ["origin"])
    op.create_index("ix_allowed_origins_dealer_id", "allowed_origins", ["dealer_id"])
    op.create_index("ix_allowed_origins_created", "allowed_origins", ["created"])


def downgrade() -> None:
    op.drop_table("allowed_origins")
