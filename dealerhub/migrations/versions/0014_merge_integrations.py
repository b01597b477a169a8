"""merge the branches of trade-in valuation, address verification, PEN registration, billing
and the inbound events' reference into one head

Revision ID: 0014_merge_integrations
Revises: 0009_tradein, 0010_addresses, 0011_pen, 0012_billing, 0013_inbound_reference
Create Date: 2026-11-30
"""

from collections.abc import Sequence

revision: str = "0014_merge_integrations"
down_revision: str | Sequence[str] | None = (
    "0009_tradein",
    "0010_addresses",
    "0011_pen",
    "0012_billing",
    "0013_inbound_reference",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
