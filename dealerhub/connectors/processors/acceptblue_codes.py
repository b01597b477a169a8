"""accept.blue (MiCamp) response codes and their Stripe meaning, and the answers they make
(:func:`transaction_result` for a charge / verify / refund, :func:`lifecycle_result` for a
transaction read back).

The seed documents the result envelope (``status`` / ``status_code``, ``error_code``,
``error_message``, ``avs_result_code``, ``cvv2_result_code``) but no decline-code list:
``error_code`` is "a validation error or an error passed through from the processor". The
processors behind the gateway (TSYS, Fiserv) pass ISO 8583 response codes, so declines are
read from those codes first and from the message's words second; anything else is a generic
decline, never a guess at something more specific.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from dealerhub.connectors.processors.base import AttemptStatus, ProcessorResult

# status_code -> meaning. "Submitted" (ACH) has no documented code; it is read from ``status``.
APPROVED = "A"
PARTIAL = "P"
DECLINED = "D"
ERROR = "E"

# (failure_code, decline_code) by processor response code (ISO 8583 as TSYS/Fiserv pass it).
DECLINE_CODES: dict[str, tuple[str, str]] = {
    "05": ("card_declined", "do_not_honor"),
    "51": ("card_declined", "insufficient_funds"),
    "61": ("card_declined", "withdrawal_count_limit_exceeded"),
    "54": ("expired_card", "expired_card"),
    "33": ("expired_card", "expired_card"),
    "N7": ("incorrect_cvc", "incorrect_cvc"),
    "82": ("incorrect_cvc", "incorrect_cvc"),
    "41": ("card_declined", "lost_card"),
    "43": ("card_declined", "stolen_card"),
    "59": ("card_declined", "fraudulent"),
    "34": ("card_declined", "fraudulent"),
    "14": ("incorrect_number", "incorrect_number"),
    "57": ("card_declined", "transaction_not_allowed"),
    "62": ("card_declined", "restricted_card"),
    "04": ("card_declined", "pickup_card"),
    "07": ("card_declined", "pickup_card"),
    "91": ("processing_error", "issuer_not_available"),
    "96": ("processing_error", "processing_error"),
}

# When the code is unknown, the processor's text still says what happened.
_DECLINE_WORDS: tuple[tuple[re.Pattern[str], tuple[str, str]], ...] = (
    (re.compile(r"insufficient|nsf", re.I), ("card_declined", "insufficient_funds")),
    (re.compile(r"expired", re.I), ("expired_card", "expired_card")),
    (re.compile(r"cvv|cvc|cid|security code", re.I), ("incorrect_cvc", "incorrect_cvc")),
    (re.compile(r"\blost\b", re.I), ("card_declined", "lost_card")),
    (re.compile(r"stolen", re.I), ("card_declined", "stolen_card")),
    (re.compile(r"fraud|blocked", re.I), ("card_declined", "fraudulent")),
    (re.compile(r"do not honou?r", re.I), ("card_declined", "do_not_honor")),
    (re.compile(r"invalid card|card number", re.I), ("incorrect_number", "incorrect_number")),
)

GENERIC_DECLINE = ("card_declined", "generic_decline")
PROCESSING_ERROR = ("processing_error", "processing_error")


def decline_codes(
    code: Any, message: Any, *, status_code: str, cvv2_result_code: Any = None
) -> tuple[str, str]:
    """Stripe's ``(failure_code, decline_code)`` for a declined or errored transaction."""
    key = str(code).strip().upper() if code not in (None, "") else ""
    if key in DECLINE_CODES:
        return DECLINE_CODES[key]
    text = str(message or "")
    for pattern, codes in _DECLINE_WORDS:
        if pattern.search(text):
            return codes
    if str(cvv2_result_code or "").upper() == "N":
        return ("incorrect_cvc", "incorrect_cvc")
    # "Error" is the gateway or processor failing, not the issuer refusing the card.
    return PROCESSING_ERROR if status_code == ERROR else GENERIC_DECLINE


# AVS: avs_result_code -> (address_line1_check, address_postal_code_check). The upstream list
# names the enum's YYW and the description's NYW both; each is read by its own letters.
AVS_CHECKS: dict[str, tuple[str, str]] = {
    "YYY": ("pass", "pass"),
    "YYX": ("pass", "pass"),
    "YYW": ("pass", "pass"),
    "NYZ": ("fail", "pass"),
    "NYW": ("fail", "pass"),
    "YNA": ("pass", "fail"),
    "NNN": ("fail", "fail"),
    "XXW": ("unavailable", "unavailable"),
    "XXU": ("unavailable", "unavailable"),
    "XXR": ("unavailable", "unavailable"),
    "XXS": ("unavailable", "unavailable"),
    "XXE": ("unavailable", "unavailable"),
    "XXG": ("unavailable", "unavailable"),
    "YYG": ("pass", "unavailable"),
    "GGG": ("pass", "pass"),
    "YGG": ("unavailable", "pass"),
    "NNC": ("unavailable", "unavailable"),
    "NA": ("unchecked", "unchecked"),
}

