"""The dead-letter list of DMS sync: records the DMS rejected or that ran out of attempts,
and sending one again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dealerhub.db import now
from dealerhub.dms import queue
from dealerhub.dms.sync import MODELS
from dealerhub.errors import InvalidState, NotFound
from dealerhub.tenancy import Tenant


def failures_stmt(tenant: Tenant, kind: str | None = None) -> list[Any]:
    kinds = [kind] if kind else list(MODELS)
    return [
        select(MODELS[k]).where(
            MODELS[k].dealer_id == tenant.dealer_id,
            MODELS[k].livemode == tenant.livemode,
            MODELS[k].sync_status == "dead",
        )
        for k in kinds
    ]


def list_failures(session: Session, tenant: Tenant, limit: int = 100) -> dict[str, Any]:
    rows: list[Any] = []
    for stmt in failures_stmt(tenant):
        rows.extend(session.scalars(stmt.limit(limit + 1)))
    rows.sort(key=lambda r: (r.created, r.id), reverse=True)
    return {
        "object": "list",
        "data": rows[:limit],
        "has_more": len(rows) > limit,
        "url": "/dms/sync/failures",
    }


def replay(session: Session, tenant: Tenant, record_id: str) -> Any:
    """Send a dead record again: back to pending with a fresh attempt budget."""
    kind = "deal" if record_id.startswith("deal_") else "lead"
    model = MODELS[kind]
    record = session.scalars(
        select(model)
        .where(
            model.id == record_id,
            model.dealer_id == tenant.dealer_id,
            model.livemode == tenant.livemode,
        )
        .with_for_update()
    ).first()
    if record is None:
        raise NotFound(f"No such sync failure: '{record_id}'", param="id")
    if record.sync_status != "dead":
        raise InvalidState(
            f"Only dead records can be replayed; this {kind} is {record.sync_status}."
        )
    record.sync_status = "pending"
    record.sync_attempts = 0
    record.sync_last_error = None
    record.sync_lease_until = None
    record.sync_retry_at = None
    record.updated = now()
    queue.enqueue(session, record)
    return record
