"""One delivery attempt, in three steps so no transaction stays open during the HTTP call:

1. :func:`start_attempt` (transaction): lock the delivery, check it is still due, take a
   lease by pushing ``next_attempt_at`` forward, and build the signed request.
2. the task POSTs it (``events/sender.py``).
3. :func:`finish_attempt` (transaction): record the attempt, then succeed, schedule the next
   retry, give up after the retry window, or disable an endpoint failing for too long.

:func:`sweep` signals the broker about due deliveries whose message was lost (broker down,
worker killed mid-delivery). Delivery is at least once: duplicates are possible, loss is not.
The batch path (``events/pipeline.py``) claims many due deliveries at once and reuses
:func:`lease` and :func:`apply_result`, so both paths keep the same rules.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub import db as dbmod
from dealerhub.config import Settings
from dealerhub.db import new_id
from dealerhub.errors import InvalidRequest
from dealerhub.events import jobs
from dealerhub.events.endpoints import disable_for_failures, signing_secrets
from dealerhub.events.models import (
    DeliveryAttempt,
    DeliveryStatus,
    EndpointStatus,
    Event,
    WebhookDelivery,
    WebhookEndpoint,
)
from dealerhub.events.policy import DeliveryPolicy, pipeline_options, policy_for
from dealerhub.events.schemas import EVENT
from dealerhub.events.urls import destination
from dealerhub.tasks import celery, enqueue_after_commit
from dealerhub.webhooks import HEADER, sign_header

log = logging.getLogger(__name__)

# A message may arrive a little before next_attempt_at (clock granularity, countdowns).
DUE_SLACK = 2
RESPONSE_SNIPPET = 1024


@dataclass(frozen=True)
class Prepared:
    delivery_id: str
    url: str
    body: bytes
    headers: dict[str, str]
    timeout: float
    livemode: bool


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    latency_ms: int
    body: str | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _lock(session: Session, delivery_id: str) -> WebhookDelivery | None:
    stmt = select(WebhookDelivery).where(col(WebhookDelivery.id) == delivery_id)
    return session.scalars(stmt.with_for_update()).first()


def _give_up(delivery: WebhookDelivery) -> None:
    delivery.status = DeliveryStatus.FAILED.value
    delivery.next_attempt_at = None
    delivery.queued_at = None


def start_attempt(session: Session, delivery_id: str, settings: Settings) -> Prepared | None:
    """Claim a due delivery and build its signed request, or None when there is nothing to
    send (already delivered, not due yet, endpoint gone or disabled)."""
    now = dbmod.now()
    delivery = _lock(session, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.PENDING.value:
        return None
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now + DUE_SLACK:
        return None  # a stale or duplicate message: the delivery is leased or scheduled later
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    event = session.get(Event, delivery.event_id)
    return lease(delivery, endpoint, event, now, settings)


def event_body(event: Event) -> bytes:
    """The exact bytes every endpoint receives (and the signature covers) for ``event``."""
    return json.dumps(EVENT.dump(event), separators=(",", ":")).encode()


def lease(
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint | None,
    event: Event | None,
    now: int,
    settings: Settings,
    *,
    body: bytes | None = None,
) -> Prepared | None:
    """Take the lease on a locked, due delivery and build its signed request; give up (and
    return None) when its endpoint or event is gone or the endpoint no longer takes events.
    ``body`` is the event's :func:`event_body` when the caller already built it."""
    if endpoint is None or event is None:
        _give_up(delivery)
        return None
    if endpoint.deleted or endpoint.status != EndpointStatus.ENABLED.value:
        _give_up(delivery)  # disabling or deleting an endpoint stops its retries
        return None
    policy = policy_for(settings, delivery.livemode)
    # The lease: until it runs out, duplicates skip this delivery and the sweep leaves it.
    delivery.next_attempt_at = now + policy.lease
    delivery.queued_at = now
    body = body if body is not None else event_body(event)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "dealerhub-webhooks/1.0",
        HEADER: sign_header(body, signing_secrets(endpoint, now), now),
    }
    return Prepared(delivery.id, endpoint.url, body, headers, policy.timeout, delivery.livemode)


@dataclass(frozen=True)
class Destination:
    """Where an attempt goes: the checked address to connect to (``None``: the operator
    allows private addresses, so the connection resolves the name itself), or why it must
    not be sent."""

    address: str | None = None
    refused: str | None = None


def check_destination(url: str, livemode: bool, settings: Settings) -> Destination:
    """Check ``url`` now (DNS answers change) and pin the address the attempt connects to."""
    try:
        address = destination(url, livemode=livemode, allow_private=settings.webhook_allow_private)
    except InvalidRequest as exc:
        return Destination(refused=exc.message)
    return Destination(address=address)


def finish_attempt(
    session: Session, prepared: Prepared, result: SendResult, settings: Settings
) -> str:
    """Record the attempt and decide what happens next; returns the delivery's status."""
    now = dbmod.now()
    session.add(attempt_row(prepared, result, now))
    delivery = _lock(session, prepared.delivery_id)
    if delivery is None:
        return "gone"
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if apply_result(session, delivery, endpoint, result, now, settings) and result.ok:
        decrement_pending(session, {delivery.event_id: 1})
    return delivery.status