# CVV2: M match, N no match, P not processed, U issuer not certified, X no answer; null = no
# CVV2 was sent.
CVV_CHECKS: dict[str, str] = {
    "M": "pass",
    "N": "fail",
    "P": "unavailable",
    "U": "unavailable",
    "X": "unavailable",
}


def card_checks(body: Mapping[str, Any]) -> dict[str, str]:
    """Stripe's card checks from a charge / verify answer (or a transaction's card_details,
    which spells the CVV fields ``cvv_result_code``)."""
    checks: dict[str, str] = {}
    avs = body.get("avs_result_code")
    if isinstance(avs, str) and avs:
        line1, postal = AVS_CHECKS.get(avs.upper(), ("unavailable", "unavailable"))
        checks["address_line1_check"] = line1
        checks["address_postal_code_check"] = postal
    cvv = body.get("cvv2_result_code", body.get("cvv_result_code"))
    if isinstance(cvv, str) and cvv:
        checks["cvc_check"] = CVV_CHECKS.get(cvv.upper(), "unavailable")
    elif "cvv2_result_code" in body or "cvv_result_code" in body:
        checks["cvc_check"] = "unchecked"
    return checks


# Transaction lifecycle (``status_details.status``) -> how an attempt stands.
LIFECYCLE_AUTHORIZED = frozenset({"approved", "queued"})
LIFECYCLE_SUCCEEDED = frozenset({"captured", "settled"})
LIFECYCLE_IN_FLIGHT = frozenset({"pending", "originated", "reserve"})

# Masking for ``raw``: these keys never leave the connector in full.
SENSITIVE_KEYS = frozenset(
    {"card", "account_number", "cvv2", "magstripe", "source", "card_ref", "cardRef", "token"}
)
_LONG_DIGITS = re.compile(r"\d{9,}")


