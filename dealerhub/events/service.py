"""Recording and querying events. Every area calls :func:`record_event` inside the
transaction that makes the change, so the event, and one delivery row per matching webhook
endpoint, exist if and only if the change does (the outbox pattern). Deliveries are handed
to the broker after the commit; the periodic sweep re-sends whatever never got there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub import db as dbmod
from dealerhub.context import idempotency_key_var, request_id_var
from dealerhub.db import new_id
from dealerhub.errors import InvalidRequest
from dealerhub.events import jobs, outbox
from dealerhub.events.models import (
    DeliveryAttempt,
    DeliveryStatus,
    EndpointStatus,
    Event,
    WebhookDelivery,
    WebhookEndpoint,
)
from dealerhub.events.patterns import is_pattern, to_like
from dealerhub.pagination import paginate
from dealerhub.tasks import enqueue_after_commit
from dealerhub.tenancy import Tenant, get_owned, scoped


def _now() -> int:
    return dbmod.now()  # looked up at call time so tests can freeze dealerhub.db.now


def record_event(
    session: Session,
    tenant: Tenant,
    type_: str,
    obj: dict[str, Any],
    *,
    previous_attributes: dict[str, Any] | None = None,
) -> str:
    """Record an event carrying a snapshot of ``obj`` (already masked: no raw PII), with a
    pending delivery per matching enabled endpoint, in the session's transaction (see
    :mod:`dealerhub.events.outbox`). Returns the event id."""
    data: dict[str, Any] = {"object": obj}
    if previous_attributes:
        data["previous_attributes"] = previous_attributes
    event_id = new_id("evt")
    outbox.record(
        session,
        tenant,
        {
            "id": event_id,
            "dealer_id": tenant.dealer_id,
            "livemode": tenant.livemode,
            "created": _now(),
            "type": type_,
            "data": data,
            "request_id": request_id_var.get(),
            "idempotency_key": idempotency_key_var.get(),
        },
    )
    return event_id


def list_events(
    session: Session, tenant: Tenant, args: Mapping[str, Any], *, url: str
) -> dict[str, Any]:
    stmt = scoped(Event, tenant)
    type_ = args.get("type")
    types = args.get("types")
    if type_ and types:
        raise InvalidRequest("You may pass either type or types[], not both.", param="types")
    if type_:
        if is_pattern(type_):
            stmt = stmt.where(col(Event.type).like(to_like(type_), escape="\\"))
        else:
            stmt = stmt.where(col(Event.type) == type_)
    elif types:
        stmt = stmt.where(col(Event.type).in_(types))
    success = args.get("delivery_success")
    if success is True:
        stmt = stmt.where(col(Event.pending_webhooks) == 0)
    elif success is False:
        stmt = stmt.where(col(Event.pending_webhooks) > 0)
    return paginate(session, stmt, Event, args, url=url)


def get_event(session: Session, tenant: Tenant, event_id: str) -> Event:
    return get_owned(session, Event, event_id, tenant)


def attempts_of(session: Session, delivery: WebhookDelivery) -> list[DeliveryAttempt]:
    """A delivery's attempts, oldest first; :func:`list_deliveries` loads them for all its
    deliveries at once (cached on the session), other callers query here."""
    cache: dict[str, list[DeliveryAttempt]] = session.info.setdefault("delivery_attempts", {})
    if delivery.id not in cache:
        cache[delivery.id] = list(
            session.scalars(
                select(DeliveryAttempt)
                .where(col(DeliveryAttempt.delivery_id) == delivery.id)
                .order_by(col(DeliveryAttempt.created), col(DeliveryAttempt.id))
            )
        )
    return cache[delivery.id]


def list_deliveries(session: Session, tenant: Tenant, event_id: str, *, url: str) -> dict[str, Any]:
    """Every delivery of one event (one per endpoint) with all its attempts, oldest first."""
    event = get_event(session, tenant, event_id)
    deliveries = list(
        session.scalars(
            scoped(WebhookDelivery, tenant)
            .where(col(WebhookDelivery.event_id) == event.id)
            .order_by(col(WebhookDelivery.created), col(WebhookDelivery.id))
        )
    )
    by_delivery: dict[str, list[DeliveryAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        attempts = session.scalars(
            select(DeliveryAttempt)
            .where(col(DeliveryAttempt.delivery_id).in_(list(by_delivery)))
            .order_by(col(DeliveryAttempt.created), col(DeliveryAttempt.id))
        )
        for attempt in attempts:
            by_delivery[attempt.delivery_id].append(attempt)
    session.info.setdefault("delivery_attempts", {}).update(by_delivery)
    return {"object": "list", "data": deliveries, "has_more": False, "url": url}


def retry_event(session: Session, tenant: Tenant, event_id: str) -> Event:
    """Re-send now every delivery of the event that has not succeeded, to endpoints that are
    still enabled."""
    event = get_event(session, tenant, event_id)
    now = _now()
    stmt = (
        scoped(WebhookDelivery, tenant)
        .where(
            col(WebhookDelivery.event_id) == event.id,
            col(WebhookDelivery.status) != DeliveryStatus.SUCCEEDED.value,
        )
        .with_for_update()
    )
    for delivery in session.scalars(stmt):
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        if endpoint is None or endpoint.deleted or endpoint.status != EndpointStatus.ENABLED:
            continue
        delivery.status = DeliveryStatus.PENDING.value
        delivery.next_attempt_at = now
        delivery.queued_at = now
        enqueue_after_commit(session, jobs.DELIVER, delivery.id)
    return event


def purge_events(session: Session, older_than: int) -> int:
    """Delete events created before ``older_than`` with their deliveries and attempts."""
    old = select(col(Event.id)).where(col(Event.created) < older_than)
    old_deliveries = select(col(WebhookDelivery.id)).where(col(WebhookDelivery.event_id).in_(old))
    session.execute(
        delete(DeliveryAttempt).where(col(DeliveryAttempt.delivery_id).in_(old_deliveries))
    )
    session.execute(delete(WebhookDelivery).where(col(WebhookDelivery.event_id).in_(old)))
    result = session.execute(delete(Event).where(col(Event.created) < older_than))
    return int(getattr(result, "rowcount", 0) or 0)
