"""addresses: the day-long cache of address verification answers

Revision ID: 0010_addresses
Revises: 0008_payment_processor
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate renders sqlmodel.sql.sqltypes.AutoString
from alembic import op


revision: str = "0010_addresses"
down_revision: str | Sequence[str] | None = "0008_payment_processor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('address_answers',
    sa.Column('dealer_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('input_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address_answers')),
    sa.UniqueConstraint('dealer_id', 'livemode', 'input_hash', name='uq_address_answers_input')
    )
    with op.batch_alter_table('address_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_address_answers_created'), ['created'], unique=False)
        batch_op.create_index(batch_op.f('ix_address_answers_dealer_id'), ['dealer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_address_answers_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('address_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_address_answers_expires_at'))
        batch_op.drop_index(batch_op.f('ix_address_answers_dealer_id'))
        batch_op.drop_index(batch_op.f('ix_address_answers_created'))
    op.drop_table('address_answers')
