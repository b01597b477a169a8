"""BlueDog (FluidPay platform) response codes, and how they read in Stripe's vocabulary.

The seed gives the gateway's ``response_code`` *ranges* only (100-199 approved or partially
approved, 200-299 issuer declines, 300-399 gateway declines, 400-499 processor errors, 99
pending, 0 unknown), the full AVS table and one CVV value (``M``). The individual codes
inside the ranges follow the NMI-family list the ranges come from; a code missing here still
maps by its range, so an unlisted code is never read as an approval. The issuer's own
ISO 8583 answer (``processor_response_code``, e.g. ``"51"``) refines a generic decline.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dealerhub.connectors.processors.base import AttemptStatus, ProcessorResult


@dataclass(frozen=True)
class Decline:
    failure_code: str  # Stripe's error ``code``
    decline_code: str  # Stripe's ``decline_code``
    network_status: str


_ISSUER = "declined_by_network"
_GATEWAY = "not_sent_to_network"

GENERIC = Decline("card_declined", "generic_decline", _ISSUER)
GATEWAY_DECLINE = Decline("card_declined", "generic_decline", _GATEWAY)
PROCESSING_ERROR = Decline("processing_error", "processing_error", _GATEWAY)

# response_code -> Stripe decline. Codes in the 200s come from the issuer (through the
# network); 300s are the platform's own rules; 400s are processor errors.
RESPONSE_CODES: dict[int, Decline] = {
    200: GENERIC,
    201: Decline("card_declined", "do_not_honor", _ISSUER),
    202: Decline("card_declined", "insufficient_funds", _ISSUER),
    203: Decline("card_declined", "card_velocity_exceeded", _ISSUER),
    204: Decline("card_declined", "transaction_not_allowed", _ISSUER),
    220: Decline("card_declined", "incorrect_number", _ISSUER),
    221: Decline("card_declined", "invalid_account", _ISSUER),
    222: Decline("card_declined", "invalid_account", _ISSUER),
    223: Decline("expired_card", "expired_card", _ISSUER),
    224: Decline("card_declined", "invalid_expiry_year", _ISSUER),
    225: Decline("incorrect_cvc", "incorrect_cvc", _ISSUER),
    226: Decline("card_declined", "incorrect_pin", _ISSUER),
    240: Decline("card_declined", "call_issuer", _ISSUER),
    250: Decline("card_declined", "pickup_card", _ISSUER),
    251: Decline("card_declined", "lost_card", _ISSUER),
    252: Decline("card_declined", "stolen_card", _ISSUER),
    253: Decline("card_declined", "fraudulent", _ISSUER),
    260: GENERIC,
    261: Decline("card_declined", "stop_payment_order", _ISSUER),
    262: Decline("card_declined", "stop_payment_order", _ISSUER),
    263: Decline("card_declined", "generic_decline", _ISSUER),
    264: Decline("card_declined", "try_again_later", _ISSUER),
    300: GATEWAY_DECLINE,
    400: PROCESSING_ERROR,
    410: PROCESSING_ERROR,
    411: PROCESSING_ERROR,
    420: PROCESSING_ERROR,
    421: PROCESSING_ERROR,
    430: Decline("card_declined", "duplicate_transaction", _GATEWAY),
    440: PROCESSING_ERROR,
    441: PROCESSING_ERROR,
    460: PROCESSING_ERROR,
    461: Decline("card_declined", "card_not_supported", _GATEWAY),
}

# The issuer's ISO 8583 code (``processor_response_code``), used when the gateway code is
# absent or only says "declined" (200 / 260).
ISO_CODES: dict[str, Decline] = {
    "05": Decline("card_declined", "do_not_honor", _ISSUER),
    "14": Decline("card_declined", "incorrect_number", _ISSUER),
    "41": Decline("card_declined", "lost_card", _ISSUER),
    "43": Decline("card_declined", "stolen_card", _ISSUER),
    "51": Decline("card_declined", "insufficient_funds", _ISSUER),
    "54": Decline("expired_card", "expired_card", _ISSUER),
    "59": Decline("card_declined", "fraudulent", _ISSUER),
    "61": Decline("card_declined", "withdrawal_count_limit_exceeded", _ISSUER),
    "N7": Decline("incorrect_cvc", "incorrect_cvc", _ISSUER),
    "82": Decline("incorrect_cvc", "incorrect_cvc", _ISSUER),
}

DECLINE_MESSAGES = {
    "card_declined": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
}


def decline_for(response_code: int | None, processor_code: str | None) -> Decline:
    """The Stripe reading of a declined transaction: the exact gateway code, else the
    issuer's ISO code, else the gateway code's range."""
    exact = RESPONSE_CODES.get(response_code) if response_code is not None else None
    if exact is not None and exact not in (GENERIC, GATEWAY_DECLINE, PROCESSING_ERROR):
        return exact
    iso = ISO_CODES.get((processor_code or "").strip().upper())
    if iso is not None and (response_code is None or 200 <= response_code < 300):
        return iso
    if exact is not None:
        return exact
    if response_code is not None and 300 <= response_code < 400:
        return GATEWAY_DECLINE
    if response_code is not None and 400 <= response_code < 500:
        return PROCESSING_ERROR
    return GENERIC


# AVS result -> (address_line1_check, address_postal_code_check), per the seed's table.
_BOTH = ("pass", "pass")
_STREET = ("pass", "fail")
_ZIP = ("fail", "pass")
_NONE = ("fail", "fail")
_UNAVAILABLE = ("unavailable", "unavailable")
AVS_CODES: dict[str, tuple[str, str]] = {
    "D": _BOTH,  # exact match (international)
    "F": _BOTH,  # exact match, UK-issued cards
    "M": _BOTH,  # exact match (international)
    "X": _BOTH,  # exact match, 9-digit ZIP
    "Y": _BOTH,  # exact match, 5-digit ZIP
    "2": _BOTH,  # AmEx: name, address and ZIP match
    "6": _BOTH,  # AmEx: name wrong, address and ZIP match
    "A": _STREET,  # address match only
    "B": ("pass", "unavailable"),  # address matches, ZIP not verified
    "3": _STREET,  # AmEx: name and address match
    "7": _STREET,  # AmEx: name wrong, address matches
    "P": ("unavailable", "pass"),  # postal code match, address not verified
    "W": _ZIP,  # 9-digit ZIP match only
    "Z": _ZIP,  # 5-digit ZIP match only
    "L": _ZIP,  # AmEx: name and postal code match
    "1": _ZIP,  # AmEx: name and ZIP match
    "5": _ZIP,  # AmEx: name wrong, ZIP matches
    "N": _NONE,  # no address or ZIP match
    "4": _NONE,  # AmEx: name matches only
    "8": _NONE,  # AmEx: name, address and ZIP do not match
    "0": _UNAVAILABLE,  # AVS not available
    "C": _UNAVAILABLE,  # incompatible format
    "G": _UNAVAILABLE,  # non-US issuer does not participate
    "I": _UNAVAILABLE,  # not verified
    "R": _UNAVAILABLE,  # issuer system unavailable
    "S": _UNAVAILABLE,  # service not supported
    "U": _UNAVAILABLE,  # address unavailable
}

# CVV2/CVC2 result (network-standard letters; the seed shows ``M``).
CVV_CODES: dict[str, str] = {
    "M": "pass",
    "N": "fail",
    "P": "unavailable",  # not processed
    "S": "unavailable",  # should be on the card, merchant says it is not
    "U": "unavailable",  # issuer not certified
}


def checks_for(avs: str | None, cvv: str | None) -> dict[str, str]:
    """Stripe's ``payment_method_details.card.checks`` from the AVS and CVV answers;
    "unchecked" when the gateway sent none."""
    avs_code = (avs or "").strip().upper()
    line1, postal = AVS_CODES.get(
        avs_code, ("unchecked", "unchecked") if not avs_code else _UNAVAILABLE
    )
    cvv_code = (cvv or "").strip().upper()
    cvc = CVV_CODES.get(cvv_code, "unchecked" if not cvv_code else "unavailable")
    return {"address_line1_check": line1, "address_postal_code_check": postal, "cvc_check": cvc}


_SENSITIVE = frozenset(
    {
        "number",
        "account_number",
        "routing_number",
        "cvc",
        "token",
        "api_key",
        "track_1",
        "track_2",
        "encrypted_track_1",
        "encrypted_track_2",
        "ksn",
        "dl_number",
        "authorization",
    }
)
_DIGITS = re.compile(r"\d{9,}")
_ACH_RETURN = re.compile(r"^R\d{2}$")
_CAPTURED = ("pending_settlement", "settled", "refunded")


def result_of(txn: Mapping[str, Any], *, vault_token: str | None = None) -> ProcessorResult:
    """A transaction object (``POST``/``GET /api/transaction``) as the hub's result.

    ``response_code`` decides when present (the seed lists the codes, not the field that
    carries them); otherwise the transaction's ``status`` and its method block's ``status``.
    A sale in ``pending_settlement`` has succeeded for a card and is still ``PROCESSING`` for
    a bank debit; ``vault_token`` is given to an approved verification.
    """
    reference = str(txn["id"]) if txn.get("id") else None
    kind = str(txn.get("type") or "").lower()
    status = str(txn.get("status") or "").lower()
    block = _method_block(txn)
    bank = is_bank(txn)
    code = _int(txn.get("response_code"))
    block_status = str(block.get("status") or "").lower()
    iso = text_of(block.get("processor_response_code"))
    text = text_of(block.get("processor_response_text")) or text_of(txn.get("response"))
    common: dict[str, Any] = {
        "reference": reference,
        "processor_code": str(code) if code is not None else iso,
        "processor_message": text,
        "checks": {}
        if bank
        else checks_for(block.get("avs_response_code"), block.get("cvv_response_code")),
        "raw": mask(txn),
    }
    # A partial approval's amount is what was approved; a capture's, what was captured.
    amount = next(
        (
            value
            for value in (
                _int(txn.get("amount_captured")) if status in _CAPTURED else None,
                _int(txn.get("amount_authorized")),
                _int(txn.get("amount")),
            )
            if value
        ),
        0,
    )

    if bank and (status in ("reversed", "returned") or block_status == "returned"):
        return_code = (iso or "").upper()
        return ProcessorResult(
            AttemptStatus.DECLINED,
            failure_code=return_code if _ACH_RETURN.match(return_code) else "debit_returned",
            message=text or "The bank returned the debit.",
            **common,
        )
    if status == "unknown" or code == 0:
        return ProcessorResult(AttemptStatus.UNKNOWN, amount=amount, **common)
    if code == 99:
        return ProcessorResult(AttemptStatus.PENDING, amount=amount, **common)
    declined = status == "declined" or block_status == "declined" or (code or 0) >= 200
    if declined:
        decline = decline_for(code, iso)
        return ProcessorResult(
            AttemptStatus.DECLINED,
            decline_code=decline.decline_code,
            failure_code=decline.failure_code,
            message=DECLINE_MESSAGES.get(decline.failure_code, "Your card was declined."),
            network_status=decline.network_status,
            risk_level="highest" if decline.decline_code == "fraudulent" else "normal",
            **common,
        )
    if status in ("voided", "reversed"):
        failure = "merchant_request" if kind in ("refund", "credit") else "payment_intent_canceled"
        return ProcessorResult(
            AttemptStatus.DECLINED,
            failure_code=failure,
            message="The transaction was voided at BlueDog.",
            **common,
        )
    approved = {"network_status": "approved_by_network", "amount": amount, **common}
    if kind == "verification":
        return ProcessorResult(
            AttemptStatus.SUCCEEDED, vault_token=vault_token, **{**approved, "amount": 0}
        )
    if kind in ("refund", "credit"):
        pending = bank and status == "pending_settlement"
        return ProcessorResult(
            AttemptStatus.PENDING if pending else AttemptStatus.SUCCEEDED, **approved
        )
    if status == "authorized":
        return ProcessorResult(AttemptStatus.AUTHORIZED, **approved)
    if status == "pending_settlement":
        return ProcessorResult(
            AttemptStatus.PROCESSING if bank else AttemptStatus.SUCCEEDED, **approved
        )
    if status in ("settled", "refunded"):
        return ProcessorResult(AttemptStatus.SUCCEEDED, **approved)
    return ProcessorResult(AttemptStatus.UNKNOWN, amount=amount, **common)


def mask(value: Any) -> Any:
    """A copy of a vendor payload without card or account numbers, tokens or keys."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if str(key).lower() in _SENSITIVE and isinstance(item, str | int) and item != "":
                text = str(item)
                out[key] = "****" + text[-4:] if len(text) > 8 else "****"
            else:
                out[key] = mask(item)
        return out
    if isinstance(value, list):
        return [mask(item) for item in value]
    if isinstance(value, str):
        return _DIGITS.sub(lambda m: "*" * (len(m.group()) - 4) + m.group()[-4:], value)
    return value


def _method_block(txn: Mapping[str, Any]) -> Mapping[str, Any]:
    """The processor's answer: ``response`` (the seed's GET example) or ``response_body``
    (its terminal note), keyed by payment method."""
    for key in ("response_body", "response"):
        container = txn.get(key)
        if isinstance(container, Mapping):
            for name in ("card", "ach", "terminal"):
                if isinstance(container.get(name), Mapping):
                    return container[name]
            for item in container.values():
                if isinstance(item, Mapping):
                    return item
    return {}


def is_bank(txn: Mapping[str, Any]) -> bool:
    if txn.get("payment_method") == "ach" or txn.get("payment_type") == "echeck":
        return True
    return any(
        isinstance(txn.get(key), Mapping) and isinstance(txn[key].get("ach"), Mapping)
        for key in ("response", "response_body")
    )


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def text_of(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None
