"""The sandbox DMS keeps its "remote" records in our database so that every worker process
sees the same DMS, exactly as they would share a real one (tests count rows here)."""

from __future__ import annotations

from sqlalchemy import Index
from sqlmodel import Field

from dealerhub.db import now
from dealerhub.rows import Row


class SandboxDmsCustomer(Row, table=True):
    __tablename__ = "dms_sandbox_customers"
    __table_args__ = (
        Index("ix_dms_sandbox_customers_lookup", "dealer_id", "email"),
        Index("ix_dms_sandbox_customers_phone", "dealer_id", "phone", "last_name"),
    )

    id: str = Field(primary_key=True, max_length=40)  # the DMS customer number
    dealer_id: str = Field(max_length=40)
    reference: str = Field(max_length=40, index=True)
    last_name: str = Field(max_length=256)
    email: str | None = Field(default=None, max_length=512)
    phone: str | None = Field(default=None, max_length=32)
    created: int = Field(default_factory=now)


class SandboxDmsDeal(Row, table=True):
    __tablename__ = "dms_sandbox_deals"

    id: str = Field(primary_key=True, max_length=40)  # the DMS deal number
    dealer_id: str = Field(max_length=40)
    reference: str = Field(max_length=40, unique=True)
    customer_key: str = Field(max_length=40)
    created: int = Field(default_factory=now)
