"""Webhook deliveries in batches: claim many due deliveries in one transaction, send them
concurrently (``events/sender.py``), write every result back in one transaction.

A broker message is a signal ("deliveries are waiting", :data:`jobs.DRAIN`), not one
delivery: the table is the queue. :func:`claim` takes due rows under
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent workers take disjoint batches without
waiting for each other; on SQLite the write transaction (``BEGIN IMMEDIATE``) holds the
database's write lock, which serialises claims the same way. Claiming takes each delivery's
lease (``next_attempt_at`` pushed a lease period ahead), so a worker killed in the middle of
a batch leaves its deliveries due again once the lease runs out, when the next signal or
the periodic sweep hands them out: at least once, never lost.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TypeVar

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub import db as dbmod
from dealerhub.config import Settings
from dealerhub.events import jobs
from dealerhub.events.delivery import (
    Prepared,
    SendResult,
    apply_result,
    attempt_row,
    decrement_pending,
    event_body,
    lease,
)
from dealerhub.events.models import (
    DeliveryAttempt,
    DeliveryStatus,
    Event,
    WebhookDelivery,
    WebhookEndpoint,
)
from dealerhub.tasks import celery, enqueue_after_commit

M = TypeVar("M", WebhookEndpoint, Event)

_ATTEMPTS: Table = DeliveryAttempt.__table__  # type: ignore[attr-defined]  # SQLModel sets it
# Retries of one batch due within the same few seconds share one broker signal.
SIGNAL_BUCKET = 5


def claim(session: Session, settings: Settings, *, limit: int) -> list[Prepared]:
    """Lease up to ``limit`` due pending deliveries, oldest due first, and build their signed
    requests. Deliveries whose endpoint or event is gone are given up here and not returned."""
    now = dbmod.now()
    stmt = (
        select(WebhookDelivery)
        .where(
            col(WebhookDelivery.status) == DeliveryStatus.PENDING.value,
            col(WebhookDelivery.next_attempt_at) <= now,
        )
        .order_by(col(WebhookDelivery.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    deliveries = list(session.scalars(stmt))
    if not deliveries:
        return []
    endpoints = _by_id(session, WebhookEndpoint, {d.endpoint_id for d in deliveries})
    events = _by_id(session, Event, {d.event_id for d in deliveries})
    bodies: dict[str, bytes] = {}  # one event often goes to several endpoints
    prepared = []
    for delivery in deliveries:
        event = events.get(delivery.event_id)
        if event is not None and event.id not in bodies:
            bodies[event.id] = event_body(event)
        body = bodies.get(delivery.event_id)
        item = lease(delivery, endpoints.get(delivery.endpoint_id), event, now, settings, body=body)
        if item is not None:
            prepared.append(item)
    return prepared


def finish(
    session: Session, settings: Settings, outcomes: Sequence[tuple[Prepared, SendResult]]
) -> dict[str, int]:
    """Write a sent batch back: every attempt in one multi-row INSERT, then each delivery
    moved on under the same rules as a single attempt (``delivery.apply_result``). Retries
    due soon get one "work is waiting" signal per few seconds of due time. Returns how many
    deliveries ended in each status."""
    if not outcomes:
        return {}
    now = dbmod.now()
    rows = [attempt_row(prepared, result, now) for prepared, result in outcomes]
    session.execute(insert(_ATTEMPTS), [_attempt_values(row) for row in rows])
    ids = [prepared.delivery_id for prepared, _ in outcomes]
    locked = select(WebhookDelivery).where(col(WebhookDelivery.id).in_(ids)).with_for_update()
    deliveries = {d.id: d for d in session.scalars(locked)}
    endpoints = _by_id(session, WebhookEndpoint, {d.endpoint_id for d in deliveries.values()})
    succeeded: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for prepared, result in outcomes:
        delivery = deliveries.get(prepared.delivery_id)
        if delivery is None:
            statuses["gone"] += 1  # purged meanwhile
            continue
        endpoint = endpoints.get(delivery.endpoint_id)
        if apply_result(session, delivery, endpoint, result, now, settings, requeue=False):
            succeeded[delivery.event_id] += 1
        statuses[delivery.status] += 1
    decrement_pending(session, succeeded)
    _signal_retries(session, deliveries.values(), now)
    return dict(statuses)


def _signal_retries(session: Session, deliveries: Iterable[WebhookDelivery], now: int) -> None:
    """One countdown signal per :data:`SIGNAL_BUCKET` seconds in which retries fall due
    (``apply_result`` marked those it leaves to us with ``queued_at == next_attempt_at``;
    later ones are the sweep's, like single attempts')."""
    if celery.conf.task_always_eager:
        return  # inline mode cannot wait for a countdown: the sweep hands those over
    buckets = set()
    for delivery in deliveries:
        due = delivery.next_attempt_at
        if (
            delivery.status == DeliveryStatus.PENDING.value
            and due is not None
            and delivery.queued_at == due
        ):
            buckets.add(math.ceil(due / SIGNAL_BUCKET) * SIGNAL_BUCKET)
    for bucket in sorted(buckets):
        enqueue_after_commit(session, jobs.DRAIN, countdown=max(0, bucket - now))


def _attempt_values(row: DeliveryAttempt) -> dict[str, object]:
    return {column.name: getattr(row, column.name) for column in _ATTEMPTS.columns}


def _by_id(session: Session, model: type[M], ids: set[str]) -> dict[str, M]:
    if not ids:
        return {}
    stmt = select(model).where(col(model.id).in_(list(ids)))
    return {row.id: row for row in session.scalars(stmt)}
