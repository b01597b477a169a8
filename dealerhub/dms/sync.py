"""Pushing leads and deals to the DMS exactly once.

A sync is three steps, each in its own short transaction around the one remote call:

1. **claim** — lock the row; skip it unless it needs sending and nobody holds a live lease;
   take a lease and count the attempt; remember the record's ``sync_version``.
2. **push** — call the connector with our record id as the reference. The connector looks
   the customer (and deal) up before inserting, so a second push of the same record finds
   what the first one created.
3. **finish** — lock the row again and record the outcome: the DMS keys on success (synced,
   unless the record changed meanwhile: then pending again and re-sent), or the error, with
   ``failed`` (retry with backoff) or ``dead`` (permanent, or out of attempts).

A worker killed between 2 and 3 leaves the row ``pending`` with a lease that expires; the
beat sweep re-sends it and step 2 finds the DMS customer instead of inserting another.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.connectors.base import ConnectorError
from dealerhub.connectors.dms.base import (
    DmsConnector,
    DmsContact,
    DmsDealPush,
    DmsLeadPush,
    DmsPushResult,
)
from dealerhub.customers.service import get_customer
from dealerhub.db import Database, now
from dealerhub.dms import queue
from dealerhub.dms.changes import event_snapshot
from dealerhub.dms.models import Deal, Lead
from dealerhub.errors import DealerhubError, InvalidState, NotFound
from dealerhub.events.service import record_event
from dealerhub.tasks import backoff, enqueue_now
from dealerhub.tenancy import Tenant

log = logging.getLogger(__name__)

MODELS: dict[str, Any] = {"lead": Lead, "deal": Deal}
LEASE_SECONDS = 120
DEFAULT_MAX_ATTEMPTS = 5
SWEEP_GRACE_SECONDS = 60

# The tenant's DMS connector: ``Registry.dms`` in the app, a fake in tests and benchmarks.
ConnectorFactory = Callable[[Session, Tenant], DmsConnector]


@dataclass(frozen=True)
class Claim:
    kind: str
    record_id: str
    tenant: Tenant
    version: int
    attempts: int
    payload: DmsLeadPush | DmsDealPush


@dataclass(frozen=True)
class Outcome:
    status: str  # synced | pending | failed | dead | skipped
    matched: bool = False
    retryable: bool = False
    error: str | None = None
    retry_in: float = 0.0


def _contact_from_lead(lead: Lead) -> DmsContact:
    c = lead.contact
    return DmsContact(
        first_name=c.get("first_name") or "",
        last_name=c.get("last_name") or "",
        email=lead.email,
        phone=lead.phone,
        address=c.get("address") or {},
    )


def _deal_payload(session: Session, deal: Deal, tenant: Tenant) -> DmsDealPush:
    customer = get_customer(session, tenant, deal.customer_id)
    first, _, last = (customer.name or "").rpartition(" ")
    lead = session.get(Lead, deal.lead_id) if deal.lead_id else None
    contact = (
        _contact_from_lead(lead)
        if lead is not None
        else DmsContact(
            first_name=first,
            last_name=last or first,
            email=customer.email,
            phone=customer.phone,
            address=customer.address or {},
        )
    )
    customer_key = deal.dms_customer_key or (lead.dms_customer_key if lead else None)
    return DmsDealPush(
        reference=deal.id,
        contact=contact,
        customer_key=customer_key,
        deal_key=deal.external_id,
        vehicle=dict(deal.vehicle),
        trade_in=deal.trade_in,
        finance=dict(deal.finance),
        products=list(deal.products),
    )


def claim(db: Database, kind: str, record_id: str) -> Claim | None:
    model = MODELS[kind]
    with db.transaction() as session:
        record = session.scalars(
            select(model).where(model.id == record_id).with_for_update()
        ).first()
        t = now()
        if record is None or record.sync_status in ("synced", "dead"):
            return None
        if record.sync_lease_until is not None and record.sync_lease_until > t:
            return None  # another worker holds it; the sweep resends if that worker died
        tenant = Tenant(record.dealer_id, record.livemode)
        payload: DmsLeadPush | DmsDealPush
        if isinstance(record, Lead):
            payload = DmsLeadPush(
                reference=record.id,
                contact=_contact_from_lead(record),
                customer_key=record.dms_customer_key,
                vehicles=list(record.vehicles),
                trade_in=record.trade_in,
                source=record.source,
                comments=record.comments,
            )
        else:
            payload = _deal_payload(session, record, tenant)
        record.sync_lease_until = t + LEASE_SECONDS
        record.sync_attempts += 1
        return Claim(kind, record.id, tenant, record.sync_version, record.sync_attempts, payload)


def finish_success(db: Database, c: Claim, result: DmsPushResult) -> Outcome:
    model = MODELS[c.kind]
    with db.transaction() as session:
        record = session.scalars(
            select(model).where(model.id == c.record_id).with_for_update()
        ).one()
        record.external_id = result.record_key
        record.dms_customer_key = result.customer_key
        record.sync_lease_until = None
        record.sync_retry_at = None
        record.sync_last_error = None
        if record.sync_version != c.version:
            record.sync_status = "pending"  # changed while we were sending: send again
            record.sync_attempts = 0
            queue.enqueue(session, record)
            return Outcome("pending", matched=result.matched)
        record.sync_status = "synced"
        record.synced_version = c.version
        record.synced_at = now()
        record_event(session, c.tenant, f"{c.kind}.synced", event_snapshot(record))
        return Outcome("synced", matched=result.matched)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectorError):
        code = f" [{exc.vendor_code}]" if exc.vendor_code else ""
        return f"{exc.vendor}{code}: {exc.message}"[:500]
    if isinstance(exc, DealerhubError):
        return f"{exc.code}: {exc.message}"[:500]
    return type(exc).__name__


def finish_failure(db: Database, c: Claim, exc: BaseException, max_attempts: int) -> Outcome:
    model = MODELS[c.kind]
    retryable = bool(getattr(exc, "retryable", False))
    message = _describe(exc)
    with db.transaction() as session:
        record = session.scalars(
            select(model).where(model.id == c.record_id).with_for_update()
        ).one()
        record.sync_lease_until = None
        record.sync_last_error = message
        if retryable and record.sync_attempts < max_attempts:
            delay = backoff(record.sync_attempts - 1)
            record.sync_status = "failed"
            record.sync_retry_at = now() + int(delay)
            return Outcome("failed", retryable=True, error=message, retry_in=delay)
        record.sync_status = "dead"
        record.sync_retry_at = None
        record_event(session, c.tenant, f"{c.kind}.sync_failed", event_snapshot(record))
        return Outcome("dead", error=message)


def run(
    db: Database,
    kind: str,
    record_id: str,
    *,
    connector_factory: ConnectorFactory,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Outcome:
    """Claim, push and record one record. Safe to call any number of times, concurrently."""
    c = claim(db, kind, record_id)
    if c is None:
        return Outcome("skipped")
    try:
        with db.transaction(write=False) as session:
            connector = connector_factory(session, c.tenant)
        if isinstance(c.payload, DmsLeadPush):
            result = connector.push_lead(c.payload)
        else:
            result = connector.push_deal(c.payload)
    except (ConnectorError, DealerhubError) as exc:
        outcome = finish_failure(db, c, exc, max_attempts)
        log.warning("dms sync %s %s: %s (attempt %d)", kind, record_id, outcome.status, c.attempts)
        return outcome
    except Exception as exc:
        # Our bug or an unexpected library error: dead-letter it for an operator rather than
        # resending it forever; only the type is logged (messages may carry contact data).
        log.error("dms sync %s %s: unexpected %s", kind, record_id, type(exc).__name__)
        return finish_failure(db, c, exc, max_attempts)
    return finish_success(db, c, result)


# --- operators: failures, replay, sweep -------------------------------------------------------


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


def due_stmt(kind: str, t: int, dealer_id: str | None = None, livemode: bool | None = None) -> Any:
    """Records that should be sent now and that nobody is sending: pending and not handed
    over within the grace period (the broker was down at commit), or whose lease expired
    (the worker died), or failed and due for retry."""
    model = MODELS[kind]
    lease_free = or_(col(model.sync_lease_until).is_(None), model.sync_lease_until <= t)
    stmt = select(model.id).where(
        lease_free,
        or_(
            and_(model.sync_status == "pending", model.updated <= t - SWEEP_GRACE_SECONDS),
            and_(model.sync_status == "pending", col(model.sync_lease_until).is_not(None)),
            and_(model.sync_status == "failed", model.sync_retry_at <= t),
        ),
    )
    if dealer_id is not None:
        stmt = stmt.where(model.dealer_id == dealer_id)
    if livemode is not None:
        stmt = stmt.where(model.livemode == livemode)
    return stmt.order_by(model.created)


def sweep(db: Database, *, limit: int = 1000) -> int:
    """Re-enqueue every due record (run by Celery beat every minute); returns how many."""
    count = 0
    t = now()
    with db.transaction(write=False) as session:
        due = [
            (kind, record_id)
            for kind in MODELS
            for record_id in session.scalars(due_stmt(kind, t).limit(limit))
        ]
    for kind, record_id in due:
        count += 1
        enqueue_now(queue.SYNC_RECORD, kind, record_id)
    return count
