"""Processor webhooks for payments: a bank debit or a refund has settled or failed.

A webhook is only a nudge. The handler finds the attempt by the processor's reference and
runs the same ``settle`` as the background job, which asks the processor for the outcome
(``sync``): a forged or stale notice cannot move money, and a duplicate changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from dealerhub.events.models import InboundEvent
from dealerhub.payments.common import PaymentsConfig
from dealerhub.payments.intents import settle
from dealerhub.payments.models import Charge, Refund
from dealerhub.payments.refunds import settle_refund
from dealerhub.tasks import flask_app

# Event types the sandbox processor sends (docs/sandbox.md); real gateways map theirs here.
CHARGE_EVENTS = ("charge.settled", "charge.returned")
REFUND_EVENTS = ("refund.settled", "refund.failed")


def _reference(event: InboundEvent) -> str | None:
    if event.reference:
        return event.reference
    # Stored before the reference column existed: only the sandbox sent notices then.
    obj: Any = event.payload.get("data", {}).get("object", {})
    ref = obj.get("reference") if isinstance(obj, dict) else None
    return ref if isinstance(ref, str) and ref else None


def _scoped(stmt: Any, model: Any, event: InboundEvent) -> Any:
    # A reference only means something to the processor that issued it.
    stmt = stmt.where(
        col(model.livemode) == event.livemode, col(model.processor) == event.processor
    )
    return stmt.where(col(model.dealer_id) == event.dealer_id) if event.dealer_id else stmt


def apply_charge_notice(session: Session, event: InboundEvent) -> None:
    ref = _reference(event)
    stmt = _scoped(select(Charge).where(col(Charge.processor_reference) == ref), Charge, event)
    charge = session.scalars(stmt).first() if ref else None
    if charge is not None:
        app = flask_app()
        config = PaymentsConfig.from_settings(app.extensions["settings"])
        settle(
            session,
            config,
            charge.payment_intent_id,
            processors=app.extensions["connectors"].processors_for(session),
        )


def apply_refund_notice(session: Session, event: InboundEvent) -> None:
    ref = _reference(event)
    stmt = _scoped(select(Refund).where(col(Refund.processor_reference) == ref), Refund, event)
    refund = session.scalars(stmt).first() if ref else None
    if refund is not None:
        registry = flask_app().extensions["connectors"]
        settle_refund(session, refund.id, processors=registry.processors_for(session))
