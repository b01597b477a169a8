"""merge the area branches (payments, events, configuration/credit, dms) into one head

Revision ID: 0007_merge_areas
Revises: 0003_payments, 0004_events, 0005_configuration_credit, 0006_dms
Create Date: 2026-11-22
"""

from collections.abc import Sequence

revision: str = "0007_merge_areas"
down_revision: str | Sequence[str] | None = (
    "0003_payments",
    "0004_events",
    "0005_configuration_credit",
    "0006_dms",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
