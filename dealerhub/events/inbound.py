"""Inbound processor webhooks (``POST /payment/webhooks``).

A processor (chosen by ``?processor=`` or the ``Dealerhub-Processor`` header) verifies the
signature over the raw body and parses the message. The message is stored once per
(processor, event id) and applied later by a task through handlers that other areas
register, e.g.::

    register_inbound_handler("payment_intent.processing_settled", settle_bank_debit)

Adding a real gateway is one :func:`register_processor` call with its verifier/parser.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub import db as dbmod
from dealerhub.config import Settings
from dealerhub.db import new_id
from dealerhub.errors import InvalidRequest
from dealerhub.events.models import InboundEvent, InboundStatus
from dealerhub.events.policy import policy_for
from dealerhub.tasks import enqueue_after_commit
from dealerhub.webhooks import HEADER, SignatureVerificationError, verify

log = logging.getLogger(__name__)

PROCESSOR_HEADER = "Dealerhub-Processor"


class InvalidSignature(InvalidRequest):
    code = "signature_invalid"


@dataclass(frozen=True)
class InboundMessage:
    event_id: str
    type: str
    livemode: bool
    dealer_id: str | None
    payload: dict[str, Any]


class InboundProcessor(Protocol):
    def parse(self, raw: bytes, headers: Mapping[str, str], settings: Settings) -> InboundMessage:
        """Verify the signature over ``raw`` and parse it; raise :class:`InvalidSignature`
        or :class:`InvalidRequest` when it is not a genuine, well-formed message."""


def header(headers: Mapping[str, str], name: str) -> str:
    """A header value looked up case-insensitively ("" when absent)."""
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), "")


def _json_object(raw: bytes) -> dict[str, Any]:
    import json

    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise InvalidRequest("The body is not valid JSON.", code="body_invalid") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("The body must be a JSON object.", code="body_invalid")
    return body


# Development and test only: production must set DEALERHUB_SANDBOX_WEBHOOK_SECRET.
SANDBOX_DEFAULT_SECRET = "whsec_sandbox_processor_test_secret"  # noqa: S105 - documented test value


class SandboxProcessor:
    """The sandbox processor signs exactly like the hub signs its own webhooks."""

    def parse(self, raw: bytes, headers: Mapping[str, str], settings: Settings) -> InboundMessage:
        secret = settings.option("SANDBOX_WEBHOOK_SECRET")
        if not secret and not settings.is_production:
            secret = SANDBOX_DEFAULT_SECRET
        if not secret:
            raise InvalidSignature("The sandbox processor has no webhook secret configured.")
        try:
            verify(raw, header(headers, HEADER), secret)
        except SignatureVerificationError as exc:
            raise InvalidSignature(f"Invalid signature: {exc}") from exc
        body = _json_object(raw)
        event_id, type_ = body.get("id"), body.get("type")
        if not isinstance(event_id, str) or not event_id or len(event_id) > 255:
            raise InvalidRequest("The event has no valid id.", param="id")
        if not isinstance(type_, str) or not type_ or len(type_) > 120:
            raise InvalidRequest("The event has no valid type.", param="type")
        account = body.get("account")
        return InboundMessage(
            event_id=event_id,
            type=type_,
            livemode=bool(body.get("livemode", False)),
            dealer_id=account if isinstance(account, str) else None,
            payload=body,
        )


PROCESSORS: dict[str, InboundProcessor] = {"sandbox": SandboxProcessor()}

InboundHandler = Callable[[Session, InboundEvent], None]
HANDLERS: dict[str, InboundHandler] = {}


def register_processor(name: str, processor: InboundProcessor) -> None:
    PROCESSORS[name] = processor


def register_inbound_handler(type_: str, handler: InboundHandler) -> None:
    """Have ``handler(session, inbound_event)`` apply inbound events of ``type_``. It runs in
    the task's transaction; raise an error with ``retryable=True`` to be retried."""
    HANDLERS[type_] = handler


def unregister_inbound_handler(type_: str) -> None:
    HANDLERS.pop(type_, None)


def receive(
    session: Session,
    settings: Settings,
    processor_name: str | None,
    raw: bytes,
    headers: Mapping[str, str],
) -> dict[str, Any]:
    """Verify, store once, enqueue the apply task; duplicates are acknowledged and ignored."""
    if not processor_name:
        raise InvalidRequest(
            f"Name the processor with ?processor= or the {PROCESSOR_HEADER} header.",
            param="processor",
        )
    processor = PROCESSORS.get(processor_name)
    if processor is None:
        raise InvalidRequest(f"Unknown processor: {processor_name!r}", param="processor")
    message = processor.parse(raw, headers, settings)
    existing = _find(session, processor_name, message.event_id)
    if existing is not None:
        return {"received": True, "duplicate": True, "id": existing.id}
    row = InboundEvent(
        id=new_id("ievt"),
        processor=processor_name,
        processor_event_id=message.event_id,
        type=message.type,
        livemode=message.livemode,
        dealer_id=message.dealer_id,
        payload=message.payload,
        received=dbmod.now(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # A concurrent delivery of the same event won the insert.
        found = _find(session, processor_name, message.event_id)
        return {"received": True, "duplicate": True, "id": found.id if found else None}
    from dealerhub.events.tasks import apply_inbound

    enqueue_after_commit(session, apply_inbound, row.id)
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
    from dealerhub.events.tasks import apply_inbound

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
        enqueue_after_commit(session, apply_inbound, inbound_id)
    return ids
