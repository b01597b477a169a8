"""Pushing leads and deals to the DMS exactly once, in batches.

A sync is three steps, each batch of records in one short transaction around the remote calls:

1. **claim** — lock due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent workers
   take disjoint batches; SQLite's write lock serialises claims the same way); skip any that
   no longer need sending or that another worker holds a live lease on; take a lease, count
   the attempt, remember each record's ``sync_version``.
2. **push** — call the connector with our record id as the reference, up to
   ``max_in_flight`` calls at once. The connector looks the customer (and deal) up before
   inserting, so a second push of the same record finds what the first one created.
3. **finish** — lock the rows again and record each outcome: the DMS keys on success (synced,
   unless the record changed meanwhile: then pending again and re-sent), or the error, with
   ``failed`` (due again after a backoff) or ``dead`` (permanent, or out of attempts).

The table is the queue: a broker message is only a signal that records are waiting
(:data:`queue.DRAIN`), and :func:`drain` claims until nothing is due. A worker killed between
2 and 3 leaves its rows ``pending`` under a lease that expires; the beat sweep signals again
and step 2 finds the DMS customer instead of inserting another.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.config import Settings
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
from dealerhub.dms.schemas import preload_merged_sources
from dealerhub.errors import DealerhubError
from dealerhub.events.service import record_event
from dealerhub.tasks import backoff, celery, enqueue_after_commit, enqueue_now
from dealerhub.tenancy import Tenant

log = logging.getLogger(__name__)

MODELS: dict[str, Any] = {"lead": Lead, "deal": Deal}
LEASE_SECONDS = 120
DEFAULT_MAX_ATTEMPTS = 5
SWEEP_GRACE_SECONDS = 60

# The tenant's DMS connector: ``Registry.dms`` in the app, a fake in tests and benchmarks.
ConnectorFactory = Callable[[Session, Tenant], DmsConnector]


@dataclass(frozen=True)
class Options:
    """How a worker drains the queue (``DEALERHUB_DMS_SYNC_*``, see ``docs/dms.md``)."""

    batch_size: int = 50
    # Calls in flight per worker; the vendor session's connection pool holds 10.
    max_in_flight: int = 8
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    # Retry n waits uniform(0, retry_base * 2**n) seconds (full jitter, at most an hour),
    # rounded up to whole seconds; 0 retries at once (the benchmark elides backoff).
    retry_base: float = 2.0
    # A drain hands over to a fresh signal after this long, so one backlog never
    # monopolises a worker slot that other tasks share.
    drain_seconds: float = 20.0


def options_from(settings: Settings) -> Options:
    def number(name: str, default: float) -> float:
        return float(settings.option(f"DMS_SYNC_{name}", str(default)))

    return Options(
        batch_size=max(1, int(number("BATCH_SIZE", 50))),
        max_in_flight=max(1, int(number("MAX_IN_FLIGHT", 8))),
        max_attempts=max(1, int(number("MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))),
        retry_base=max(0.0, number("RETRY_BASE_SECONDS", 2.0)),
        drain_seconds=number("DRAIN_SECONDS", 20.0),
    )


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


# What a push came back with: the DMS's answer, or why there is none.
Pushed = tuple[Claim, DmsPushResult | BaseException]


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


# --- 1. claim ---------------------------------------------------------------------------------


def _lease(session: Session, record: Lead | Deal, t: int) -> Claim | None:
    """Take ``record`` (locked by the caller) for one push, or None if it needs none now."""
    if record.sync_status in ("synced", "dead"):
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
    kind = queue.kind_of(record)
    return Claim(kind, record.id, tenant, record.sync_version, record.sync_attempts, payload)


def claim(db: Database, kind: str, record_id: str) -> Claim | None:
    """Take one record by id (the CLI's inline replay, workflows)."""
    model = MODELS[kind]
    with db.transaction() as session:
        record = session.scalars(
            select(model).where(model.id == record_id).with_for_update()
        ).first()
        return None if record is None else _lease(session, record, now())


def claim_due(session: Session, *, limit: int) -> list[Claim]:
    """Lease up to ``limit`` records that should be sent now: pending ones oldest first, then
    failed ones whose retry is due. Rows another worker has locked are skipped, not waited
    for; rows under a live lease are left to the worker that holds it."""
    t = now()
    claims: list[Claim] = []
    for model in MODELS.values():
        lease_free = or_(col(model.sync_lease_until).is_(None), model.sync_lease_until <= t)
        for status_is, order in (
            (model.sync_status == "pending", model.created),
            (and_(model.sync_status == "failed", model.sync_retry_at <= t), model.sync_retry_at),
        ):
            if len(claims) >= limit:
                return claims
            stmt = (
                select(model)
                .where(status_is, lease_free)
                .order_by(order)
                .limit(limit - len(claims))
                .with_for_update(skip_locked=True)
            )
            for record in session.scalars(stmt):
                leased = _lease(session, record, t)
                if leased is not None:
                    claims.append(leased)
    return claims


# --- 2. push ----------------------------------------------------------------------------------


def push(connector: DmsConnector | BaseException, c: Claim) -> DmsPushResult | BaseException:
    """One remote call; what went wrong is returned, not raised, so a batch carries on.
    ``connector`` is the exception that resolving it raised (no configuration, say)."""
    if isinstance(connector, BaseException):
        return connector
    try:
        if isinstance(c.payload, DmsLeadPush):
            return connector.push_lead(c.payload)
        return connector.push_deal(c.payload)
    except (ConnectorError, DealerhubError) as exc:
        return exc
    except Exception as exc:
        # Our bug or an unexpected library error: dead-letter it for an operator rather than
        # resending it forever; only the type is logged (messages may carry contact data).
        log.error("dms sync %s %s: unexpected %s", c.kind, c.record_id, type(exc).__name__)
        return exc


def connectors_for(
    db: Database,
    claims: Sequence[Claim],
    factory: ConnectorFactory,
    known: dict[Tenant, DmsConnector | BaseException],
) -> dict[Tenant, DmsConnector | BaseException]:
    """Each tenant's connector, resolved once per drain (``known``), so one vendor session,
    and its pooled keep-alive connections, serves every record of that dealer."""
    missing = {c.tenant for c in claims} - known.keys()
    if missing:
        with db.transaction(write=False) as session:
            for tenant in missing:
                try:
                    known[tenant] = factory(session, tenant)
                except DealerhubError as exc:  # no DMS configured, say: each record says why
                    known[tenant] = exc
                except Exception as exc:  # our bug: dead-letter the records, as in push()
                    log.error("dms connector for %s: unexpected %s", tenant, type(exc).__name__)
                    known[tenant] = exc
    return known


def push_many(
    claims: Sequence[Claim],
    connectors: dict[Tenant, DmsConnector | BaseException],
    pool: ThreadPoolExecutor,
) -> list[Pushed]:
    """Push a batch concurrently (as many at once as ``pool`` has threads)."""
    if len(claims) == 1:
        c = claims[0]
        return [(c, push(connectors[c.tenant], c))]
    return list(pool.map(lambda c: (c, push(connectors[c.tenant], c)), claims))


# --- 3. finish --------------------------------------------------------------------------------


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectorError):
        code = f" [{exc.vendor_code}]" if exc.vendor_code else ""
        return f"{exc.vendor}{code}: {exc.message}"[:500]
    if isinstance(exc, DealerhubError):
        return f"{exc.code}: {exc.message}"[:500]
    return type(exc).__name__


