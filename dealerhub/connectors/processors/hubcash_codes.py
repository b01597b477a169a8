"""Hubcash's wire vocabulary and how it maps onto the hub's: sale statuses onto
``AttemptStatus``, a sale's text onto Stripe's decline codes and card checks, HTTP answers
and ``requests`` failures onto ``ConnectorError`` kinds, and payloads onto masked copies.

Hubcash API v1.0 reports an outcome only as a numeric sale ``Status`` (1-7). It has no
decline codes, no AVS or CVV result fields and no response-code catalogue: the only text a
sale carries is its ``History[].Action`` entries and its antifraud ``Analyze[].Description``
entries. So a declined sale (status 5, "Fail") is ``card_declined`` / ``generic_decline``
unless that text names a more precise reason, which the keyword tables below pick out (in
English and Portuguese, the vendor being Brazilian). The texts the live vendor sends are not
documented; the simulator uses the English phrases these tables match.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorOutcomeUnknown,
    ConnectorRejected,
    ConnectorResponseError,
    ConnectorUnavailable,
)
from dealerhub.connectors.processors.base import AttemptStatus, ProcessorResult

VENDOR = "hubcash"

# Sale statuses, as the vendor's "Status" table names them.
PROCESSED = 1  # received and processed (captured when the sale was created with Capture)
ANALYZING = 2  # held for the antifraud analysis
CAPTURING = 3  # authorized, waiting for PUT /sales/capture
WAITING_PAYMENT = 4  # billets only
FAIL = 5
CANCELED = 6
DONE = 7

STATUS_NAMES: Mapping[int, str] = {
    PROCESSED: "Processed",
    ANALYZING: "Analyzing",
    CAPTURING: "Capturing",
    WAITING_PAYMENT: "Waiting Payment",
    FAIL: "Fail",
    CANCELED: "Canceled",
    DONE: "Done",
}

# (failure_code, decline_code) for the reasons a declined sale's text can name; first match
# wins, so the precise reasons come before the broad ones.
DECLINE_REASONS: tuple[tuple[re.Pattern[str], tuple[str, str]], ...] = (
    (
        re.compile(r"insufficient|not enough funds|saldo insuficiente|sem saldo", re.I),
        ("card_declined", "insufficient_funds"),
    ),
    (
        re.compile(r"expired|vencid|expirad", re.I),
        ("expired_card", "expired_card"),
    ),
    (
        re.compile(r"security code|\bcvv2?\b|\bcvc2?\b|c[oó]digo de seguran", re.I),
        ("incorrect_cvc", "incorrect_cvc"),
    ),
    (re.compile(r"\blost\b|perdid", re.I), ("card_declined", "lost_card")),
    (re.compile(r"stolen|roubad|furtad", re.I), ("card_declined", "stolen_card")),
    (
        re.compile(r"fraud|reprov|suspeit|suspect|high risk|alto risco", re.I),
        ("card_declined", "fraudulent"),
    ),
    (
        re.compile(r"do not honou?r|not authori[sz]ed|n[aã]o autorizad", re.I),
        ("card_declined", "do_not_honor"),
    ),
    (
        re.compile(r"processing error|try again|temporar|indispon|unavailable", re.I),
        ("processing_error", "processing_error"),
    ),
)
GENERIC_DECLINE = ("card_declined", "generic_decline")

# An approved sale can still carry an antifraud remark; these name failed checks.
AVS_FAILED = re.compile(
    r"address.{0,40}(not match|mismatch|diverg|fail)|\bavs\b|endere[cç]o.{0,40}diverg", re.I
)
CVC_FAILED = re.compile(
    r"(security code|\bcvv2?\b|\bcvc2?\b|c[oó]digo de seguran).{0,40}"
    r"(not match|mismatch|invalid|incorrect|fail|inv[aá]lid)",
    re.I,
)

# Stripe's customer-facing messages for the failure codes above.
DECLINE_MESSAGES: Mapping[str, str] = {
    "card_declined": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
}

# Analyze[].Description values that mean the antifraud let the sale through.
APPROVED_ANALYSIS = re.compile(r"^\s*(approved|aprovad[oa])\s*$", re.I)


def decline_for(text: str) -> tuple[str, str]:
    """Stripe's ``(failure_code, decline_code)`` for a declined sale's text."""
    for pattern, codes in DECLINE_REASONS:
        if pattern.search(text):
            return codes
    return GENERIC_DECLINE


def failed_checks(text: str) -> dict[str, str]:
    """The card checks the text says failed (Hubcash has no check fields of its own)."""
    checks: dict[str, str] = {}
    if AVS_FAILED.search(text):
        checks["address_line1_check"] = "fail"
        checks["address_postal_code_check"] = "fail"
    if CVC_FAILED.search(text):
        checks["cvc_check"] = "fail"
    return checks


def sale_text(sale: Mapping[str, Any]) -> str:
    """The sale's own words about its outcome: the antifraud remarks that are not a plain
    "Approved", then the last History action (the most recent step)."""
    parts: list[str] = []
    for item in _items(sale.get("Analyze")):
        description = item.get("Description")
        if isinstance(description, str) and not APPROVED_ANALYSIS.match(description):
            parts.append(description.strip())
    history = _items(sale.get("History"))
    if history:
        action = history[-1].get("Action")
        if isinstance(action, str) and action.strip():
            parts.append(action.strip())
    return "; ".join(part for part in parts if part)[:300]


def _items(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


# --- masking ---------------------------------------------------------------------------------

# Keys whose values are personal data or card secrets wherever they appear in a payload.
_MASKED_KEYS = frozenset({"SecurityCode", "Document", "DocumentNumber", "Birthdate"})
_DROPPED_KEYS = frozenset({"Image"})  # the billet's base64 barcode: large and useless in logs
_LONG_DIGITS = re.compile(r"\d[\d .-]{10,}\d")


def mask(value: Any, *, key: str = "", parent: str = "") -> Any:
    """A copy of a vendor payload fit for ``ProcessorResult.raw`` and logs: no card number,
    security code or personal document, and only JSON types (Decimals become ints or
    strings). ``Card.Number`` keeps its last four digits; any other long run of digits in a
    string is masked too, in case a free-text field quotes a card number."""
    if isinstance(value, Mapping):
        return {
            str(k): mask(v, key=str(k), parent=key)
            for k, v in value.items()
            if str(k) not in _DROPPED_KEYS
        }
    if isinstance(value, list):
        return [mask(item, key=key, parent=parent) for item in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if key in _MASKED_KEYS and value not in (None, ""):
        return "***"
    if key == "Number" and parent == "Card" and isinstance(value, str):
        return f"****{value[-4:]}"
    if isinstance(value, str):
        return _LONG_DIGITS.sub(lambda m: "****" + re.sub(r"\D", "", m.group())[-4:], value)
    return value


# The three checks Stripe reports; Hubcash returns no AVS/CVV result, so they start out
# "unavailable" and only a failure its antifraud text names changes one.
NO_CHECKS = {
    "address_line1_check": "unavailable",
    "address_postal_code_check": "unavailable",
    "cvc_check": "unavailable",
}


# --- results -------------------------------------------------------------------------------


def charge_result(
    sale: Mapping[str, Any], *, requested: int, captured: bool = False
) -> ProcessorResult:
    """A sale as the outcome of a charge (sale or authorization). ``captured``: the caller
    has just captured it, whatever the sale's ``Capture`` flag still says."""
    status = sale_status(sale)
    amount = cents(sale.get("Amount"))
    amount = requested if amount is None else amount  # partial approval: the vendor's amount
    text = sale_text(sale)
    common: dict[str, Any] = {
        "reference": sale.get("SaleId"),
        "amount": amount,
        "processor_code": str(status) if status is not None else None,
        "raw": mask(sale),
    }
    if status in (PROCESSED, DONE, CAPTURING):
        done = status == DONE or (status == PROCESSED and (captured or is_captured(sale)))
        return ProcessorResult(
            AttemptStatus.SUCCEEDED if done else AttemptStatus.AUTHORIZED,
            network_status="approved_by_network",
            checks={**NO_CHECKS, **failed_checks(text)},
            processor_message=text or STATUS_NAMES[status],
            **common,
        )
    if status in (ANALYZING, WAITING_PAYMENT):
        return ProcessorResult(
            AttemptStatus.PROCESSING, processor_message=STATUS_NAMES[status], **common
        )
    if status == FAIL:
        failure_code, decline_code = decline_for(text)
        fraud = decline_code == "fraudulent"
        return ProcessorResult(
            AttemptStatus.DECLINED,
            decline_code=decline_code,
            failure_code=failure_code,
            message=DECLINE_MESSAGES.get(failure_code, "Your card was declined."),
            # An antifraud refusal never reached the card network.
            network_status="not_sent_to_network" if fraud else "declined_by_network",
            risk_level="highest" if fraud else "normal",
            checks={**NO_CHECKS, **failed_checks(text)},
            processor_message=text or STATUS_NAMES[status],
            **common,
        )
    if status == CANCELED:
        return ProcessorResult(
            AttemptStatus.DECLINED,
            failure_code="processing_error",
            message="The sale was canceled at Hubcash.",
            processor_message=STATUS_NAMES[status],
            **common,
        )
    # A missing or unlisted status is never read as success or failure.
    return ProcessorResult(AttemptStatus.UNKNOWN, processor_message="Unknown status", **common)