def mask(value: Any, key: str = "") -> Any:
    """A copy of a vendor payload without card or account numbers, tokens or CVVs: sensitive
    keys keep their last four characters, and any other long digit run is masked too.
    Decimal amounts become strings, so the copy stores in any JSON column."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {k: mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if isinstance(value, str):
        if key in SENSITIVE_KEYS:
            return "****" + value[-4:] if len(value) > 4 else "****"
        return _LONG_DIGITS.sub(lambda m: "****" + m.group(0)[-4:], value)
    return value


def mask_text(text: str, limit: int = 300) -> str:
    """A vendor message made safe for an exception or a log line."""
    return _LONG_DIGITS.sub("****", " ".join(text.split()))[:limit]


STRIPE_MESSAGES = {
    "card_declined": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "incorrect_number": "Your card number is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
}


# --- wire values ---------------------------------------------------------------------------


def minor(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def reference_of(value: Any) -> str | None:
    return str(value) if isinstance(value, int) and value > 0 else None


def as_dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def status_code_of(answer: Mapping[str, Any]) -> str:
    code = str(answer.get("status_code") or "").upper()
    if not code and str(answer.get("status") or "").lower() == "approved":
        return APPROVED
    return code


def error_code_of(answer: Mapping[str, Any]) -> str | None:
    code = answer.get("error_code")
    return str(code) if code not in (None, "") else None


# --- results -------------------------------------------------------------------------------


def approved(
    status: AttemptStatus, reference: str | None, amount: int, answer: Mapping[str, Any]
) -> ProcessorResult:
    return ProcessorResult(
        status,
        reference,
        amount,
        network_status="approved_by_network",
        checks=card_checks(answer),
        processor_code=error_code_of(answer) or status_code_of(answer) or None,
        processor_message=str(answer.get("error_message") or answer.get("status") or "") or None,
        raw=mask(answer),
    )


def vaulted(token: str, answer: Mapping[str, Any]) -> ProcessorResult:
    result = approved(AttemptStatus.SUCCEEDED, token, 0, answer)
    return dataclasses.replace(result, vault_token=token)


def declined(
    reference: str | None, answer: Mapping[str, Any], code: Any, message: Any, status_code: str
) -> ProcessorResult:
    failure, decline = decline_codes(
        code, message, status_code=status_code, cvv2_result_code=answer.get("cvv2_result_code")
    )
    return ProcessorResult(
        AttemptStatus.DECLINED,
        reference,
        decline_code=decline,
        failure_code=failure,
        message=STRIPE_MESSAGES.get(failure, STRIPE_MESSAGES["card_declined"]),
        network_status="declined_by_network" if status_code == DECLINED else "not_sent_to_network",
        risk_level="highest" if decline == "fraudulent" else "normal",
        checks=card_checks(answer),
        processor_code=str(code) if code not in (None, "") else status_code or None,
        processor_message=mask_text(str(message)) if message else None,
        raw=mask(answer),
    )


def transaction_result(
    answer: Mapping[str, Any], requested: int, *, capture: bool, bank: bool
) -> ProcessorResult:
    """A charge, verification or refund answer: approved, partial, declined or errored."""
    status_code = status_code_of(answer)
    reference = reference_of(answer.get("reference_number"))
    if status_code in (APPROVED, PARTIAL) or (
        str(answer.get("status") or "").lower() == "submitted"
    ):
        # auth_amount is what was approved: less on a partial approval, more with a surcharge.
        amount = minor(answer.get("auth_amount")) or requested
        if bank:
            status = AttemptStatus.PROCESSING  # an ACH debit settles (or returns) days later
        else:
            status = AttemptStatus.SUCCEEDED if capture else AttemptStatus.AUTHORIZED
        return approved(status, reference, amount, answer)
    if status_code in (DECLINED, ERROR):
        return declined(
            reference, answer, answer.get("error_code"), answer.get("error_message"), status_code
        )
    return ProcessorResult(
        AttemptStatus.UNKNOWN,
        reference,
        message="accept.blue answered a status this connector does not know.",
        processor_code=status_code or None,
        processor_message=str(answer.get("status") or "") or None,
        raw=mask(answer),
    )


def lifecycle_result(txn: Mapping[str, Any]) -> ProcessorResult:
    """Where a transaction stands (``GET /transactions/{id}``) as an attempt status."""
    details = as_dict(txn.get("status_details"))
    status = str(details.get("status") or "").lower()
    reference = reference_of(txn.get("id"))
    amount = minor(as_dict(txn.get("amount_details")).get("amount")) or 0
    card = as_dict(txn.get("card_details"))
    check = as_dict(txn.get("check_details"))
    base: dict[str, Any] = {
        "reference": reference,
        "amount": amount,
        "checks": card_checks(card),
        "processor_code": status or None,
        "processor_message": str(details.get("error_message") or "") or None,
        "raw": mask(txn),
    }
    if status in LIFECYCLE_SUCCEEDED:
        return ProcessorResult(
            AttemptStatus.SUCCEEDED, network_status="approved_by_network", **base
        )
    if status in LIFECYCLE_AUTHORIZED:
        return ProcessorResult(
            AttemptStatus.AUTHORIZED, network_status="approved_by_network", **base
        )
    if status in LIFECYCLE_IN_FLIGHT:
        return ProcessorResult(AttemptStatus.PROCESSING, **base)
    if status == "returned":
        code = str(check.get("returned_code") or "bank_returned")
        reason = str(check.get("returned_reason") or "The bank returned the debit.")
        return ProcessorResult(
            AttemptStatus.DECLINED,
            **{**base, "processor_code": code, "processor_message": reason},
            failure_code=code,
            message=reason,
        )
    if status in ("declined", "error", "blocked"):
        code_letter = ERROR if status == "error" else DECLINED
        message = "blocked by fraud rules" if status == "blocked" else details.get("error_message")
        refused = declined(reference, card, details.get("error_code"), message, code_letter)
        return dataclasses.replace(refused, amount=amount, raw=base["raw"])
    if status in ("voided", "cancelled", "expired"):
        failure = "authorization_expired" if status == "expired" else "canceled"
        return ProcessorResult(AttemptStatus.DECLINED, failure_code=failure, message=status, **base)
    return ProcessorResult(AttemptStatus.UNKNOWN, **base)


def hub_event_type(transaction_type: str, event: str) -> str:
    """The hub's settlement notices (charge.settled / charge.returned / refund.settled /
    refund.failed) from the webhook's transaction type and event."""
    if transaction_type == "refund":
        return {"returned": "refund.failed", "declined": "refund.failed"}.get(
            event, f"refund.{event}"
        )
    return f"charge.{event}"
