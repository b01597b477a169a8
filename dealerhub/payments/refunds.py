"""Refunds: partial and repeated, never more than the amount received. The intent row is
locked for every refund, so concurrent refunds serialise on it."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.connectors.processors.base import AttemptStatus
from dealerhub.db import new_id
from dealerhub.errors import InvalidRequest, InvalidState
from dealerhub.events.service import record_event
from dealerhub.payments import attempts, jobs
from dealerhub.payments.common import Processors, merge_metadata, require_flow
from dealerhub.payments.models import Charge, PaymentIntent, Refund
from dealerhub.payments.response_schemas import CHARGE, REFUND
from dealerhub.payments.states import REFUND_TRANSITIONS, PIStatus, RefundStatus, move
from dealerhub.tasks import enqueue_after_commit
from dealerhub.tenancy import Tenant, get_owned, scoped

log = logging.getLogger(__name__)


def _money(amount: int, currency: str) -> str:
    return f"{amount / 100:,.2f} {currency.upper()}"


def create_refund(
    session: Session, tenant: Tenant, data: dict[str, Any], *, processors: Processors
) -> Refund:
    pi = get_owned(
        session,
        PaymentIntent,
        data["payment_intent"],
        tenant,
        name="payment_intent",
        for_update=True,
        param="payment_intent",
    )
    if pi.status != PIStatus.SUCCEEDED:
        raise InvalidState(
            f"This PaymentIntent cannot be refunded because it has a status of {pi.status}; "
            "only succeeded payments can be refunded (cancel uncaptured ones instead).",
            param="payment_intent",
            code="payment_intent_unexpected_state",
        )
    refundable = pi.amount_received - pi.amount_refunded
    if refundable <= 0:
        raise InvalidRequest(
            f"PaymentIntent {pi.id} has already been refunded.",
            param="payment_intent",
            code="charge_already_refunded",
        )
    amount = data.get("amount", refundable)
    if amount > refundable:
        raise InvalidRequest(
            f"Refund amount ({_money(amount, pi.currency)}) is greater than unrefunded amount "
            f"on charge ({_money(refundable, pi.currency)}); refundable amount: {refundable}.",
            param="amount",
            code="amount_too_large",
            refundable_amount=refundable,
        )
    charge = get_owned(session, Charge, pi.latest_charge_id or "", tenant, for_update=True)
    processor = processors.named(tenant, charge.processor)
    caps = processor.capabilities
    require_flow(
        processor, amount == pi.amount_received or caps.partial_refund, "refund partially", "amount"
    )
    require_flow(
        processor,
        pi.amount_refunded == 0 or caps.multiple_refunds,
        "refund a payment more than once",
        "amount",
    )
    refund = Refund(
        id=new_id("re"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        payment_intent_id=pi.id,
        charge_id=charge.id,
        amount=amount,
        currency=pi.currency,
        status=RefundStatus.PENDING,
        reason=data.get("reason"),
        processor=processor.name,
        metadata_=merge_metadata({}, data.get("metadata")),
    )
    session.add(refund)
    try:
        result = attempts.refund(
            processor, charge.processor_reference or "", amount, refund_id=refund.id
        )
    except attempts.ProcessingError as exc:
        refund.status = RefundStatus.FAILED
        refund.failure_reason = exc.code
        session.flush()
        record_event(session, tenant, "refund.created", REFUND.dump(refund))
        raise
    # An unknown answer stays pending (the amount reserved) until the sync job learns more.
    refund.processor_reference = result.reference
    # Pending refunds reserve their amount too: the money is on its way back.
    pi.amount_refunded += amount
    charge.amount_refunded += amount
    if result.status == AttemptStatus.SUCCEEDED:
        refund.status = RefundStatus.SUCCEEDED
    elif result.status == AttemptStatus.DECLINED:
        refund.status = RefundStatus.FAILED
        refund.failure_reason = result.failure_code or "unknown"
        pi.amount_refunded -= amount
        charge.amount_refunded -= amount
    session.flush()
    record_event(session, tenant, "refund.created", REFUND.dump(refund))
    if refund.status == RefundStatus.SUCCEEDED:
        record_event(session, tenant, "charge.refunded", CHARGE.dump(charge))
    elif refund.status == RefundStatus.PENDING:
        enqueue_after_commit(session, jobs.SETTLE_REFUND, refund.id, countdown=2)
    return refund


def get_refund(session: Session, tenant: Tenant, refund_id: str) -> Refund:
    return get_owned(session, Refund, refund_id, tenant, name="refund")


def list_stmt(tenant: Tenant, payment_intent: str | None) -> Any:
    stmt = scoped(Refund, tenant)
    if payment_intent:
        stmt = stmt.where(col(Refund.payment_intent_id) == payment_intent)
    return stmt


def _locked(
    session: Session, tenant: Tenant, refund_id: str
) -> tuple[Refund, PaymentIntent, Charge]:
    refund = get_owned(session, Refund, refund_id, tenant, name="refund")
    pi = get_owned(session, PaymentIntent, refund.payment_intent_id, tenant, for_update=True)
    refund = get_owned(session, Refund, refund_id, tenant, for_update=True)
    session.refresh(refund)
    charge = get_owned(session, Charge, refund.charge_id, tenant, for_update=True)
    return refund, pi, charge


def _release(pi: PaymentIntent, charge: Charge, refund: Refund) -> None:
    pi.amount_refunded -= refund.amount
    charge.amount_refunded -= refund.amount


def cancel_refund(session: Session, tenant: Tenant, refund_id: str) -> Refund:
    refund, pi, charge = _locked(session, tenant, refund_id)
    move(REFUND_TRANSITIONS, refund, "cancel", RefundStatus.CANCELED, label="refund")
    _release(pi, charge, refund)
    session.flush()
    record_event(
        session,
        tenant,
        "refund.updated",
        REFUND.dump(refund),
        previous_attributes={"status": RefundStatus.PENDING},
    )
    return refund


def settle_refund(session: Session, refund_id: str, *, processors: Processors) -> Refund | None:
    """Background: ask the processor how a pending refund ended. Idempotent."""
    row = session.get(Refund, refund_id)
    if row is None:
        return None
    tenant = Tenant(row.dealer_id, row.livemode)
    refund, pi, charge = _locked(session, tenant, refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund
    processor = processors.named(tenant, refund.processor)
    if refund.processor_reference is None and not processor.capabilities.refund_lookup:
        # The refund's answer was lost and this gateway cannot find a refund by our id: it
        # may have happened. Never guess either way (a refund marked failed invites a second
        # one); it stays pending for the dealer to check at the gateway.
        log.warning(
            "refund %s at %s: outcome unknown and not searchable; left pending for review",
            refund.id,
            processor.name,
        )
        return refund
    result = attempts.sync(processor, refund.processor_reference, attempt_id=refund.id)
    refund.processor_reference = refund.processor_reference or result.reference
    if result.status == AttemptStatus.SUCCEEDED:
        move(REFUND_TRANSITIONS, refund, "settle", RefundStatus.SUCCEEDED, label="refund")
    elif result.status == AttemptStatus.DECLINED:
        move(REFUND_TRANSITIONS, refund, "settle", RefundStatus.FAILED, label="refund")
        refund.failure_reason = result.failure_code or "unknown"
        _release(pi, charge, refund)
    else:
        return refund
    session.flush()
    previous = {"status": RefundStatus.PENDING}
    record_event(
        session, tenant, "refund.updated", REFUND.dump(refund), previous_attributes=previous
    )
    if refund.status == RefundStatus.FAILED:
        record_event(session, tenant, "refund.failed", REFUND.dump(refund))
    else:
        record_event(session, tenant, "charge.refunded", CHARGE.dump(charge))
    return refund