def cancel_result(sale: Mapping[str, Any]) -> ProcessorResult:
    """A sale as the outcome of a void or refund (both are ``PUT /sales/cancel``)."""
    status = sale_status(sale)
    common: dict[str, Any] = {
        "reference": sale.get("SaleId"),
        "amount": cents(sale.get("Amount")) or 0,
        "processor_code": str(status) if status is not None else None,
        "processor_message": STATUS_NAMES.get(status or 0, "Unknown status"),
        "raw": mask(sale),
    }
    if status == CANCELED:
        return ProcessorResult(AttemptStatus.SUCCEEDED, **common)
    if status is None or status not in STATUS_NAMES:
        return ProcessorResult(AttemptStatus.UNKNOWN, **common)
    # Hubcash cancels within the request: a sale still in another status was not canceled.
    return ProcessorResult(
        AttemptStatus.DECLINED,
        failure_code="processing_error",
        message="Hubcash did not cancel the sale.",
        **common,
    )


def event_type(status: int) -> str:
    """The hub's inbound event type for a sale that reached ``status``: the hub reacts by
    asking ``sync``, so the type only says which of its attempts may have moved."""
    if status in (PROCESSED, DONE):
        return "charge.settled"
    if status == FAIL:
        return "charge.returned"
    if status == CANCELED:
        return "refund.settled"
    return "charge.updated"  # analyzing, capturing, waiting payment: nothing to settle yet


