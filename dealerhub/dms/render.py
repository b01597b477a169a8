"""The public Lead object and the ``dms_sync`` block shared by leads and deals."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from dealerhub.dms.models import Lead, LeadSubmission


def sync_dict(record: Any) -> dict[str, Any]:
    return {
        "status": record.sync_status,
        "external_id": record.external_id,
        "dms_customer_key": record.dms_customer_key,
        "attempts": record.sync_attempts,
        "last_error": record.sync_last_error,
        "synced_at": record.synced_at,
    }


def lead_to_dict(session: Session, lead: Lead) -> dict[str, Any]:
    """The public Lead object (unmasked: the API caller owns this data)."""
    merged = session.scalars(
        select(LeadSubmission)
        .where(col(LeadSubmission.lead_id) == lead.id, col(LeadSubmission.merged).is_(True))
        .order_by(col(LeadSubmission.created), col(LeadSubmission.id))
    ).all()
    return {
        "id": lead.id,
        "object": "lead",
        "created": lead.created,
        "livemode": lead.livemode,
        "customer_id": lead.customer_id,
        "service_provider": lead.service_provider,
        "customer": dict(lead.contact),
        "vehicle": lead.vehicles[0] if lead.vehicles else None,
        "vehicles": list(lead.vehicles),
        "trade_in": lead.trade_in,
        "source": lead.source,
        "comments": lead.comments,
        "consent": lead.consent,
        "status": lead.status,
        "dms_sync": sync_dict(lead),
        "duplicate_of": lead.duplicate_of,
        "merged_sources": [
            {
                "submission": s.id,
                "service_provider": s.service_provider,
                "source": s.source,
                "format": s.format,
                "received": s.created,
                "vehicles": s.vehicles,
            }
            for s in merged
        ],
        "metadata": dict(lead.metadata_),
    }
