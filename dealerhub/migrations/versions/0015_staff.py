"""staff accounts for the F&I desk and the desk's per-dealer settings

Revision ID: 0015_staff
Revises: 0014_merge_integrations
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_staff"
down_revision: str | Sequence[str] | None = "0014_merge_integrations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("dealer_id", sa.String(length=40), sa.ForeignKey("dealers.id"), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.Integer(), nullable=True),
        sa.Column("last_login_at", sa.Integer(), nullable=True),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.UniqueConstraint("email", name="uq_staff_users_email"),
    )
    op.create_index("ix_staff_users_dealer_id", "staff_users", ["dealer_id"])
    op.create_table(
        "staff_desk_settings",
        sa.Column("dealer_id", sa.String(length=40), sa.ForeignKey("dealers.id"), primary_key=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff_desk_settings")
    op.drop_index("ix_staff_users_dealer_id", table_name="staff_users")
    op.drop_table("staff_users")
