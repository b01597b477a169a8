"""Forward Payments responses: how a Forward payment intent, payment or refund (status,
AVS/CVV codes, decline text) maps onto a :class:`ProcessorResult` in the hub's vocabulary
(Stripe's ``failure_code``/``decline_code``), and the masking of what we keep of it.

Why text and not codes: Forward's Payment object (seed 003) carries no numeric response code,
only ``status`` (``pending`` ``uncaptured`` ``captured`` ``cancelled`` ``voided`` ``failed``),
``auth_code`` (the issuer's approval code) and ``auth_response_text`` (the processor's text;
the payment methods' ``source_type`` is ``cardpointe``, so it is CardPointe's ``resptext``).
A decline is therefore classified by that text, most specific phrase first; anything we do
not recognise is a ``generic_decline`` and keeps the vendor's text in ``processor_message``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dealerhub.connectors.processors.base import AttemptStatus, ProcessorResult

# (phrase in the lower-cased auth_response_text, Stripe failure_code, Stripe decline_code).
# Order matters: "cvv" must win over "declined", "expired" over "invalid card".
DECLINE_TEXTS: tuple[tuple[str, str, str], ...] = (
    ("insufficient", "card_declined", "insufficient_funds"),
    ("nsf", "card_declined", "insufficient_funds"),
    ("exceeds", "card_declined", "insufficient_funds"),  # "exceeds limit", "over limit"
    ("over limit", "card_declined", "insufficient_funds"),
    ("expired", "expired_card", "expired_card"),
    ("cvv", "incorrect_cvc", "incorrect_cvc"),
    ("cvc", "incorrect_cvc", "incorrect_cvc"),
    ("security code", "incorrect_cvc", "incorrect_cvc"),
    ("lost", "card_declined", "lost_card"),
    ("stolen", "card_declined", "stolen_card"),
    ("fraud", "card_declined", "fraudulent"),
    ("pick up", "card_declined", "pickup_card"),
    ("do not honor", "card_declined", "do_not_honor"),
    ("invalid card", "incorrect_number", "invalid_number"),
    ("invalid account", "incorrect_number", "invalid_number"),
    ("processing error", "processing_error", "processing_error"),
    ("system error", "processing_error", "processing_error"),
    ("issuer unavailable", "processing_error", "issuer_not_available"),
    ("timeout", "processing_error", "issuer_not_available"),
)
GENERIC_DECLINE = ("card_declined", "generic_decline")

# An ACH return as Forward's bank payments report it in auth_response_text ("R01 ...").
ACH_RETURN = re.compile(r"\b(R\d{2})\b")

# AVS result letters (Visa/Mastercard/CardPointe) -> (address_line1_check, postal_code_check).
AVS_CODES: Mapping[str, tuple[str, str]] = {
    "Y": ("pass", "pass"),
    "X": ("pass", "pass"),
    "D": ("pass", "pass"),
    "F": ("pass", "pass"),
    "M": ("pass", "pass"),
    "A": ("pass", "fail"),
    "B": ("pass", "unchecked"),
    "Z": ("fail", "pass"),
    "W": ("fail", "pass"),
    "P": ("unchecked", "pass"),
    "N": ("fail", "fail"),
    "C": ("fail", "fail"),
    "U": ("unavailable", "unavailable"),
    "R": ("unavailable", "unavailable"),
    "S": ("unavailable", "unavailable"),
    "G": ("unavailable", "unavailable"),
    "E": ("unavailable", "unavailable"),
    "I": ("unavailable", "unavailable"),
}

# CVV2 result letters -> Stripe's cvc_check.
CVV_CODES: Mapping[str, str] = {
    "M": "pass",
    "N": "fail",
    "P": "unchecked",  # not processed
    "S": "unavailable",  # merchant says the code is not on the card
    "U": "unavailable",  # issuer not certified
    "X": "unavailable",
}

CHECK_VALUES = frozenset({"pass", "fail", "unavailable", "unchecked"})


def classify_decline(text: str | None) -> tuple[str, str]:
    """Stripe's ``(failure_code, decline_code)`` for a Forward decline's response text."""
    lowered = (text or "").lower()
    for phrase, failure_code, decline_code in DECLINE_TEXTS:
        if phrase in lowered:
            return failure_code, decline_code
    return GENERIC_DECLINE


def ach_return_code(text: str | None) -> str | None:
    """The NACHA return code (``R01``…) a failed bank payment's text names, if any."""
    found = ACH_RETURN.search(text or "")
    return found.group(1) if found else None


