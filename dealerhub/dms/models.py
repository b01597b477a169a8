"""Leads, deals, the submissions behind each lead, and workflow runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from dealerhub.connectors.dms import sandbox_models  # noqa: F401 - registers sandbox tables
from dealerhub.db import TenantMixin, metadata_column, now


class SyncColumns(SQLModel):
    """Per-record DMS sync state. ``version`` grows on every change; a sync that started at
    version N and finishes after a change leaves the record pending, so the change is sent."""

    sync_status: str = Field(default="pending", max_length=16)
    sync_attempts: int = 0
    sync_last_error: str | None = Field(default=None, max_length=500)
    sync_lease_until: int | None = Field(default=None, index=True)
    sync_retry_at: int | None = None
    sync_version: int = 1
    synced_version: int = 0
    synced_at: int | None = None
    updated: int = Field(default_factory=now)
    external_id: str | None = Field(default=None, max_length=64)
    dms_customer_key: str | None = Field(default=None, max_length=64)


class Lead(TenantMixin, SyncColumns, table=True):
    __tablename__ = "dms_leads"
    __object_name__ = "lead"
    __table_args__ = (
        Index("ix_dms_leads_tenant_created", "dealer_id", "livemode", "created", "id"),
        Index("ix_dms_leads_tenant_email", "dealer_id", "livemode", "email"),
        Index("ix_dms_leads_tenant_phone", "dealer_id", "livemode", "phone", "last_name"),
        Index("ix_dms_leads_tenant_customer", "dealer_id", "livemode", "customer_id"),
        # The sync queue: pending records oldest first, failed ones by when they are due.
        Index("ix_dms_leads_sync_queue", "sync_status", "created"),
        Index("ix_dms_leads_sync_retry", "sync_status", "sync_retry_at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    customer_id: str = Field(max_length=40)
    service_provider: str = Field(max_length=40)
    status: str = Field(default="new", max_length=16)
    # Normalised matching keys (lower-case email, +digits phone, lower-case last name).
    email: str | None = Field(default=None, max_length=512)
    phone: str | None = Field(default=None, max_length=32)
    last_name: str | None = Field(default=None, max_length=256)
    contact: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    vehicles: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    trade_in: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    source: str | None = Field(default=None, max_length=200)
    comments: str | None = Field(default=None, sa_column=Column(Text))
    consent: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    duplicate_of: str | None = Field(default=None, max_length=40)
    metadata_: dict[str, str] = metadata_column()


class LeadSubmission(TenantMixin, table=True):
    """Every accepted submission (first or merged): the audit trail behind ``merged_sources``
    and the "identical resubmission" check (same payload hash → the original lead)."""

    __tablename__ = "dms_lead_submissions"
    __table_args__ = (
        Index("ix_dms_lead_submissions_hash", "dealer_id", "livemode", "payload_hash"),
    )

    id: str = Field(primary_key=True, max_length=40)
    lead_id: str = Field(max_length=40, index=True)
    payload_hash: str = Field(max_length=64)
    service_provider: str = Field(max_length=40)
    source: str | None = Field(default=None, max_length=200)
    format: str = Field(default="json", max_length=8)
    merged: bool = False
    vehicles: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class Deal(TenantMixin, SyncColumns, table=True):
    __tablename__ = "dms_deals"
    __object_name__ = "deal"
    __table_args__ = (
        Index("ix_dms_deals_tenant_created", "dealer_id", "livemode", "created", "id"),
        Index("ix_dms_deals_sync_queue", "sync_status", "created"),
        Index("ix_dms_deals_sync_retry", "sync_status", "sync_retry_at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    customer_id: str = Field(max_length=40, index=True)
    lead_id: str | None = Field(default=None, max_length=40)
    currency: str = Field(default="usd", max_length=3)
    vehicle: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    trade_in: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    finance: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    products: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    payment_intent: str | None = Field(default=None, max_length=40)
    metadata_: dict[str, str] = metadata_column()


class SyncRun(TenantMixin, table=True):
    """One run of a workflow for one dealer and mode (``GET /dms/sync/runs``)."""

    __tablename__ = "dms_sync_runs"
    __object_name__ = "sync_run"
    __table_args__ = (
        Index("ix_dms_sync_runs_tenant_created", "dealer_id", "livemode", "created", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    workflow: str = Field(max_length=80)
    trigger: str = Field(default="schedule", max_length=16)
    status: str = Field(default="running", max_length=16)
    finished: int | None = None
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, max_length=500)
