"""The dealer's PEN registration: one row per dealer and mode, the last state PEN confirmed.

The dealership's contact details (phone, fax, e-mail, contact name) are PII and live only in
the encrypted ``profile`` column; the id, status and last change are plain so that
``/configuration`` and events can show them.
"""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from dealerhub.crypto import Encrypted
from dealerhub.db import TenantMixin, now


class PenRegistration(TenantMixin, table=True):
    __tablename__ = "pen_registrations"
    __object_name__ = "pen_registration"
    __table_args__ = (
        UniqueConstraint("dealer_id", "livemode", name="uq_pen_registrations_tenant"),
    )

    id: str = Field(primary_key=True, max_length=40)
    pen_dealer_id: int = Field(index=True)  # the id PEN issued at REGISTER
    status: str = Field(max_length=20)  # registered | unregistered
    last_action: str = Field(max_length=12)  # REGISTER | UPDATE | UNREGISTER
    last_change: int = Field(default_factory=now)  # when PEN confirmed last_action
    dealership_name: str = Field(max_length=200)
    is_test_dealer: bool = False
    profile: str = Field(sa_type=Encrypted)  # the SetDealer profile PEN holds, as JSON