def card_checks(payment: Mapping[str, object]) -> dict[str, str]:
    """Stripe's checks from a Forward payment. Forward's own ``address_line1_check``,
    ``address_postal_code_check`` and ``cvv_check`` win when they hold a known value; the raw
    ``avs``/``cvv`` letters fill the gaps (the seed shows both, with no enum for either)."""
    checks: dict[str, str] = {}
    avs = payment.get("avs")
    if isinstance(avs, str) and avs.strip().upper() in AVS_CODES:
        line1, postal = AVS_CODES[avs.strip().upper()]
        checks["address_line1_check"] = line1
        checks["address_postal_code_check"] = postal
    cvv = payment.get("cvv")
    if isinstance(cvv, str) and cvv.strip().upper() in CVV_CODES:
        checks["cvc_check"] = CVV_CODES[cvv.strip().upper()]
    for theirs, ours in (
        ("address_line1_check", "address_line1_check"),
        ("address_postal_code_check", "address_postal_code_check"),
        ("cvv_check", "cvc_check"),
    ):
        value = payment.get(theirs)
        if isinstance(value, str) and value.lower() in CHECK_VALUES:
            checks[ours] = value.lower()
    return checks


DECLINE_MESSAGES: Mapping[str, str] = {
    "card_declined": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "incorrect_number": "Your card number is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
}


# --- results ------------------------------------------------------------------------------

# Keys masked wherever a vendor payload is kept (``ProcessorResult.raw``).
MASKED_KEYS = frozenset(
    {"client_secret", "cvv2", "account_number", "routing_number", "number", "api_key"}
)
REFUNDED = frozenset({"succeeded", "completed", "settled", "refunded"})


def is_decline(body: Mapping[str, Any]) -> bool:
    """Whether an error-status body is really a card decline (a failed payment, or an error
    of type ``card_error``): a decline is an answer, never an error."""
    if body.get("entity") == "payment" and body.get("status") == "failed":
        return True
    return body.get("type") == "card_error"


def payment_result(
    payment: Mapping[str, Any], reference: str, *, raw: Mapping[str, Any]
) -> ProcessorResult:
    """A Forward payment (the answer of payment create, or an intent's ``latest_payment``)."""
    status = str(payment.get("status") or "")
    text = payment.get("auth_response_text") or payment.get("message")
    text = str(text) if text else None
    checks = card_checks(payment)
    common: dict[str, Any] = {
        "checks": checks,
        "processor_code": status or None,
        "processor_message": text,
        "raw": mask(raw),
    }
    if status == "failed" or payment.get("type") == "card_error":
        if is_bank(payment):
            code = ach_return_code(text)
            return ProcessorResult(
                AttemptStatus.DECLINED,
                reference,
                failure_code=code or "bank_account_declined",
                message=text or "The bank declined the debit.",
                **common,
            )
        failure_code, decline_code = classify_decline(text)
        return ProcessorResult(
            AttemptStatus.DECLINED,
            reference,
            failure_code=failure_code,
            decline_code=decline_code,
            message=DECLINE_MESSAGES.get(failure_code, "Your card was declined."),
            network_status="declined_by_network",
            risk_level="highest" if decline_code == "fraudulent" else "normal",
            **common,
        )
    requested = int(payment.get("amount") or 0)
    authorized = int(payment.get("amount_authorized") or 0)
    captured = int(payment.get("amount_captured") or 0)
    if is_bank(payment) and status in ("pending", "captured"):
        if status == "captured" and payment.get("settlement_status") == "settled":
            return ProcessorResult(
                AttemptStatus.SUCCEEDED, reference, captured or requested, **common
            )
        return ProcessorResult(AttemptStatus.PROCESSING, reference, requested, **common)
    if status == "captured":
        # Partial approval: Forward approved less than asked; the hub records what it got.
        amount = captured or authorized or requested
        return ProcessorResult(
            AttemptStatus.SUCCEEDED,
            reference,
            amount,
            network_status="approved_by_network",
            **common,
        )
    if status == "uncaptured":
        return ProcessorResult(
            AttemptStatus.AUTHORIZED,
            reference,
            authorized or requested,
            network_status="approved_by_network",
            **common,
        )
    if status in ("cancelled", "voided"):
        return ProcessorResult(
            AttemptStatus.DECLINED,
            reference,
            failure_code="payment_canceled",
            message="The payment was cancelled at Forward.",
            **common,
        )
    if status == "pending":
        return ProcessorResult(AttemptStatus.PENDING, reference, requested, **common)
    # An unmapped status is never read as success or failure.
    return ProcessorResult(AttemptStatus.UNKNOWN, reference, requested, **common)


