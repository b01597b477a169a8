"""The answer cache: one row per dealer, mode and normalised address, kept for a day.

The address itself is never stored in clear: the row is found by an HMAC of the normalised
input (keyed with the app's secret key), and the answer is an encrypted column.
"""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from dealerhub.crypto import Encrypted
from dealerhub.db import TenantMixin


class AddressAnswer(TenantMixin, table=True):
    __tablename__ = "address_answers"
    __object_name__ = "address_answer"
    __table_args__ = (
        UniqueConstraint("dealer_id", "livemode", "input_hash", name="uq_address_answers_input"),
    )

    id: str = Field(primary_key=True, max_length=40)
    input_hash: str = Field(max_length=64)
    provider: str = Field(max_length=40)
    answer: str = Field(sa_type=Encrypted)  # JSON: verified, address, components, candidates…
    expires_at: int = Field(index=True)