def sale_status(sale: Mapping[str, Any]) -> int | None:
    """The sale's numeric ``Status`` (a JSON number, perhaps written as a string)."""
    return cents(sale.get("Status"))


def cents(value: Any) -> int | None:
    """A whole JSON number (``Amount`` in cents, ``Status``) as an int; None otherwise."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return int(number) if number.is_finite() and number == number.to_integral_value() else None


def is_captured(sale: Mapping[str, Any]) -> bool:
    return sale.get("Capture") is True or bool(sale.get("DateCaptured"))


# --- HTTP answers ---------------------------------------------------------------------------


def http_answer(response: requests.Response, what: str, moves_money: bool) -> dict[str, Any]:
    status = response.status_code
    if status in (401, 403):
        raise ConnectorAuthError(
            f"Hubcash refused the code/token (HTTP {status}).",
            vendor=VENDOR,
            http_status=status,
            vendor_code="Authorization",
        )
    if status in (429, 503):
        raise ConnectorUnavailable(
            f"Hubcash {what}: HTTP {status}, not processed.", vendor=VENDOR, http_status=status
        )
    if status >= 500:
        raise no_answer(f"Hubcash {what}: HTTP {status}.", moves_money, str(status), status)
    data = response_json(response)
    if status >= 400:
        error = first_error(data)
        detail = ": ".join(x for x in (error.get("Field"), error.get("Description")) if x)
        raise ConnectorRejected(
            f"Hubcash refused the {what} (HTTP {status})" + (f": {detail}." if detail else "."),
            vendor=VENDOR,
            http_status=status,
            vendor_code=error.get("Type") or str(status),
        )
    if not isinstance(data, dict):
        raise no_answer(f"Hubcash answered the {what} with a body that is not JSON.", moves_money)
    return data


def response_json(response: requests.Response) -> Any:
    try:
        # Decimal, never float: amounts are money even when the vendor writes 100.0.
        return json.loads(response.content, parse_float=Decimal) if response.content else None
    except ValueError:
        return None


def first_error(data: Any) -> dict[str, str]:
    errors = data.get("Errors") if isinstance(data, dict) else None
    first = errors[0] if isinstance(errors, list) and errors else None
    if not isinstance(first, dict):
        return {}
    # Vendor text may echo what we sent: keep it short and free of long digit runs.
    return {k: str(mask(str(v)))[:120] for k, v in first.items() if isinstance(v, str | int)}


def no_answer(
    message: str, moves_money: bool, code: str = "malformed_response", status: int | None = None
) -> ConnectorError:
    if moves_money:
        return ConnectorOutcomeUnknown(message, vendor=VENDOR, vendor_code=code, http_status=status)
    if code == "malformed_response":
        return ConnectorResponseError(message, vendor=VENDOR, http_status=status)
    return ConnectorUnavailable(message, vendor=VENDOR, vendor_code=code, http_status=status)