def _succeeded(session: Session, record: Any, c: Claim, result: DmsPushResult) -> Outcome:
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


def _failed(
    session: Session, record: Any, c: Claim, exc: BaseException, options: Options
) -> Outcome:
    retryable = bool(getattr(exc, "retryable", False))
    message = _describe(exc)
    record.sync_lease_until = None
    record.sync_last_error = message
    if retryable and record.sync_attempts < options.max_attempts:
        delay = backoff(record.sync_attempts - 1, base=options.retry_base)
        record.sync_status = "failed"
        # Rounded up: unless retries are immediate, never due in the second that failed.
        record.sync_retry_at = now() + (max(1, math.ceil(delay)) if options.retry_base else 0)
        log.warning(
            "dms sync %s %s: failed (attempt %d)", c.kind, c.record_id, record.sync_attempts
        )
        return Outcome("failed", retryable=True, error=message, retry_in=delay)
    record.sync_status = "dead"
    record.sync_retry_at = None
    record_event(session, c.tenant, f"{c.kind}.sync_failed", event_snapshot(record))
    log.warning("dms sync %s %s: dead (attempt %d)", c.kind, c.record_id, record.sync_attempts)
    return Outcome("dead", error=message)


def finish(session: Session, pushed: Sequence[Pushed], options: Options) -> list[Outcome]:
    """Record a pushed batch under row locks; returns each claim's outcome, in order.
    Each second in which retries fall due gets one "records are waiting" signal."""
    records: dict[str, Any] = {}
    for kind, model in MODELS.items():
        ids = [c.record_id for c, _ in pushed if c.kind == kind]
        if ids:
            locked = select(model).where(col(model.id).in_(ids)).with_for_update()
            records.update((r.id, r) for r in session.scalars(locked))
    # Every outcome records an event whose snapshot shows the lead's merged sources.
    preload_merged_sources(session, [c.record_id for c, _ in pushed if c.kind == "lead"])
    outcomes = []
    for c, result in pushed:
        record = records[c.record_id]
        if isinstance(result, DmsPushResult):
            outcomes.append(_succeeded(session, record, c, result))
        else:
            outcomes.append(_failed(session, record, c, result, options))
    _signal_retries(session, [records[c.record_id] for c, _ in pushed])
    return outcomes


