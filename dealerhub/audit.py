"""The audit log every area writes: one row per change or sensitive read (configuration
changes, certificate uploads, credit pulls and report views), naming who acted (an API key,
a CLI user or a staff user; see ``dealerhub.context``) and the request it was part of."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlalchemy.orm import Session
from sqlmodel import Field

from dealerhub.context import Actor, request_id_var
from dealerhub.db import TenantMixin, new_id
from dealerhub.tenancy import Tenant


class AuditEntry(TenantMixin, table=True):
    """Who did what, when, through which key, and for which permissible purpose. Never PII."""

    __tablename__ = "audit_entries"
    __object_name__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entries_tenant_created", "dealer_id", "livemode", "created"),)

    id: str = Field(primary_key=True, max_length=40)
    actor: str = Field(max_length=120)
    action: str = Field(max_length=80)
    object_id: str | None = Field(default=None, max_length=40, index=True)
    request_id: str | None = Field(default=None, max_length=40)
    permissible_purpose: str | None = Field(default=None, max_length=60)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


def record_audit(
    session: Session,
    tenant: Tenant,
    *,
    actor: Actor | str,
    action: str,
    object_id: str | None = None,
    permissible_purpose: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit row in the caller's transaction. ``details`` must hold no PII or secret."""
    entry = AuditEntry(
        id=new_id("aud"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        actor=str(actor),
        action=action,
        object_id=object_id,
        request_id=request_id_var.get(),
        permissible_purpose=permissible_purpose,
        details=details or {},
    )
    session.add(entry)
    return entry
