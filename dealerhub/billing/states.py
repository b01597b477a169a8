"""Invoice statuses and the one transition table (Stripe's invoice workflow:
https://docs.stripe.com/invoicing/integration/workflow-transitions)."""

from __future__ import annotations

import enum

from dealerhub.errors import InvalidState


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    UNCOLLECTIBLE = "uncollectible"
    VOID = "void"


_I = InvoiceStatus

# action -> (statuses it may start from, status it leads to; None keeps the status)
INVOICE_TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "edit": (frozenset({_I.DRAFT}), None),
    "delete": (frozenset({_I.DRAFT}), None),
    "finalize": (frozenset({_I.DRAFT}), _I.OPEN),
    # A payment attempt; it moves to paid only when the money is in.
    "pay": (frozenset({_I.DRAFT, _I.OPEN, _I.UNCOLLECTIBLE}), None),
    "mark_paid": (frozenset({_I.OPEN, _I.UNCOLLECTIBLE}), _I.PAID),
    "send": (frozenset({_I.DRAFT, _I.OPEN}), None),
    "void": (frozenset({_I.OPEN, _I.UNCOLLECTIBLE}), _I.VOID),
    "mark_uncollectible": (frozenset({_I.OPEN}), _I.UNCOLLECTIBLE),
}

_VERB = {
    "edit": "update",
    "delete": "delete",
    "finalize": "finalize",
    "pay": "pay",
    "mark_paid": "pay",
    "send": "send",
    "void": "void",
    "mark_uncollectible": "mark as uncollectible",
}


def check(invoice_status: str, invoice_id: str, action: str) -> None:
    """A 400 naming the current status unless ``action`` may start from it."""
    sources, _ = INVOICE_TRANSITIONS[action]
    if invoice_status not in sources:
        allowed = ", ".join(sorted(sources))
        raise InvalidState(
            f"You cannot {_VERB[action]} invoice {invoice_id} because it has a status of "
            f"{invoice_status} (allowed from: {allowed}).",
            code="invoice_unexpected_state",
            param="status",
        )


def target(action: str) -> str | None:
    return INVOICE_TRANSITIONS[action][1]
