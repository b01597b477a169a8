"""Inbound processor webhooks (``POST /payment/webhooks``).

The processor named by ``?processor=`` or the ``Dealerhub-Processor`` header verifies the
signature over the raw body and parses the message (``PaymentProcessor.parse_webhook``: the
same connector that makes the payments reads its webhooks). The message is stored once per
(processor, event id) and applied later by a task through handlers that other areas
register in their ``init_app``, e.g.::

    register_inbound_handler("charge.settled", apply_charge_notice)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub import db as dbmod
from dealerhub.config import Settings
from dealerhub.connectors.base import ConnectorError, WebhookRejected
from dealerhub.connectors.processors.base import PaymentProcessor
from dealerhub.db import new_id
from dealerhub.errors import InvalidRequest, ProviderError
from dealerhub.events import jobs
from dealerhub.events.models import InboundEvent, InboundStatus
from dealerhub.events.policy import policy_for
from dealerhub.tasks import enqueue_after_commit
from dealerhub.tenancy import Tenant

log = logging.getLogger(__name__)

PROCESSOR_HEADER = "Dealerhub-Processor"


class InvalidSignature(InvalidRequest):
    code = "signature_invalid"


InboundHandler = Callable[[Session, InboundEvent], None]
HANDLERS: dict[str, InboundHandler] = {}


def register_inbound_handler(type_: str, handler: InboundHandler) -> None:
    """Have ``handler(session, inbound_event)`` apply inbound events of ``type_``. It runs in
    the task's transaction; raise an error with ``retryable=True`` to be retried."""
    HANDLERS[type_] = handler


def unregister_inbound_handler(type_: str) -> None:
    HANDLERS.pop(type_, None)


def receive(
    session: Session,
    processor_name: str | None,
    processor: PaymentProcessor | None,
    raw: bytes,
    headers: Mapping[str, str],
    *,
    owner: Tenant | None = None,
) -> dict[str, Any]:
    """Verify, store once, enqueue the apply task; duplicates are acknowledged and ignored.
    ``processor`` is the one ``processor_name`` names (``None``: there is none); ``owner`` is
    the dealer and mode whose gateway credentials verified it (a live gateway's notice)."""
    if not processor_name:
        raise InvalidRequest(
            f"Name the processor with ?processor= or the {PROCESSOR_HEADER} header.",
            param="processor",
        )
    if processor is None:
        raise InvalidRequest(f"Unknown processor: {processor_name!r}", param="processor")
    try:
        message = processor.parse_webhook(headers, raw)
    except WebhookRejected as exc:
        if exc.vendor_code == "signature_invalid":
            raise InvalidSignature(exc.message) from exc
        raise InvalidRequest(exc.message, code=exc.vendor_code, param=exc.param) from exc
    except ConnectorError as exc:
        # Verification needed the gateway (a read-back) and it did not answer: the vendor
        # retries a notice that was not acknowledged.
        raise ProviderError(
            f"The {processor_name} gateway could not be reached to verify this notice.",
            retryable=True,
        ) from exc
    existing = _find(session, processor_name, message.event_id)
    if existing is not None:
        return {"received": True, "duplicate": True, "id": existing.id}
    row = InboundEvent(
        id=new_id("ievt"),
        processor=processor_name,
        processor_event_id=message.event_id,
        type=message.type,
        livemode=owner.livemode if owner else message.livemode,
        dealer_id=owner.dealer_id if owner else message.account,
        payload=dict(message.payload),
        reference=message.reference,
        received=dbmod.now(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # A concurrent delivery of the same event won the insert.
        found = _find(session, processor_name, message.event_id)
        return {"received": True, "duplicate": True, "id": found.id if found else None}
    enqueue_after_commit(session, jobs.APPLY_INBOUND, row.id)
    return {"received": True, "duplicate": False, "id": row.id}


def _find(session: Session, processor: str, event_id: str) -> InboundEvent | None:
    stmt = select(InboundEvent).where(
        col(InboundEvent.processor) == processor,
        col(InboundEvent.processor_event_id) == event_id,
    )
    return session.scalars(stmt).first()


def apply_inbound_event(session: Session, inbound_id: str) -> str:
    """Apply a stored inbound event once; returns its status."""
    stmt = select(InboundEvent).where(col(InboundEvent.id) == inbound_id).with_for_update()
    row = session.scalars(stmt).first()
    if row is None:
        return "gone"
    if row.status != InboundStatus.RECEIVED.value:
        return row.status
    handler = HANDLERS.get(row.type)
    if handler is None:
        row.status = InboundStatus.IGNORED.value
        row.applied_at = dbmod.now()
        return row.status
    try:
        with session.begin_nested():
            handler(session, row)
    except Exception as exc:
        if getattr(exc, "retryable", False):
            raise
        # The class name only: messages may quote customer data.
        log.warning("inbound %s (%s) failed: %s", row.id, row.type, type(exc).__name__)
        row.status = InboundStatus.FAILED.value
        row.error = type(exc).__name__
        return row.status
    row.status = InboundStatus.APPLIED.value
    row.applied_at = dbmod.now()
    return row.status


def sweep_inbound(session: Session, settings: Settings, *, limit: int = 500) -> list[str]:
    """Re-enqueue inbound events still unapplied after the lease period."""
    cutoff = dbmod.now() - policy_for(settings, True).lease
    stmt = (
        select(col(InboundEvent.id))
        .where(
            col(InboundEvent.status) == InboundStatus.RECEIVED.value,
            col(InboundEvent.received) <= cutoff,
        )
        .limit(limit)
    )
    ids = list(session.scalars(stmt))
    for inbound_id in ids:
        enqueue_after_commit(session, jobs.APPLY_INBOUND, inbound_id)
    return ids
