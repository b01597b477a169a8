"""One delivery attempt, in three steps so no transaction stays open during the HTTP call:

1. :func:`start_attempt` (transaction): lock the delivery, check it is still due, take a
   lease by pushing ``next_attempt_at`` forward, and build the signed request.
2. the task POSTs it (``events/sender.py``).
3. :func:`finish_attempt` (transaction): record the attempt, then succeed, schedule the next
   retry, give up after the retry window, or disable an endpoint failing for too long.

:func:`sweep` hands the broker due deliveries whose message was lost (broker down, worker
killed mid-delivery). Delivery is at least once: duplicates are possible, loss is not.
"""

from __future__ import annotations

import json
import logging
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
from dealerhub.events.policy import DeliveryPolicy, policy_for
from dealerhub.events.schemas import EVENT
from dealerhub.events.urls import check_url
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
    body = json.dumps(EVENT.dump(event), separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "dealerhub-webhooks/1.0",
        HEADER: sign_header(body, signing_secrets(endpoint, now), now),
    }
    return Prepared(delivery.id, endpoint.url, body, headers, policy.timeout, delivery.livemode)


def check_destination(url: str, livemode: bool, settings: Settings) -> str | None:
    """The reason an attempt must not go to ``url`` now, or None when it may."""
    try:
        check_url(url, livemode=livemode, allow_private=settings.webhook_allow_private)
    except InvalidRequest as exc:
        return exc.message
    return None


def finish_attempt(
    session: Session, prepared: Prepared, result: SendResult, settings: Settings
) -> str:
    """Record the attempt and decide what happens next; returns the delivery's status."""
    now = dbmod.now()
    session.add(
        DeliveryAttempt(
            id=new_id("whatt"),
            delivery_id=prepared.delivery_id,
            created=now,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            response_body=(result.body or "")[:RESPONSE_SNIPPET] or None,
            error=(result.error or "")[:200] or None,
        )
    )
    delivery = _lock(session, prepared.delivery_id)
    if delivery is None:
        return "gone"
    delivery.attempt_count += 1
    delivery.last_attempt_at = now
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if result.ok:
        _succeed(session, delivery, endpoint, now)
    elif delivery.status == DeliveryStatus.PENDING.value:
        _schedule_retry(session, delivery, endpoint, now, policy_for(settings, delivery.livemode))
    return delivery.status


def _succeed(
    session: Session, delivery: WebhookDelivery, endpoint: WebhookEndpoint | None, now: int
) -> None:
    if endpoint is not None:
        endpoint.failing_since = None
    if delivery.status == DeliveryStatus.SUCCEEDED.value:
        return  # a duplicate send of a delivered event: count it once
    delivery.status = DeliveryStatus.SUCCEEDED.value
    delivery.succeeded_at = now
    delivery.next_attempt_at = None
    delivery.queued_at = None
    # Atomic decrement: concurrent workers finish other deliveries of the same event.
    session.execute(
        update(Event)
        .where(col(Event.id) == delivery.event_id)
        .values(pending_webhooks=col(Event.pending_webhooks) - 1)
    )


def _schedule_retry(
    session: Session,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint | None,
    now: int,
    policy: DeliveryPolicy,
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
        delivery.queued_at = when
        enqueue_after_commit(session, jobs.DELIVER, delivery.id, countdown=when - now)
    else:
        delivery.queued_at = None  # the sweep hands it over when due


def sweep(session: Session, settings: Settings, *, limit: int = 500) -> list[str]:
    """Re-enqueue due pending deliveries whose broker message is presumed lost: never
    queued, or queued (or leased) longer ago than the lease period."""
    now = dbmod.now()
    lease = policy_for(settings, True).lease
    stmt = (
        select(WebhookDelivery)
        .where(
            col(WebhookDelivery.status) == DeliveryStatus.PENDING.value,
            col(WebhookDelivery.next_attempt_at) <= now,
            or_(
                col(WebhookDelivery.queued_at).is_(None),
                col(WebhookDelivery.queued_at) <= now - lease,
            ),
        )
        .order_by(col(WebhookDelivery.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = []
    for delivery in session.scalars(stmt):
        delivery.queued_at = now
        enqueue_after_commit(session, jobs.DELIVER, delivery.id)
        ids.append(delivery.id)
    if ids:
        log.info("sweep re-enqueued %d webhook deliveries", len(ids))
    return ids
