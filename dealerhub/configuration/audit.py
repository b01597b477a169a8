"""The audit trail shared by configuration and credit: one row per change or sensitive read."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dealerhub.configuration.models import AuditEntry
from dealerhub.db import new_id
from dealerhub.logs import request_id_var
from dealerhub.tenancy import Tenant


def record_audit(
    session: Session,
    tenant: Tenant,
    *,
    actor: str,
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
        actor=actor,
        action=action,
        object_id=object_id,
        request_id=request_id_var.get(),
        permissible_purpose=permissible_purpose,
        details=details or {},
    )
    session.add(entry)
    return entry
