"""What the hosted invoice page shows: the invoice its token opens, the dealer, and where a
payment stands. Read-only; paying is ``transitions.pay_hosted``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dealerhub.billing import pdf
from dealerhub.billing.models import Invoice
from dealerhub.billing.transitions import by_hosted_token
from dealerhub.dealers.service import get_dealer
from dealerhub.payments.models import PaymentIntent
from dealerhub.payments.states import PIStatus


@dataclass(frozen=True)
class HostedPage:
    invoice: Invoice
    dealer: str
    # Where the customer confirms a payment with the bank (3-D Secure), if one waits.
    pending_url: str | None
    in_flight: bool


def page(session: Session, token: str) -> HostedPage:
    invoice, tenant = by_hosted_token(session, token)
    dealer = get_dealer(session=session, dealer_id=tenant.dealer_id)
    pi = (
        session.get(PaymentIntent, invoice.payment_intent_id) if invoice.payment_intent_id else None
    )
    pending_url = None
    in_flight = False
    if pi is not None and invoice.status in ("open", "uncollectible"):
        if pi.status == PIStatus.REQUIRES_ACTION and pi.next_action:
            redirect: dict[str, Any] = pi.next_action.get("redirect_to_url") or {}
            pending_url = redirect.get("url")
        in_flight = pi.status in (
            PIStatus.PROCESSING,
            PIStatus.SUCCEEDED,
            PIStatus.REQUIRES_CAPTURE,
        )
    return HostedPage(invoice, dealer.name, pending_url, in_flight)


def pdf_bytes(session: Session, token: str) -> tuple[str, bytes]:
    """``(file name, PDF)`` of the invoice the token opens."""
    invoice, tenant = by_hosted_token(session, token)
    dealer = get_dealer(session=session, dealer_id=tenant.dealer_id)
    return f"Invoice-{invoice.number}.pdf", pdf.render(invoice, dealer.name)