def attempt_row(prepared: Prepared, result: SendResult, now: int) -> DeliveryAttempt:
    return DeliveryAttempt(
        id=new_id("whatt"),
        delivery_id=prepared.delivery_id,
        created=now,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        response_body=(result.body or "")[:RESPONSE_SNIPPET] or None,
        error=(result.error or "")[:200] or None,
    )


def apply_result(
    session: Session,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint | None,
    result: SendResult,
    now: int,
    settings: Settings,
    *,
    requeue: bool = True,
) -> bool:
    """Count one attempt on a locked delivery and move it on: delivered, retry later, or
    given up. Returns True when this attempt moved it to ``succeeded`` (the caller then
    decrements the event's ``pending_webhooks``, see :func:`decrement_pending`).
    ``requeue=False`` leaves handing a retry to the broker to the caller (batches send one
    signal for many retries)."""
    delivery.attempt_count += 1
    delivery.last_attempt_at = now
    if result.ok:
        return _succeed(delivery, endpoint, now)
    if delivery.status == DeliveryStatus.PENDING.value:
        policy = policy_for(settings, delivery.livemode)
        _schedule_retry(session, delivery, endpoint, now, policy, requeue=requeue)
    return False


def decrement_pending(session: Session, succeeded: Mapping[str, int]) -> None:
    """Lower ``pending_webhooks`` of each event by its count of newly delivered deliveries:
    one atomic UPDATE per distinct count (concurrent workers finish other deliveries of the
    same events), so a batch costs one or two statements, not one per delivery."""
    by_count: dict[int, list[str]] = {}
    for event_id, count in succeeded.items():
        by_count.setdefault(count, []).append(event_id)
    for count, event_ids in by_count.items():
        session.execute(
            update(Event)
            .where(col(Event.id).in_(event_ids))
            .values(pending_webhooks=col(Event.pending_webhooks) - count)
        )


def _succeed(delivery: WebhookDelivery, endpoint: WebhookEndpoint | None, now: int) -> bool:
    if endpoint is not None:
        endpoint.failing_since = None
    if delivery.status == DeliveryStatus.SUCCEEDED.value:
        return False  # a duplicate send of a delivered event: count it once
    delivery.status = DeliveryStatus.SUCCEEDED.value
    delivery.succeeded_at = now
    delivery.next_attempt_at = None
    delivery.queued_at = None
    return True


def _schedule_retry(
    session: Session,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint | None,
    now: int,
    policy: DeliveryPolicy,
    *,
    requeue: bool,
) -> None:
    if endpoint is not None and endpoint.status == EndpointStatus.ENABLED.value:
        if endpoint.failing_since is None:
            endpoint.failing_since = now
        elif now - endpoint.failing_since >= policy.disable_after:
            disable_for_failures(session, endpoint)
            _give_up(delivery)
            return
    deadline = delivery.created + policy.window
    if now >= deadline or endpoint is None or endpoint.status != EndpointStatus.ENABLED.value:
        _give_up(delivery)
        return
    # The last retry lands exactly at the end of the window, so an endpoint that failed all
    # along has then been failing for the whole window and gets disabled.
    when = min(now + policy.delay(delivery.attempt_count), deadline)
    delivery.next_attempt_at = when
    # Inline (eager) mode cannot wait for a countdown: the sweep hands those over instead.
    if when - now <= policy.countdown_max and not celery.conf.task_always_eager:
        delivery.queued_at = when  # a broker message (ours, or the batch's signal) covers it
        if requeue:
            enqueue_after_commit(session, jobs.DELIVER, delivery.id, countdown=when - now)
    else:
        delivery.queued_at = None  # the sweep hands it over when due


def sweep(session: Session, settings: Settings, *, limit: int = 500) -> list[str]:
    """Hand the broker a "work is waiting" signal for due pending deliveries whose signal is
    presumed lost: never queued, or queued (or leased) longer ago than the lease period.
    Marks them queued now and returns their ids; the drain task claims them from the table."""
    now = dbmod.now()
    lease_seconds = policy_for(settings, True).lease
    stmt = (
        select(WebhookDelivery)
        .where(
            col(WebhookDelivery.status) == DeliveryStatus.PENDING.value,
            col(WebhookDelivery.next_attempt_at) <= now,
            or_(
                col(WebhookDelivery.queued_at).is_(None),
                col(WebhookDelivery.queued_at) <= now - lease_seconds,
            ),
        )
        .order_by(col(WebhookDelivery.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = []
    for delivery in session.scalars(stmt):
        delivery.queued_at = now
        ids.append(delivery.id)
    if ids:
        # One signal per batch's worth, so several workers can drain a large backlog at once.
        batch = pipeline_options(settings).batch_size
        for _ in range(-(-len(ids) // batch)):
            enqueue_after_commit(session, jobs.DRAIN)
        log.info("sweep signalled %d webhook deliveries", len(ids))
    return ids
