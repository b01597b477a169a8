"""pen: the dealer's PEN registration, and the sandbox PEN's dealers and call log

Revision ID: 0011_pen
Revises: 0008_payment_processor
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_pen"
down_revision: str | Sequence[str] | None = "0008_payment_processor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pen_registrations",
        sa.Column("dealer_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("pen_dealer_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("last_action", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("last_change", sa.Integer(), nullable=False),
        sa.Column("dealership_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("is_test_dealer", sa.Boolean(), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pen_registrations")),
        sa.UniqueConstraint("dealer_id", "livemode", name="uq_pen_registrations_tenant"),
    )
    with op.batch_alter_table("pen_registrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pen_registrations_created"), ["created"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_pen_registrations_dealer_id"), ["dealer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pen_registrations_pen_dealer_id"), ["pen_dealer_id"], unique=False
        )

    op.create_table(
        "pen_sandbox_dealers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("dealership_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pen_sandbox_dealers")),
    )
    with op.batch_alter_table("pen_sandbox_dealers", schema=None) as batch_op:
        batch_op.create_index("ix_pen_sandbox_dealers_account", ["account", "active"], unique=False)

    op.create_table(
        "pen_sandbox_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("pen_dealer_id", sa.Integer(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("error_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pen_sandbox_log")),
    )
    with op.batch_alter_table("pen_sandbox_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pen_sandbox_log_account"), ["account"], unique=False)


def downgrade() -> None:
    op.drop_table("pen_sandbox_log")
    op.drop_table("pen_sandbox_dealers")
    op.drop_table("pen_registrations")
