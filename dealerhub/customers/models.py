"""Customers: shared by payments (cards, intents) and the DMS (leads link to a customer)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field

from dealerhub.db import TenantMixin, metadata_column


class Customer(TenantMixin, table=True):
    __tablename__ = "customers"
    __object_name__ = "customer"
    __table_args__ = (
        Index("ix_customers_tenant_created", "dealer_id", "livemode", "created", "id"),
        Index("ix_customers_tenant_email", "dealer_id", "livemode", "email"),
        Index("ix_customers_tenant_phone", "dealer_id", "livemode", "phone"),
    )

    id: str = Field(primary_key=True, max_length=40)
    name: str | None = Field(default=None, max_length=256)
    email: str | None = Field(default=None, max_length=512)
    phone: str | None = Field(default=None, max_length=32)
    description: str | None = Field(default=None, max_length=1000)
    address: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    shipping: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    default_payment_method: str | None = Field(default=None, max_length=40)
    metadata_: dict[str, str] = metadata_column()
    deleted: bool = False
