"""The event outbox, webhook endpoints, their deliveries and attempts, and inbound
processor events. Events are written in the change's own transaction; deliveries are
written in that same transaction too, so a committed event always knows where it must go."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field

from dealerhub.crypto import Encrypted
from dealerhub.db import TenantMixin, metadata_column
from dealerhub.rows import Row


class Event(TenantMixin, table=True):
    __tablename__ = "events"
    __object_name__ = "event"
    __table_args__ = (Index("ix_events_tenant_created", "dealer_id", "livemode", "created", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    type: str = Field(index=True, max_length=80)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    request_id: str | None = Field(default=None, max_length=40)
    idempotency_key: str | None = Field(default=None, max_length=255)
    # Deliveries not yet successful; 0 means "delivered everywhere" (delivery_success=true).
    pending_webhooks: int = 0


class EndpointStatus(enum.StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class WebhookEndpoint(TenantMixin, table=True):
    __tablename__ = "webhook_endpoints"
    __object_name__ = "webhook_endpoint"
    __table_args__ = (
        Index("ix_webhook_endpoints_tenant_created", "dealer_id", "livemode", "created", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    url: str = Field(max_length=2048)
    enabled_events: list[str] = Field(sa_column=Column(JSON, nullable=False))
    description: str | None = Field(default=None, max_length=5000)
    metadata_: dict[str, str] = metadata_column()
    status: str = Field(default=EndpointStatus.ENABLED.value, max_length=16)
    # The whole ``whsec_…`` string, Fernet-encrypted at rest.
    secret: str = Field(sa_type=Encrypted)
    # After a roll with an overlap, the old secret keeps signing until this time.
    previous_secret: str | None = Field(default=None, sa_type=Encrypted, nullable=True)
    previous_secret_expires: int | None = None
    # Start of the current run of failed attempts (None after any success).
    failing_since: int | None = None
    deleted: bool = False


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookDelivery(TenantMixin, table=True):
    """One event going to one endpoint. ``next_attempt_at`` says when it is due;
    ``queued_at`` when it was last handed to the broker or picked up by a worker (a lease:
    the sweep re-sends due deliveries whose lease is older than the lease period)."""

    __tablename__ = "webhook_deliveries"
    __object_name__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_deliveries_event_endpoint"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    event_id: str = Field(index=True, max_length=40)
    endpoint_id: str = Field(index=True, max_length=40)
    status: str = Field(default=DeliveryStatus.PENDING.value, max_length=16)
    attempt_count: int = 0
    next_attempt_at: int | None = None
    queued_at: int | None = None
    last_attempt_at: int | None = None
    succeeded_at: int | None = None


class DeliveryAttempt(Row, table=True):
    __tablename__ = "webhook_delivery_attempts"
    __object_name__ = "webhook_delivery_attempt"

    id: str = Field(primary_key=True, max_length=40)
    delivery_id: str = Field(index=True, max_length=40)
    created: int
    status_code: int | None = None
    latency_ms: int = 0
    # The first 1 KB of the receiver's answer (or of the transport error).
    response_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error: str | None = Field(default=None, max_length=200)


class InboundStatus(enum.StrEnum):
    RECEIVED = "received"
    APPLIED = "applied"
    IGNORED = "ignored"
    FAILED = "failed"


class InboundEvent(Row, table=True):
    """A processor's webhook, stored verbatim once per (processor, event id)."""

    __tablename__ = "inbound_events"
    __object_name__ = "inbound_event"
    __table_args__ = (
        UniqueConstraint("processor", "processor_event_id", name="uq_inbound_events_processor_id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    processor: str = Field(max_length=40)
    processor_event_id: str = Field(max_length=255)
    type: str = Field(max_length=120)
    livemode: bool = False
    dealer_id: str | None = Field(default=None, max_length=40)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # The attempt reference (the gateway's transaction id) the connector read from the notice.
    reference: str | None = Field(default=None, max_length=255)
    status: str = Field(default=InboundStatus.RECEIVED.value, max_length=16)
    error: str | None = Field(default=None, max_length=500)
    received: int
    applied_at: int | None = None