def _signal_retries(session: Session, records: Sequence[Any]) -> None:
    if celery.conf.task_always_eager:
        return  # inline mode cannot wait for a countdown: the sweep hands those over
    t = now()
    due = {r.sync_retry_at for r in records if r.sync_status == "failed" and r.sync_retry_at}
    for at in sorted(due):
        enqueue_after_commit(session, queue.DRAIN, countdown=max(0, at - t))


# --- the whole sync ---------------------------------------------------------------------------


def run(
    db: Database,
    kind: str,
    record_id: str,
    *,
    connector_factory: ConnectorFactory,
    options: Options = Options(),
) -> Outcome:
    """Claim, push and record one record. Safe to call any number of times, concurrently."""
    c = claim(db, kind, record_id)
    if c is None:
        return Outcome("skipped")
    connectors = connectors_for(db, [c], connector_factory, {})
    result = push(connectors[c.tenant], c)
    with db.transaction() as session:
        return finish(session, [(c, result)], options)[0]


def drain(
    db: Database,
    *,
    connector_factory: ConnectorFactory,
    options: Options = Options(),
    pool: ThreadPoolExecutor | None = None,
) -> Counter[str]:
    """Claim, push and record batches until nothing is due or ``options.drain_seconds`` are
    used (then another signal carries on). Returns how many records ended in each status."""
    statuses: Counter[str] = Counter()
    connectors: dict[Tenant, DmsConnector | BaseException] = {}
    until = time.monotonic() + options.drain_seconds
    own_pool = pool is None
    pool = pool or ThreadPoolExecutor(options.max_in_flight, thread_name_prefix="dms-sync")
    try:
        while True:
            with db.transaction() as session:
                batch = claim_due(session, limit=options.batch_size)
            if not batch:
                return statuses
            connectors_for(db, batch, connector_factory, connectors)
            pushed = push_many(batch, connectors, pool)
            with db.transaction() as session:
                statuses.update(o.status for o in finish(session, pushed, options))
            if len(batch) < options.batch_size:
                return statuses
            if time.monotonic() > until:
                enqueue_now(queue.DRAIN)  # more is due: another slot (or this one) goes on
                return statuses
    finally:
        if own_pool:
            pool.shutdown()


# --- the sweep --------------------------------------------------------------------------------


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
    """Signal the drain if records are due that no signal covers (run by Celery beat every
    minute): never handed to the broker, a dead worker's lease run out, a retry due. Returns
    how many it found (up to ``limit`` of each kind)."""
    t = now()
    with db.transaction(write=False) as session:
        due = sum(len(list(session.scalars(due_stmt(k, t).limit(limit)))) for k in MODELS)
    if due:
        enqueue_now(queue.DRAIN)
    return due
