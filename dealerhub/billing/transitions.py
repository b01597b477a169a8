"""An invoice's life after the draft: finalize, pay (automatically, on demand, out of band or
on the hosted page), send, void and mark uncollectible.

Each action locks the invoice row and checks the transition table first. Money moves only
through the payments area's PaymentIntents (``intents.create_intent`` / ``confirm_intent``
with the ``processors`` the caller hands in), never by calling a processor here, and an
invoice is paid only once its intent has succeeded.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.billing import jobs, numbering, states
from dealerhub.billing.invoices import event, get_invoice
from dealerhub.billing.models import Invoice, InvoiceEmail
from dealerhub.customers.service import get_customer
from dealerhub.db import new_id, now
from dealerhub.dealers.service import get_dealer
from dealerhub.errors import CardDeclined, InvalidRequest, InvalidState, NotFound
from dealerhub.payments import intents, methods
from dealerhub.payments.attempts import ProcessingError
from dealerhub.payments.common import PaymentsConfig, Processors
from dealerhub.payments.models import PaymentIntent
from dealerhub.payments.states import PIStatus
from dealerhub.tasks import enqueue_after_commit
from dealerhub.tenancy import Tenant

S = states.InvoiceStatus
DAY = 86400
# An intent in these states may still take money: the invoice waits for it.
_IN_FLIGHT = frozenset({PIStatus.PROCESSING, PIStatus.REQUIRES_CAPTURE})
_CANCELABLE = frozenset(
    {PIStatus.REQUIRES_PAYMENT_METHOD, PIStatus.REQUIRES_CONFIRMATION, PIStatus.REQUIRES_ACTION}
)


def _move(invoice: Invoice, action: str) -> None:
    states.check(invoice.status, invoice.id, action)
    to = states.target(action)
    if to is not None:
        invoice.status = to
    invoice.updated = now()


# -- finalize --------------------------------------------------------------------------------


def _finalize_locked(
    session: Session, tenant: Tenant, invoice: Invoice, config: PaymentsConfig
) -> None:
    """Number the draft (gapless, under the counter's lock), set its due date and hosted
    links and open it; an invoice for nothing is paid at once."""
    _move(invoice, "finalize")
    at = now()
    dealer = get_dealer(session=session, dealer_id=tenant.dealer_id)
    invoice.number = numbering.next_number(session, tenant, dealer.name)
    invoice.finalized_at = at
    if invoice.collection_method == "send_invoice" and invoice.due_date is None:
        invoice.due_date = at + (invoice.days_until_due or 0) * DAY
    invoice.hosted_token = secrets.token_urlsafe(32)
    invoice.hosted_invoice_url = f"{config.public_url}/invoices/hosted/{invoice.hosted_token}"
    invoice.invoice_pdf = f"{invoice.hosted_invoice_url}/pdf"
    event(session, tenant, invoice, "invoice.finalized")
    if invoice.amount_due == 0:
        _mark_paid(session, tenant, invoice, 0)


def finalize_invoice(
    session: Session,
    tenant: Tenant,
    invoice_id: str,
    *,
    processors: Processors,
    config: PaymentsConfig,
) -> Invoice:
    """Finalize a draft; an automatically collected one is then charged to the default
    payment method (a failure leaves it open with ``last_finalization_error``)."""
    invoice = get_invoice(session, tenant, invoice_id, for_update=True)
    _finalize_locked(session, tenant, invoice, config)
    if invoice.collection_method == "charge_automatically" and invoice.status == S.OPEN:
        _collect_default(session, tenant, invoice, processors=processors, config=config)
    return invoice


def _default_payment_method(session: Session, tenant: Tenant, invoice: Invoice) -> str | None:
    if invoice.default_payment_method:
        return invoice.default_payment_method
    customer = get_customer(session, tenant, invoice.customer_id)
    return customer.default_payment_method


def _collect_default(
    session: Session,
    tenant: Tenant,
    invoice: Invoice,
    *,
    processors: Processors,
    config: PaymentsConfig,
) -> None:
    pm_id = _default_payment_method(session, tenant, invoice)
    if pm_id is None:
        invoice.last_finalization_error = {
            "type": "invalid_request_error",
            "code": "invoice_no_payment_method",
            "decline_code": None,
            "message": "The customer has no default payment method to charge.",
            "payment_intent": None,
        }
        event(session, tenant, invoice, "invoice.payment_failed")
        return
    _collect(
        session,
        tenant,
        invoice,
        pm_id,
        processors=processors,
        config=config,
        off_session=True,
        raise_decline=False,
    )


# -- payment ---------------------------------------------------------------------------------


def _mark_paid(
    session: Session, tenant: Tenant, invoice: Invoice, amount: int, *, out_of_band: bool = False
) -> None:
    _move(invoice, "mark_paid")
    invoice.amount_paid = min(invoice.amount_due, invoice.amount_paid + amount)
    invoice.paid_at = now()
    invoice.paid_out_of_band = out_of_band
    invoice.last_finalization_error = None
    event(session, tenant, invoice, "invoice.paid")
    event(session, tenant, invoice, "invoice.payment_succeeded")


def sync_payment(session: Session, tenant: Tenant, invoice: Invoice) -> Invoice:
    """Pay the (locked) invoice if its PaymentIntent has succeeded since it was last
    looked at (3-D Secure completed, a bank debit settled). Idempotent."""
    if invoice.status not in (S.OPEN, S.UNCOLLECTIBLE) or not invoice.payment_intent_id:
        return invoice
    pi = session.get(PaymentIntent, invoice.payment_intent_id)
    if pi is not None and pi.status == PIStatus.SUCCEEDED:
        _mark_paid(session, tenant, invoice, pi.amount_received)
    return invoice


def _current_intent(session: Session, invoice: Invoice) -> PaymentIntent | None:
    if not invoice.payment_intent_id:
        return None
    return session.get(PaymentIntent, invoice.payment_intent_id)


def _collect(
    session: Session,
    tenant: Tenant,
    invoice: Invoice,
    pm_id: str,
    *,
    processors: Processors,
    config: PaymentsConfig,
    off_session: bool,
    raise_decline: bool,
) -> None:
    """Charge what remains through a PaymentIntent (the invoice's earlier intent when it
    can still be confirmed, else a new one); the invoice is paid when the intent succeeds."""
    pi = _current_intent(session, invoice)
    if pi is not None and pi.status in _IN_FLIGHT | {PIStatus.REQUIRES_ACTION}:
        raise InvalidState(
            f"A payment of invoice {invoice.id} is already in progress (PaymentIntent {pi.id} "
            f"is {pi.status}); wait for it to finish.",
            param="payment_intent",
            code="invoice_payment_in_progress",
        )
    invoice.attempt_count += 1
    try:
        if pi is not None and pi.status in _CANCELABLE and pi.amount == _remaining(invoice):
            pi = intents.confirm_intent(
                session,
                tenant,
                config,
                pi.id,
                {"payment_method": pm_id, "off_session": off_session},
                processors=processors,
            )
        else:
            pi = intents.create_intent(
                session,
                tenant,
                config,
                {
                    "amount": _remaining(invoice),
                    "currency": invoice.currency,
                    "customer": invoice.customer_id,
                    "payment_method": pm_id,
                    "payment_method_types": ["card", "us_bank_account"],
                    "confirm": True,
                    "off_session": off_session,
                    "description": f"Invoice {invoice.number}",
                    "metadata": {"invoice": invoice.id, "invoice_number": invoice.number or ""},
                },
                processors=processors,
            )
            invoice.payment_intent_id = pi.id
    except (CardDeclined, ProcessingError) as exc:
        _payment_failed(session, tenant, invoice, exc)
        if raise_decline:
            raise
        return
    invoice.last_finalization_error = None
    if pi.status == PIStatus.SUCCEEDED:
        _mark_paid(session, tenant, invoice, pi.amount_received)


def _remaining(invoice: Invoice) -> int:
    return invoice.amount_due - invoice.amount_paid


def _payment_failed(
    session: Session, tenant: Tenant, invoice: Invoice, exc: CardDeclined | ProcessingError
) -> None:
    failed = exc.extra.get("payment_intent")
    if isinstance(failed, dict) and failed.get("id"):
        invoice.payment_intent_id = failed["id"]
    invoice.last_finalization_error = {
        "type": exc.type,
        "code": exc.code,
        "decline_code": exc.extra.get("decline_code"),
        "message": exc.message,
        "payment_intent": invoice.payment_intent_id,
    }
    event(session, tenant, invoice, "invoice.payment_failed")


def pay_invoice(
    session: Session,
    tenant: Tenant,
    invoice_id: str,
    data: Mapping[str, Any],
    *,
    processors: Processors,
    config: PaymentsConfig,
) -> Invoice:
    """Pay now: a draft is finalized first; then ``paid_out_of_band`` (a check or cash at
    the desk) or a charge to ``payment_method`` (or the default one). A decline is a 402
    after ``invoice.payment_failed`` is recorded."""
    invoice = get_invoice(session, tenant, invoice_id, for_update=True)
    states.check(invoice.status, invoice.id, "pay")
    if invoice.status == S.DRAFT:
        _finalize_locked(session, tenant, invoice, config)
    sync_payment(session, tenant, invoice)
    if invoice.status == S.PAID:
        return invoice
    if data.get("paid_out_of_band"):
        pi = _current_intent(session, invoice)
        if pi is not None and pi.status in _IN_FLIGHT:
            raise InvalidState(
                f"PaymentIntent {pi.id} of invoice {invoice.id} is {pi.status}; wait for it "
                "before recording a payment taken elsewhere.",
                param="paid_out_of_band",
                code="invoice_payment_in_progress",
            )
        _cancel_open_intent(session, tenant, invoice, processors)
        _mark_paid(session, tenant, invoice, _remaining(invoice), out_of_band=True)
        return invoice
    pm_id = data.get("payment_method") or _default_payment_method(session, tenant, invoice)
    if pm_id is None:
        raise InvalidRequest(
            "The customer has no default payment method; pass payment_method or "
            "paid_out_of_band=true.",
            param="payment_method",
        )
    _collect(
        session,
        tenant,
        invoice,
        pm_id,
        processors=processors,
        config=config,
        off_session=True,
        raise_decline=True,
    )
    return invoice


def _cancel_open_intent(
    session: Session, tenant: Tenant, invoice: Invoice, processors: Processors
) -> None:
    pi = _current_intent(session, invoice)
    if pi is not None and pi.status in _CANCELABLE:
        intents.cancel_intent(session, tenant, pi.id, "abandoned", processors=processors)


# -- void, uncollectible, send ---------------------------------------------------------------


def void_invoice(
    session: Session, tenant: Tenant, invoice_id: str, *, processors: Processors
) -> Invoice:
    """Void an open or uncollectible invoice for good (its number stays used); an unpaid
    PaymentIntent of it is canceled. Records ``invoice.voided``."""
    invoice = get_invoice(session, tenant, invoice_id, for_update=True)
    sync_payment(session, tenant, invoice)
    states.check(invoice.status, invoice.id, "void")
    pi = _current_intent(session, invoice)
    if pi is not None and pi.status in _IN_FLIGHT:
        raise InvalidState(
            f"PaymentIntent {pi.id} of invoice {invoice.id} is {pi.status}; an invoice whose "
            "payment is in flight cannot be voided.",
            param="payment_intent",
            code="invoice_payment_in_progress",
        )
    _cancel_open_intent(session, tenant, invoice, processors)
    _move(invoice, "void")
    invoice.voided_at = now()
    event(session, tenant, invoice, "invoice.voided")
    return invoice


def mark_uncollectible(session: Session, tenant: Tenant, invoice_id: str) -> Invoice:
    """Open → uncollectible (it can still be paid or voided); ``invoice.marked_uncollectible``."""
    invoice = get_invoice(session, tenant, invoice_id, for_update=True)
    sync_payment(session, tenant, invoice)
    _move(invoice, "mark_uncollectible")
    invoice.marked_uncollectible_at = now()
    event(session, tenant, invoice, "invoice.marked_uncollectible")
    return invoice


def send_invoice(
    session: Session,
    tenant: Tenant,
    invoice_id: str,
    *,
    processors: Processors,
    config: PaymentsConfig,
) -> Invoice:
    """E-mail the invoice (finalizing a draft first) to the customer's address: one
    InvoiceEmail row, delivered by a task after commit. Records ``invoice.sent``."""
    invoice = get_invoice(session, tenant, invoice_id, for_update=True)
    states.check(invoice.status, invoice.id, "send")
    customer = get_customer(session, tenant, invoice.customer_id, param="customer")
    if not customer.email:
        raise InvalidRequest(
            f"Customer {customer.id} has no email address; add one to send the invoice.",
            param="customer",
            code="customer_email_missing",
        )
    if invoice.status == S.DRAFT:
        finalize_invoice(session, tenant, invoice.id, processors=processors, config=config)
    invoice.customer_email = customer.email
    mail = InvoiceEmail(
        id=new_id("ie"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        invoice_id=invoice.id,
        to_address=customer.email,
        message_id=f"<{new_id('msg')}@dealerhub>",
    )
    session.add(mail)
    event(session, tenant, invoice, "invoice.sent")
    enqueue_after_commit(session, jobs.SEND_INVOICE_EMAIL, mail.id)
    return invoice


# -- the hosted page -------------------------------------------------------------------------


def by_hosted_token(
    session: Session, token: str, *, for_update: bool = False
) -> tuple[Invoice, Tenant]:
    """The invoice a hosted-page token opens (the token is the only credential), or 404."""
    stmt = select(Invoice).where(col(Invoice.hosted_token) == token)
    if for_update:
        stmt = stmt.with_for_update()
    invoice = session.scalars(stmt).first() if len(token) >= 32 else None
    if invoice is None:
        raise NotFound("No such invoice.")
    return invoice, Tenant(invoice.dealer_id, invoice.livemode)


def pay_hosted(
    session: Session,
    token: str,
    card: Mapping[str, Any],
    *,
    processors: Processors,
    config: PaymentsConfig,
) -> Invoice:
    """The customer pays on the hosted page: a card (test numbers in test mode, a gateway
    token in live mode) becomes a payment method and the invoice's PaymentIntent is
    confirmed with it. With no card it only picks up a payment that has finished."""
    invoice, tenant = by_hosted_token(session, token, for_update=True)
    sync_payment(session, tenant, invoice)
    if invoice.status not in (S.OPEN, S.UNCOLLECTIBLE):
        raise InvalidState(
            f"Invoice {invoice.number} is {invoice.status}; there is nothing to pay.",
            param="status",
            code="invoice_unexpected_state",
        )
    if not card:
        return invoice
    pm = methods.create_payment_method(
        session,
        tenant,
        config,
        {"type": "card", "card": dict(card), "metadata": {"invoice": invoice.id}},
        processors=processors,
    )
    _collect(
        session,
        tenant,
        invoice,
        pm.id,
        processors=processors,
        config=config,
        off_session=False,
        raise_decline=True,
    )
    return invoice


# -- background ------------------------------------------------------------------------------

AUTO_ADVANCE_AFTER = 3600  # Stripe finalizes auto_advance drafts about an hour after creation


def auto_advance_due(session: Session, cutoff: int) -> list[tuple[str, str, bool]]:
    """``(invoice id, dealer id, livemode)`` of auto_advance drafts created before ``cutoff``."""
    rows = session.execute(
        select(col(Invoice.id), col(Invoice.dealer_id), col(Invoice.livemode)).where(
            col(Invoice.status) == S.DRAFT,
            col(Invoice.auto_advance).is_(True),
            col(Invoice.created) <= cutoff,
        )
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def auto_advance(
    session: Session,
    tenant: Tenant,
    invoice_id: str,
    *,
    processors: Processors,
    config: PaymentsConfig,
) -> Invoice:
    """What Stripe does with an auto_advance draft: finalize it (charging it when collection
    is automatic) or, for send_invoice with a customer e-mail, finalize and send it."""
    invoice = get_invoice(session, tenant, invoice_id, for_update=True)
    if invoice.status != S.DRAFT:
        return invoice  # finalized meanwhile by hand
    customer = get_customer(session, tenant, invoice.customer_id)
    if invoice.collection_method == "send_invoice" and customer.email:
        return send_invoice(session, tenant, invoice_id, processors=processors, config=config)
    return finalize_invoice(session, tenant, invoice_id, processors=processors, config=config)


def payments_to_sync(session: Session) -> list[tuple[str, str, bool]]:
    """Unpaid invoices whose PaymentIntent has succeeded (3-D Secure completed later, a
    bank debit settled): the sweep pays them."""
    rows = session.execute(
        select(col(Invoice.id), col(Invoice.dealer_id), col(Invoice.livemode))
        .join(PaymentIntent, col(PaymentIntent.id) == col(Invoice.payment_intent_id))
        .where(
            col(Invoice.status).in_((S.OPEN, S.UNCOLLECTIBLE)),
            col(PaymentIntent.status) == PIStatus.SUCCEEDED,
        )
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def sync_invoice(session: Session, tenant: Tenant, invoice_id: str) -> Invoice:
    invoice = get_invoice(session, tenant, invoice_id, for_update=True)
    return sync_payment(session, tenant, invoice)
