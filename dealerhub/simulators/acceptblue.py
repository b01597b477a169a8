"""An offline, stateful accept.blue (MiCamp) gateway speaking the API v2 wire format: JSON
bodies with decimal-dollar amounts, HTTP Basic with a source key and pin, the flat result
envelope (``status``/``status_code``/``error_*``), declines inside HTTP 200 answers.

Routes are served both at the root and under ``/api/v2`` (so ``api_url`` may be the bare
loopback URL or the vendor-shaped one). Credentials: any non-empty source key is accepted
(the documented test pair is ``sim_source_key`` / ``sim_pin``); a missing key or the key
``sim_invalid`` answers 401.

Magic values (the vendor's documentation lists no test cards or amounts, so these are the
simulator's own convention):

- cards, tokenized through ``POST /__simulator__/tokenize`` (the stand-in for Hosted
  Tokenization) or sent raw: 4111111111111111, 5555555555554444, 378282246310005,
  6011111111111117 approve; 4000000000000002 do not honor (05); 4000000000009995 insufficient
  funds (51); 4000000000000069 expired (54); 4000000000000127 CVV mismatch (N7);
  4000000000009987 lost (41); 4000000000009979 stolen (43); 4100000000000019 suspected fraud
  (59); 4000000000000119 processor error (status Error, 96); 4000000000000010 approves with
  AVS ``NNN``; any other Luhn-valid number approves; a past expiry declines (54);
- amounts on an approving card: 5.01 insufficient funds, 5.05 do not honor, 5.54 expired,
  5.82 CVV mismatch, 5.41 lost, 5.43 stolen, 5.59 fraud, 5.96 processor error, 7.77 AVS
  ``NNN``, 8.88 partial approval of half the amount (with ``allow_partial_approval``; a
  decline 51 without it);
- bank debits are ``pending`` until ``POST /__simulator__/settle`` (``{"return_code":
  "R01"}`` returns them instead).

Rules kept from the vendor: void only before settlement, refund only after it and never
beyond what is left, capture is idempotent, adjust (and adjust-capture) once per transaction,
a nonce is single-use and needs an expiry, verifications are not saved. Not simulated:
duplicate detection, surcharges, time windows (ACH void cut-off, 5-day ACH refund wait).

Webhooks: every settlement change is POSTed to each registered webhook (``webhook_url`` at
creation, or ``POST /webhooks``) with ``X-Signature`` = hex HMAC-SHA256 of the raw body keyed
by the webhook's ``signature`` (``webhook_secret``), which ``GET /webhooks`` shows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import requests
from flask import Flask, Response, request

from dealerhub.simulators.control import Ledger, add_control_routes, with_faults

PREFIX = "/api/v2"
TEST_SOURCE_KEY = "sim_source_key"
TEST_PIN = "sim_pin"
REJECTED_SOURCE_KEY = "sim_invalid"
SIGNATURE_HEADER = "X-Signature"
VERSION = "2.0.0"


@dataclass(frozen=True)
class Outcome:
    status_code: str = "A"  # A approved, D declined, E error
    error_code: str | None = None
    error_message: str | None = None
    avs: str | None = None
    cvv: str | None = None
    partial: bool = False


OUTCOMES: dict[str, Outcome] = {
    "approve": Outcome(),
    "do_not_honor": Outcome("D", "05", "Do Not Honor"),
    "insufficient_funds": Outcome("D", "51", "Insufficient Funds"),
    "expired_card": Outcome("D", "54", "Expired Card"),
    "incorrect_cvc": Outcome("D", "N7", "CVV2 Mismatch", cvv="N"),
    "lost_card": Outcome("D", "41", "Lost Card, Pick Up"),
    "stolen_card": Outcome("D", "43", "Stolen Card, Pick Up"),
    "fraudulent": Outcome("D", "59", "Suspected Fraud"),
    "processing_error": Outcome("E", "96", "System Malfunction"),
    "avs_mismatch": Outcome(avs="NNN"),
    "partial": Outcome(partial=True),
}
TEST_CARDS: dict[str, str] = {
    "4111111111111111": "approve",
    "5555555555554444": "approve",
    "378282246310005": "approve",
    "6011111111111117": "approve",
    "4000000000000002": "do_not_honor",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000009987": "lost_card",
    "4000000000009979": "stolen_card",
    "4100000000000019": "fraudulent",
    "4000000000000119": "processing_error",
    "4000000000000010": "avs_mismatch",
}
MAGIC_AMOUNTS: dict[int, str] = {  # cents
    501: "insufficient_funds",
    505: "do_not_honor",
    554: "expired_card",
    582: "incorrect_cvc",
    541: "lost_card",
    543: "stolen_card",
    559: "fraudulent",
    596: "processing_error",
    777: "avs_mismatch",
    888: "partial",
}
RETURN_REASONS = {"R01": "Insufficient Funds", "R02": "Account Closed", "R03": "No Account"}
_UNSETTLED = frozenset({"approved", "captured", "queued", "pending"})
_ALNUM = string.ascii_uppercase + string.digits


@dataclass
class State(Ledger):
    """The ledger (transactions by reference number, as strings) plus the vault."""

    nonces: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    methods: dict[int, dict[str, Any]] = field(default_factory=dict)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def reset(self) -> None:
        with self.lock:
            super().reset()
            for store in (self.nonces, self.tokens, self.customers, self.methods):
                store.clear()


class Refusal(Exception):
    """An HTTP error answer in the vendor's error envelope."""

    def __init__(self, status: int, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.message, self.details = status, message, details


def create_app(*, webhook_url: str | None = None, webhook_secret: str | None = None) -> Flask:
    app = Flask(__name__)
    state = State()
    if webhook_url:
        state.webhooks.append(_webhook(webhook_url, webhook_secret or _random(24), "simulator"))

    def route(rule: str, methods: list[str], money: bool = False) -> Callable[[Any], Any]:
        def register(view: Callable[..., dict[str, Any] | list[Any]]) -> Any:
            def handle(**kwargs: Any) -> Response:
                denied = _authenticate()
                if denied is not None:
                    return denied

                def run() -> Response:
                    try:
                        with state.lock:
                            answer = view(state, **kwargs)
                    except Refusal as exc:
                        return _error(exc.status, exc.message, exc.details)
                    return _json(answer, 201 if view.__name__.startswith("create") else 200)

                return with_faults(state, run, _fault_body) if money else run()

            app.add_url_rule(rule, view.__name__, handle, methods=methods)
            app.add_url_rule(PREFIX + rule, f"{view.__name__}_v2", handle, methods=methods)
            return view

        return register

    route("/transactions/charge", ["POST"], money=True)(charge)
    route("/transactions/capture", ["POST"], money=True)(capture)
    route("/transactions/adjust-capture", ["POST"], money=True)(adjust_capture)
    route("/transactions/void", ["POST"], money=True)(void)
    route("/transactions/refund", ["POST"], money=True)(refund)
    route("/transactions/verify", ["POST"], money=True)(verify)
    route("/transactions", ["GET"])(list_transactions)
    route("/transactions/<int:txn_id>", ["GET"])(get_transaction)
    route("/saved-cards", ["POST"])(save_card)
    route("/customers", ["POST"])(create_customer)
    route("/customers", ["GET"])(list_customers)
    route("/customers/<int:customer_id>/payment-methods", ["POST"])(create_payment_method)
    route("/payment-methods/<int:method_id>", ["GET"])(get_payment_method)
    route("/surcharge", ["GET"])(surcharge)
    route("/webhooks", ["GET"])(list_webhooks)
    route("/webhooks", ["POST"])(create_webhook)

    @app.post("/__simulator__/tokenize")
    def tokenize() -> Response:
        """Test only: what Hosted Tokenization's ``getNonceToken()`` gives a browser."""
        try:
            with state.lock:
                return _json(_tokenize(state, _body()))
        except Refusal as exc:
            return _error(exc.status, exc.message, exc.details)

    def settle(return_code: str | None) -> list[str]:
        with state.lock:
            changed = _settle(state, return_code)
            hooks = [dict(h) for h in state.webhooks if h["active"]]
        for txn in changed:
            _deliver(hooks, txn)
        return [str(txn["id"]) for txn in changed]

    add_control_routes(app, state, settle)
    return app


# --- request plumbing ----------------------------------------------------------------------


def _authenticate() -> Response | None:
    header = request.headers.get("Authorization", "")
    key = ""
    if header.startswith("Basic "):
        try:
            key = base64.b64decode(header[6:]).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            key = ""
    if not key or key == REJECTED_SOURCE_KEY:
        return _error(401, "Unauthorized", "Credentials are missing or invalid")
    return None


def _body() -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise Refusal(415, "'Content-Type' must be 'application/json'")
    try:
        body = json.loads(request.get_data() or b"null", parse_float=Decimal)
    except ValueError as exc:
        raise Refusal(400, "Invalid JSON body") from exc
    if not isinstance(body, dict):
        raise Refusal(400, "The request body must be a JSON object")
    return body


def dumps(payload: Any) -> str:
    """JSON with Decimal amounts as number literals (the vendor sends numbers, not strings)."""
    literals: dict[str, str] = {}
    marker = uuid.uuid4().hex

    def encode(value: Any) -> str:
        if isinstance(value, Decimal):
            literals[f"{marker}{len(literals)}"] = format(value, "f")
            return f"{marker}{len(literals) - 1}"
        raise TypeError(type(value).__name__)

    text = json.dumps(payload, default=encode)
    for key, literal in literals.items():
        text = text.replace(f'"{key}"', literal)
    return text


def _json(payload: Any, status: int = 200) -> Response:
    return Response(dumps(payload), status=status, mimetype="application/json")


def _error(status: int, message: str, details: Any = None) -> Response:
    body = {"error_message": message, "error_code": str(status), "error_details": details}
    return _json(body, status)


def _fault_body(status: int) -> dict[str, Any]:
    return {"error_message": f"Simulated HTTP {status}", "error_code": str(status)}


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def _dollars(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _cents(body: dict[str, Any], key: str = "amount", required: bool = True) -> int | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise Refusal(400, "Invalid request", {key: ["must be a number"]})
    cents = Decimal(value) * 100
    if cents != cents.to_integral_value() or not 1 <= cents <= 2_000_000_000:
        raise Refusal(400, "Invalid request", {key: ["must be between 0.01 and 20000000"]})
    return int(cents)


def _txn(state: State, body: dict[str, Any]) -> dict[str, Any]:
    number = body.get("reference_number")
    txn = state.transactions.get(str(number)) if isinstance(number, int) else None
    if txn is None:
        raise Refusal(404, "Transaction not found")
    return txn


def _result(outcome: Outcome | None = None, **extra: Any) -> dict[str, Any]:
    outcome = outcome or OUTCOMES["approve"]
    status = {"A": "Approved", "P": "Partially Approved", "D": "Declined", "E": "Error"}
    return {
        "version": VERSION,
        "status": status[outcome.status_code],
        "status_code": outcome.status_code,
        "error_message": outcome.error_message,
        "error_code": outcome.error_code,
        "error_details": None,
        **extra,
    }


def _refuse(message: str, code: str = "invalid_state") -> dict[str, Any]:
    """A business refusal: HTTP 200, status Error (the gateway understood and said no)."""
    return _result(Outcome("E", code, message))


# --- cards ---------------------------------------------------------------------------------


def _luhn(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def _brand(number: str) -> str:
    if number.startswith("4"):
        return "Visa"
    if number[:2] in ("34", "37"):
        return "Amex"
    if number.startswith("6"):
        return "Discover"
    return "MasterCard"


def _card(number: str, month: Any, year: Any, cvv: Any = None) -> dict[str, Any]:
    if not number.isdigit() or not 14 <= len(number) <= 16:
        raise Refusal(400, "Invalid request", {"card": ["must be 14 to 16 digits"]})
    if not isinstance(month, int) or not isinstance(year, int) or not 1 <= month <= 12:
        raise Refusal(400, "Invalid request", {"expiry_month": ["required"]})
    behaviour = TEST_CARDS.get(number, "approve" if _luhn(number) else "invalid_number")
    return {
        "behaviour": behaviour,
        "last4": number[-4:],
        "bin": number[:6],
        "card_type": _brand(number),
        "expiry_month": month,
        "expiry_year": year,
        "cvv": bool(cvv),
    }


def _tokenize(state: State, body: dict[str, Any]) -> dict[str, Any]:
    card = _card(str(body.get("card", "")), body.get("expiry_month"), body.get("expiry_year"))
    if card["behaviour"] == "invalid_number":
        raise Refusal(400, "Invalid card number")
    card["cvv"] = bool(body.get("cvv2"))
    nonce = f"nonce-{_random(20)}"
    state.nonces[nonce] = card
    return {
        "nonce": nonce,
        "cardType": card["card_type"],
        "last4": card["last4"],
        "maskedCard": f"{card['bin']}******{card['last4']}",
        "expiryMonth": card["expiry_month"],
        "expiryYear": card["expiry_year"],
        "binType": "C",
        "surcharge": None,
    }


def _source_card(state: State, body: dict[str, Any]) -> dict[str, Any]:
    """The card a request names: raw fields, a nonce (single use, expiry required), a token,
    a payment method or a previous transaction."""
    source = str(body.get("source") or "")
    if not source:
        return _card(str(body.get("card", "")), body.get("expiry_month"), body.get("expiry_year"))
    prefix, _, key = source.partition("-")
    card: dict[str, Any] | None = None
    if prefix == "nonce":
        card = state.nonces.pop(source, None)
        if card is not None and not isinstance(body.get("expiry_month"), int):
            state.nonces[source] = card  # not consumed by a request the gateway refused
            raise Refusal(400, "Invalid request", {"expiry_month": ["required with a nonce"]})
        if card is not None:
            card = {
                **card,
                "expiry_month": body["expiry_month"],
                "expiry_year": body["expiry_year"],
            }
    elif prefix == "tkn":
        card = state.tokens.get(key)
    elif prefix == "pm" and key.isdigit():
        method = state.methods.get(int(key))
        card = method.get("card") if method else None
    elif prefix == "ref":
        txn = state.transactions.get(key)
        card = txn.get("card") if txn else None
    if card is None:
        raise Refusal(400, "Invalid request", {"source": ["unknown or already used source"]})
    return dict(card)


def _outcome(card: dict[str, Any], cents: int | None) -> Outcome:
    if card["behaviour"] == "invalid_number":
        return Outcome("D", "14", "Invalid Card Number")
    if (card["expiry_year"], card["expiry_month"]) < (date.today().year, date.today().month):
        return OUTCOMES["expired_card"]
    if card["behaviour"] != "approve" or cents is None:
        return OUTCOMES.get(card["behaviour"], OUTCOMES["approve"])
    return OUTCOMES[MAGIC_AMOUNTS.get(cents, "approve")]


def _card_answer(outcome: Outcome, card: dict[str, Any], approved: bool) -> dict[str, Any]:
    avs = outcome.avs or "NA"
    cvv = outcome.cvv or ("M" if card.get("cvv") and approved else None)
    return {
        "avs_result": {"NNN": "Address: No Match & 5 Digit Zip: No Match"}.get(avs, "No AVS"),
        "avs_result_code": avs,
        "cvv2_result": {"M": "Match", "N": "No Match"}.get(cvv or ""),
        "cvv2_result_code": cvv,
        "card_type": card["card_type"],
        "last_4": card["last4"],
    }


def _issue_token(state: State, card: dict[str, Any]) -> str:
    ref = "SB" + _random(14)
    state.tokens[ref] = {k: v for k, v in card.items() if k != "cvv"}
    return ref


# --- transactions --------------------------------------------------------------------------


def _record(state: State, **fields: Any) -> dict[str, Any]:
    number = next(state.ids)
    txn = {
        "id": number,
        "kind": "charge",
        "payment_type": "credit_card",
        "refunded": 0,
        "adjusted": False,
        "parent": None,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "settled_date": None,
        "error_code": None,
        "error_message": None,
        "card": None,
        "check": None,
        **fields,
    }
    state.transactions[str(number)] = txn
    return txn


def _render(txn: dict[str, Any]) -> dict[str, Any]:
    """A transaction as ``GET /transactions/{id}`` shows it."""
    out: dict[str, Any] = {
        "id": txn["id"],
        "created_at": txn["created_at"],
        "settled_date": txn["settled_date"],
        "amount_details": {
            "amount": _dollars(txn["amount"]),
            "tax": Decimal("0.00"),
            "surcharge": Decimal("0.00"),
            "original_requested_amount": _dollars(txn["requested"]),
            "original_authorized_amount": _dollars(txn["authorized"]),
        },
        "transaction_details": {
            "description": txn.get("description"),
            "order_number": txn.get("order_number"),
            "type": txn["kind"],
            "parent_reference_number": txn["parent"],
        },
        "status_details": {
            "status": txn["status"],
            "error_code": txn["error_code"],
            "error_message": txn["error_message"],
        },
    }
    if txn["card"]:
        card = txn["card"]
        out["card_details"] = {
            "last4": card["last4"],
            "card_type": card["card_type"],
            "expiry_month": card["expiry_month"],
            "expiry_year": card["expiry_year"],
            "auth_code": txn.get("auth_code"),
            "avs_result_code": txn.get("avs"),
            "cvv_result_code": txn.get("cvv"),
        }
    if txn["check"]:
        out["check_details"] = dict(txn["check"])
    return out


def charge(state: State) -> dict[str, Any]:
    body = _body()
    cents = _cents(body)
    assert cents is not None
    details = body.get("transaction_details") or {}
    common = {
        "order_number": details.get("order_number"),
        "description": details.get("description"),
        "requested": cents,
    }
    check = _check_source(state, body)
    if check is not None:
        txn = _record(
            state,
            payment_type="check",
            status="pending",
            amount=cents,
            authorized=cents,
            check=check,
            **common,
        )
        return _result(auth_amount=_dollars(cents), auth_code="", reference_number=txn["id"])
    card = _source_card(state, body)
    outcome = _outcome(card, cents)
    flags = body.get("transaction_flags") or {}
    approved = cents
    if outcome.partial:
        if flags.get("allow_partial_approval") is True:
            approved, outcome = cents // 2, Outcome("P")
        else:
            outcome = OUTCOMES["insufficient_funds"]
    ok = outcome.status_code in ("A", "P")
    answer = _card_answer(outcome, card, ok)
    status = "captured" if body.get("capture", True) else "approved"
    txn = _record(
        state,
        status=status if ok else {"D": "declined", "E": "error"}[outcome.status_code],
        amount=approved if ok else cents,
        authorized=approved if ok else 0,
        card={k: v for k, v in card.items() if k != "cvv"},
        auth_code=_random(6) if ok else None,
        avs=answer["avs_result_code"],
        cvv=answer["cvv2_result_code"],
        error_code=outcome.error_code,
        error_message=outcome.error_message,
        **common,
    )
    if ok and body.get("save_card") is True:
        answer["card_ref"] = _issue_token(state, card)
    return _result(
        outcome,
        auth_amount=_dollars(approved) if ok else Decimal("0.00"),
        auth_code=txn["auth_code"],
        reference_number=txn["id"],
        transaction=_render(txn),
        **answer,
    )


def _check_source(state: State, body: dict[str, Any]) -> dict[str, Any] | None:
    source = str(body.get("source") or "")
    if source.startswith("pm-") and source[3:].isdigit():
        method = state.methods.get(int(source[3:]))
        return dict(method["check"]) if method and method.get("check") else None
    if "routing_number" not in body and "account_number" not in body:
        return None
    return _check(body)


def _check(body: dict[str, Any]) -> dict[str, Any]:
    routing, account = str(body.get("routing_number", "")), str(body.get("account_number", ""))
    problems = {}
    if not (routing.isdigit() and len(routing) == 9):
        problems["routing_number"] = ["must be 9 digits"]
    if not (account.isdigit() and len(account) <= 17):
        problems["account_number"] = ["must be at most 17 digits"]
    if not body.get("name"):
        problems["name"] = ["required"]
    if problems:
        raise Refusal(400, "Invalid request", problems)
    return {
        "name": body["name"],
        "routing_number": routing,
        "account_number_last4": account[-4:],
        "account_type": body.get("account_type", "checking"),
        "sec_code": body.get("sec_code", "PPD"),
        "returned_at": None,
        "returned_code": None,
        "returned_reason": None,
    }


def capture(state: State) -> dict[str, Any]:
    txn = _txn(state, _body())
    if txn["card"] is None or txn["kind"] != "charge":
        return _refuse("Only credit card authorizations can be captured")
    if txn["status"] == "approved":
        txn["status"] = "captured"
    elif txn["status"] not in ("captured", "settled"):
        return _refuse(f"A {txn['status']} transaction cannot be captured")
    return _result(auth_amount=_dollars(txn["amount"]), auth_code=txn.get("auth_code"))


def adjust_capture(state: State) -> dict[str, Any]:
    body = _body()
    txn = _txn(state, body)
    cents = _cents(body, required=False)
    if txn["card"] is None:
        return _refuse("ACH transactions cannot be adjusted")
    if txn["status"] not in ("approved", "captured", "queued"):
        return _refuse(f"A {txn['status']} transaction cannot be adjusted")
    if txn["adjusted"]:
        return _refuse("A transaction can only be adjusted once")
    if cents is not None:
        txn["amount"], txn["adjusted"] = cents, True
    txn["status"] = "captured"
    return _result(auth_amount=_dollars(txn["amount"]), auth_code=txn.get("auth_code"))


def void(state: State) -> dict[str, Any]:
    txn = _txn(state, _body())
    if txn["status"] == "settled":
        return _refuse("The transaction has already been settled; refund it instead")
    if txn["status"] not in _UNSETTLED:
        return _refuse(f"A {txn['status']} transaction cannot be voided")
    txn["status"] = "voided"
    return _result()


def refund(state: State) -> dict[str, Any]:
    body = _body()
    original = _txn(state, body)
    cents = _cents(body, required=False)
    left = original["amount"] - original["refunded"]
    cents = left if cents is None else cents
    if original["kind"] != "charge" or original["status"] != "settled":
        return _refuse("The transaction has not been settled; void it instead", "not_settled")
    if cents > left:
        return _refuse("The refund amount exceeds the amount left to refund", "amount_too_large")
    original["refunded"] += cents
    details = body.get("transaction_details") or {}
    txn = _record(
        state,
        kind="refund",
        parent=original["id"],
        payment_type=original["payment_type"],
        status="pending" if original["check"] else "captured",
        amount=cents,
        requested=cents,
        authorized=cents,
        card=original["card"],
        check=original["check"],
        order_number=details.get("order_number"),
    )
    return _result(reference_number=txn["id"])


def verify(state: State) -> dict[str, Any]:
    body = _body()
    card = _source_card(state, body)
    outcome = _outcome(card, None)
    ok = outcome.status_code == "A"
    answer = _card_answer(outcome, card, ok)
    if ok and body.get("save_card") is True:
        answer["card_ref"] = _issue_token(state, card)
    return _result(outcome, **answer)  # a verification is not saved: no reference_number


def list_transactions(state: State) -> list[Any]:
    try:
        limit = min(max(int(request.args.get("limit", 10)), 1), 100)
        offset = max(int(request.args.get("offset", 0)), 0)
    except ValueError as exc:
        raise Refusal(400, "Invalid request", {"limit": ["must be an integer"]}) from exc
    statuses = {s for s in request.args.get("status", "").split(",") if s}
    rows = sorted(state.transactions.values(), key=lambda t: int(t["id"]))
    if request.args.get("order") == "desc":
        rows.reverse()
    rows = [t for t in rows if not statuses or t["status"] in statuses]
    return [_render(t) for t in rows[offset : offset + limit]]


def get_transaction(state: State, txn_id: int) -> dict[str, Any]:
    txn = state.transactions.get(str(txn_id))
    if txn is None:
        raise Refusal(404, "Transaction not found")
    return _render(txn)


# --- vault, settings, webhooks -------------------------------------------------------------


def save_card(state: State) -> dict[str, Any]:
    return {"cardRef": _issue_token(state, _source_card(state, _body()))}


def create_customer(state: State) -> dict[str, Any]:
    body = _body()
    if not body.get("identifier"):
        raise Refusal(400, "Invalid request", {"identifier": ["required"]})
    customer = {**body, "active": body.get("active", True), "id": len(state.customers) + 1}
    state.customers[customer["id"]] = customer
    return customer


def list_customers(state: State) -> list[Any]:
    number = request.args.get("customer_number")
    return [c for c in state.customers.values() if number in (None, c.get("customer_number"))]


def create_payment_method(state: State, customer_id: int) -> dict[str, Any]:
    if customer_id not in state.customers:
        raise Refusal(404, "Customer not found")
    body = _body()
    method: dict[str, Any] = {
        "id": len(state.methods) + 1,
        "customer_id": customer_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "name": body.get("name"),
    }
    if "routing_number" in body or "account_number" in body:
        check = _check(body)
        method.update(payment_method_type="check", check=check, last4=check["account_number_last4"])
    else:
        card = _source_card(state, body)
        method.update(payment_method_type="card", card=card, last4=card["last4"])
        method.update(card_type=card["card_type"], bin=card["bin"])
    state.methods[method["id"]] = method
    return _payment_method(method)


def _payment_method(method: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in method.items() if k not in ("card", "check")}
    if method.get("check"):
        out.update(routing_number=method["check"]["routing_number"])
        out.update(account_type=method["check"]["account_type"])
    return out


def get_payment_method(state: State, method_id: int) -> dict[str, Any]:
    method = state.methods.get(method_id)
    if method is None:
        raise Refusal(404, "Payment method not found")
    return _payment_method(method)


def surcharge(state: State) -> dict[str, Any]:
    return {"card": {"type": "percent", "value": 0}, "check": {"type": "percent", "value": 0}}


def list_webhooks(state: State) -> list[Any]:
    return [dict(h) for h in state.webhooks]


def create_webhook(state: State) -> dict[str, Any]:
    body = _body()
    url = str(body.get("webhook_url") or "")
    if not url.startswith("https://"):
        raise Refusal(400, "Invalid request", {"webhook_url": ["must start with https://"]})
    hook = _webhook(url, _random(24), str(body.get("description") or ""), len(state.webhooks) + 1)
    hook["active"] = body.get("active", True) is not False
    state.webhooks.append(hook)
    return hook


def _webhook(url: str, signature: str, description: str, hook_id: int = 1) -> dict[str, Any]:
    return {
        "id": hook_id,
        "signature": signature,
        "webhook_url": url,
        "description": description,
        "active": True,
    }


def _settle(state: State, return_code: str | None) -> list[dict[str, Any]]:
    changed = []
    for txn in state.transactions.values():
        if txn["status"] not in ("captured", "pending"):
            continue
        if return_code and txn["check"] and txn["kind"] == "charge":
            txn["status"] = "returned"
            txn["check"].update(
                returned_at=datetime.now(UTC).isoformat(timespec="seconds"),
                returned_code=return_code,
                returned_reason=RETURN_REASONS.get(return_code, "Returned by the bank"),
            )
        else:
            txn["status"], txn["settled_date"] = "settled", date.today().isoformat()
        changed.append(dict(txn))
    return changed


def _deliver(hooks: list[dict[str, Any]], txn: dict[str, Any]) -> None:
    data: dict[str, Any] = {
        "reference_number": txn["id"],
        "transaction_type": txn["kind"],
        "payment_type": txn["payment_type"],
        "status": txn["status"],
        "order_number": txn.get("order_number"),
        "amount": _dollars(txn["amount"]),
    }
    if txn["status"] == "returned":
        data.update(returned_code=txn["check"]["returned_code"])
        data.update(returned_reason=txn["check"]["returned_reason"])
    message = {
        "id": str(uuid.uuid4()),
        "type": "transaction",
        "event": txn["status"],
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": data,
    }
    raw = dumps(message).encode()
    for hook in hooks:
        signature = hmac.new(hook["signature"].encode(), raw, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature}
        try:
            requests.post(hook["webhook_url"], data=raw, headers=headers, timeout=5)
        except requests.RequestException:
            continue  # delivery is best effort here; the hub reconciles through sync
