"""Recording events. Every area calls :func:`record_event` inside the transaction that makes
the change, so the event exists if and only if the change does (the outbox pattern)."""

from __future__ import annotations

import contextvars
from typing import Any

from sqlalchemy.orm import Session

from dealerhub.db import new_id
from dealerhub.events.models import Event
from dealerhub.logs import request_id_var
from dealerhub.tenancy import Tenant

idempotency_key_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "idempotency_key", default=None
)


def record_event(
    session: Session,
    tenant: Tenant,
    type_: str,
    obj: dict[str, Any],
    *,
    previous_attributes: dict[str, Any] | None = None,
) -> Event:
    """Add an event row carrying a snapshot of ``obj`` (already masked: no raw PII)."""
    data: dict[str, Any] = {"object": obj}
    if previous_attributes:
        data["previous_attributes"] = previous_attributes
    event = Event(
        id=new_id("evt"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        type=type_,
        data=data,
        request_id=request_id_var.get(),
        idempotency_key=idempotency_key_var.get(),
    )
    session.add(event)
    return event


def event_payload(event: Event) -> dict[str, Any]:
    """The public Event object."""
    return {
        "id": event.id,
        "object": "event",
        "type": event.type,
        "created": event.created,
        "livemode": event.livemode,
        "data": event.data,
        "request": {"id": event.request_id, "idempotency_key": event.idempotency_key},
        "pending_webhooks": event.pending_webhooks,
    }
