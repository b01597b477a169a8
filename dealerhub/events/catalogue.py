"""Every event type the hub emits, with what it means: webhook endpoints may subscribe only
to these (or to ``*`` groups matching at least one of them), ``GET /event-types`` serves the
list, and ``dealerhub trigger`` creates the objects behind each. A test checks the list
against the types the code records, so a new event cannot go unlisted."""

from __future__ import annotations

from dealerhub.events.patterns import is_pattern, matches

EVENT_TYPES: dict[str, str] = {
    "account.updated": "A connected account changed (requirements, capabilities).",
    "certificate.expired": "The dealer's bureau client certificate expired.",
    "certificate.expiring": "The dealer's bureau client certificate expires soon.",
    "charge.captured": "A held charge was captured.",
    "charge.failed": "A charge attempt was declined or failed.",
    "charge.refunded": "A charge was refunded, fully or partly.",
    "charge.returned": "A bank debit was returned by the customer's bank.",
    "charge.settled": "A bank debit settled at the gateway.",
    "charge.succeeded": "A charge succeeded.",
    "configuration.updated": "The dealer's /configuration changed (paths only, no values).",
    "credit_check.completed": "A credit bureau pull returned a report.",
    "credit_check.failed": "A credit bureau pull failed.",
    "customer.created": "A customer was created.",
    "customer.deleted": "A customer was deleted.",
    "customer.updated": "A customer changed.",
    "deal.created": "A deal was created.",
    "deal.sync_failed": "A deal could not be pushed to the DMS (dead-lettered).",
    "deal.synced": "A deal was pushed to the DMS.",
    "deal.updated": "A deal changed.",
    "invoice.created": "An invoice draft was created.",
    "invoice.deleted": "An invoice draft was deleted.",
    "invoice.finalized": "An invoice was finalized (numbered, payable).",
    "invoice.marked_uncollectible": "An invoice was marked uncollectible.",
    "invoice.paid": "An invoice was paid.",
    "invoice.payment_failed": "A payment attempt on an invoice failed.",
    "invoice.payment_succeeded": "A payment attempt on an invoice succeeded.",
    "invoice.sent": "An invoice was e-mailed to the customer.",
    "invoice.updated": "An invoice changed.",
    "invoice.voided": "An invoice was voided.",
    "lead.created": "A lead was received.",
    "lead.merged": "A submission was merged into the same person's lead.",
    "lead.sync_failed": "A lead could not be pushed to the DMS (dead-lettered).",
    "lead.synced": "A lead was pushed to the DMS.",
    "lead.updated": "A lead changed.",
    "payment_intent.amount_capturable_updated": "A PaymentIntent is authorized, to capture.",
    "payment_intent.canceled": "A PaymentIntent was canceled.",
    "payment_intent.created": "A PaymentIntent was created.",
    "payment_intent.payment_failed": "A payment attempt failed; the intent needs a new method.",
    "payment_intent.processing": "A payment is processing (bank debits, unknown outcomes).",
    "payment_intent.requires_action": "A payment needs the customer (3-D Secure).",
    "payment_intent.succeeded": "A PaymentIntent succeeded.",
    "payment_intent.updated": "A PaymentIntent changed.",
    "payment_method.attached": "A payment method was attached to a customer.",
    "payment_method.detached": "A payment method was detached from its customer.",
    "payment_method.updated": "A payment method changed.",
    "pen.dealer_registered": "The dealer was registered with PEN.",
    "pen.dealer_unregistered": "The dealer was unregistered from PEN.",
    "pen.dealer_updated": "The dealer's PEN registration changed.",
    "price.created": "A price was created.",
    "price.updated": "A price changed.",
    "product.created": "A product was created.",
    "product.deleted": "A product was deleted.",
    "product.updated": "A product changed.",
    "refund.created": "A refund was created.",
    "refund.failed": "A refund failed.",
    "refund.settled": "A refund settled at the gateway.",
    "refund.updated": "A refund changed.",
    "setup_intent.canceled": "A SetupIntent was canceled.",
    "setup_intent.created": "A SetupIntent was created.",
    "setup_intent.requires_action": "Saving a card needs the customer (3-D Secure).",
    "setup_intent.setup_failed": "Saving a payment method failed.",
    "setup_intent.succeeded": "A payment method was saved for later.",
    "webhook_endpoint.disabled": "A webhook endpoint was disabled after failing for days.",
}


def known(value: str) -> bool:
    """An event type the hub emits, or a ``*`` group that matches at least one."""
    if is_pattern(value):
        return any(matches(value, t) for t in EVENT_TYPES)
    return value in EVENT_TYPES


def listing() -> list[dict[str, str]]:
    return [{"type": t, "description": d} for t, d in sorted(EVENT_TYPES.items())]
