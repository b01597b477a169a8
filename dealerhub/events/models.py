"""The event outbox: one row per state change, written in the change's own transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field

from dealerhub.db import TenantMixin


class Event(TenantMixin, table=True):
    __tablename__ = "events"
    __object_name__ = "event"
    __table_args__ = (Index("ix_events_tenant_created", "dealer_id", "livemode", "created", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    type: str = Field(index=True, max_length=80)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    request_id: str | None = Field(default=None, max_length=40)
    idempotency_key: str | None = Field(default=None, max_length=255)
    pending_webhooks: int = 0