def intent_result(intent: Mapping[str, Any], reference: str) -> ProcessorResult:
    """A Forward payment intent: its ``latest_payment`` decides, the intent's own amounts and
    status refine it (captures and cancels change the intent, not the embedded payment)."""
    status = str(intent.get("status") or "")
    payment = intent.get("latest_payment")
    if not isinstance(payment, dict) or not payment:
        if status in ("created", "cancelled"):
            # No payment was ever made on this intent: no money moved.
            return ProcessorResult(
                AttemptStatus.DECLINED,
                reference,
                failure_code="processing_error",
                message="No payment was made on this Forward payment intent.",
                network_status="not_sent_to_network",
                processor_code=status,
                raw=mask(intent),
            )
        return ProcessorResult(
            AttemptStatus.UNKNOWN, reference, processor_code=status or None, raw=mask(intent)
        )
    merged = dict(payment)
    for key in ("amount_authorized", "amount_captured", "settlement_status"):
        if intent.get(key) is not None:
            merged[key] = intent[key]
    if status == "cancelled":
        merged["status"] = "cancelled"
    elif status in ("captured", "uncaptured", "failed", "pending"):
        merged["status"] = status
    return payment_result(merged, reference, raw=intent)


def refund_result(refund: Mapping[str, Any]) -> ProcessorResult:
    ref = str(refund.get("id") or "")
    status = str(refund.get("status") or "")
    amount = int(refund.get("amount") or 0)
    common: dict[str, Any] = {"processor_code": status or None, "raw": mask(refund)}
    if status in REFUNDED:
        return ProcessorResult(AttemptStatus.SUCCEEDED, ref, amount, **common)
    if status in ("failed", "cancelled", "canceled"):
        return ProcessorResult(
            AttemptStatus.DECLINED,
            ref,
            amount,
            failure_code="refund_failed",
            message="Forward could not complete the refund.",
            **common,
        )
    # "pending" (the reference's only sample) and anything unmapped: settled later via sync.
    return ProcessorResult(AttemptStatus.PENDING, ref, amount, **common)


def mask(payload: Any) -> Any:
    """A copy of a vendor payload without secrets or full numbers (card and bank numbers
    already come masked from Forward: first six / last four, ``masked_account``)."""
    if isinstance(payload, Mapping):
        return {
            k: ("***" if k in MASKED_KEYS and v not in (None, "") else mask(v))
            for k, v in payload.items()
        }
    if isinstance(payload, list):
        return [mask(item) for item in payload]
    return payload


def is_bank(payment: Mapping[str, Any]) -> bool:
    method = payment.get("payment_method")
    return isinstance(method, dict) and method.get("payment_method_type") == "bank"
