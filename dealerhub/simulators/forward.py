"""An offline, stateful Forward Payments Core API: the wire format of seed 003 (payment
intents, payments, capture, cancel, refunds, payment methods, ``x-idempotency-key``), for
rehearsing live mode and for the connector's end-to-end tests.

Credentials: any non-empty ``x-api-key`` and ``x-account-id`` are accepted (the documented
test values are ``sim_api_key``, ``sim_public_key`` and ``sim_account_id``); a key beginning
with ``sim_invalid`` gets a 401 in Forward's error envelope. Objects belong to the account
that made them: another account's ids are 404.

Paths are those the connector uses (the seed lost them; see docs/gateways/forward.md):
``POST /payment_intents``, ``GET /payment_intents``, ``POST /payment_intents/search``,
``GET /payment_intents/{id}``, ``POST|GET /payment_intents/{id}/payments``,
``POST /payment_intents/{id}/capture``, ``POST /payment_intents/{id}/cancel``,
``POST /payment_intents/{id}/refunds``, ``GET /refunds/{id}``, ``GET /payment_methods/{id}``.

Test-only tokenizer (what Forward's JS SDK does in the browser): ``POST
/__simulator__/payment_methods`` with ``{"card": {"number", "exp_month", "exp_year"}}`` or
``{"bank": {"routing_number", "account_number", "account_type"}}`` (optional
``billing_details``, ``"single_use": true``) answers a ``payment_method``; its ``id`` is the
``payment_method_id`` to charge. Card and account numbers are never kept, only their masks.

Magic values (the seed lists no test data; the first four cards are the sandbox cards
third-party notes report for Forward):

======================  ========================================================
card / amount (cents)   outcome
======================  ========================================================
4242424242424242        approved (also 5555555555554444, any other number)
4867094332104873, 5102  declined "Do not honor"
4112912498587255, 5101  declined "Insufficient funds"
4208475663072763, 5105  approved, AVS "N" (address and postal code checks fail)
4000000000000069, 5103  declined "Expired card"
4000000000000127, 5104  declined "CVV mismatch" (cvv "N")
4000000000000002, 5100  declined "Declined" (generic)
amount 5150             partial approval: 5000 approved
amount 5503             HTTP 503 before processing (no payment is made)
amount 5500             processed, then HTTP 500 (the payment exists)
amount 5408             processed, then the answer waits 3 s (client read timeouts)
======================  ========================================================

Bank payments (``payment_method_type: "bank"``) stay ``pending`` until
``POST /__simulator__/settle``; ``{"return_code": "R01"}`` fails them with "R01 ..." in
``auth_response_text``. Settling also settles captured card payments and refunds
(``pending`` → ``succeeded``). The shared control endpoints (faults, transactions, reset)
are described in :mod:`dealerhub.simulators.control`; faults apply to payment create,
capture, cancel and refund. Forward documents no webhooks, so ``webhook_url`` and
``webhook_secret`` are accepted for a uniform signature and never used.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from dealerhub.simulators.control import Fault, Ledger, add_control_routes, with_faults

SIM_API_KEY = "sim_api_key"
SIM_PUBLIC_KEY = "sim_public_key"
SIM_ACCOUNT_ID = "sim_account_id"
IDEMPOTENCY_TTL = 3600.0  # seconds, as the reference states

APPROVED = "Approval"
CARD_TEXTS = {
    "4867094332104873": "Do not honor",
    "4112912498587255": "Insufficient funds",
    "4000000000000069": "Expired card",
    "4000000000000127": "CVV mismatch",
    "4000000000000002": "Declined",
}
AMOUNT_TEXTS = {
    5100: "Declined",
    5101: "Insufficient funds",
    5102: "Do not honor",
    5103: "Expired card",
    5104: "CVV mismatch",
}
AVS_FAIL_CARDS = frozenset({"4208475663072763"})
AVS_FAIL_AMOUNT = 5105
PARTIAL_AMOUNTS = {5150: 5000}
FAULT_AMOUNTS = {
    5503: Fault(status=503),
    5500: Fault(status=500, after=True),
    5408: Fault(delay=3.0),
}
ACH_RETURN_TEXTS = {
    "R01": "Insufficient Funds",
    "R02": "Account Closed",
    "R03": "No Account/Unable to Locate Account",
    "R04": "Invalid Account Number",
}
CANCELLATION_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer", "abandoned"})
BRANDS = (("4", "visa"), ("5", "mastercard"), ("34", "amex"), ("37", "amex"), ("6", "discover"))


@dataclass
class _State(Ledger):
    """The shared ledger (payment intents and refunds in ``transactions``, listed by
    ``/__simulator__/transactions``) plus what only Forward has: payments, payment methods and
    stored idempotent answers. ``reset`` (``/__simulator__/reset``) forgets all of it."""

    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    card_numbers: dict[str, str] = field(default_factory=dict)  # pm id -> magic card, if any
    replies: dict[tuple[str, str], tuple[str, float, int, Any]] = field(default_factory=dict)

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.payments.clear()
            self.methods.clear()
            self.card_numbers.clear()
            self.replies.clear()


def create_app(*, webhook_url: str | None = None, webhook_secret: str | None = None) -> Flask:
    """A fresh simulator with its own in-memory state."""
    app = Flask(__name__)
    state = _State()
    ledger: Ledger = state

    def settle(return_code: str | None) -> list[str]:
        return _settle(state, return_code)

    add_control_routes(app, ledger, settle)

    # --- plumbing ---------------------------------------------------------------------

    def account() -> str:
        return request.headers.get("x-account-id", "").strip()

    @app.before_request
    def _authenticate() -> Response | None:
        if request.path.startswith("/__simulator__/") and request.path != (
            "/__simulator__/payment_methods"
        ):
            return None
        key = request.headers.get("x-api-key", "").strip()
        if not key or key.startswith("sim_invalid"):
            return _error(401, "authentication_error", "unauthorized", "Invalid API key.")
        if request.path.startswith("/__simulator__/") or request.path.startswith(
            "/payment_methods/"
        ):
            return None  # the reference lists no x-account-id for payment methods
        if not account():
            return _error(
                400,
                "invalid_request_error",
                "argument_error",
                "x-account-id header is required.",
                [{"argument": "x-account-id", "message": "is required"}],
            )
        return None

    def money(handle: Callable[[], Response], fault: Fault | None = None) -> Response:
        """A money-moving call: queued faults first, then the idempotency key."""
        if fault is not None:
            with ledger.lock:
                ledger.faults.appendleft(fault)
        return with_faults(ledger, lambda: idempotent(handle), _fault_body)

    def idempotent(handle: Callable[[], Response]) -> Response:
        key = request.headers.get("x-idempotency-key")
        if key is None:
            with ledger.lock:
                return handle()
        if len(key) < 10:
            return _error(
                400,
                "invalid_request_error",
                "idempotency_key_invalid",
                "x-idempotency-key must be at least 10 characters.",
            )
        scope = (account(), key)
        with ledger.lock:
            stored = state.replies.get(scope)
            if stored is not None and time.monotonic() - stored[1] < IDEMPOTENCY_TTL:
                path, _at, status, body = stored
                if path != request.path:
                    return _error(
                        400,
                        "invalid_request_error",
                        "idempotency_key_reused",
                        "This x-idempotency-key was used for another request.",
                    )
                response = jsonify(body)
                response.status_code = status
                return response
            response = handle()
            # Only successful answers are kept: a failed request may be retried for real.
            if 200 <= response.status_code < 300:
                state.replies[scope] = (
                    request.path,
                    time.monotonic(),
                    response.status_code,
                    response.get_json(),
                )
            return response

    def intent_of(pi_id: str) -> dict[str, Any] | None:
        found = ledger.transactions.get(pi_id)
        if found and found["entity"] == "payment_intent" and found["account_id"] == account():
            return found
        return None

    # --- payment intents --------------------------------------------------------------

    @app.post("/payment_intents")
    def create_intent() -> Response:
        return idempotent(lambda: _create_intent(state, account(), _json()))

    @app.get("/payment_intents")
    def list_intents() -> Response:
        limit = min(int(request.args.get("limit", 10)), 50)
        with ledger.lock:
            mine = [
                pi
                for pi in ledger.transactions.values()
                if pi["entity"] == "payment_intent" and pi["account_id"] == account()
            ]
            mine.reverse()
            meta = {"has_more": len(mine) > limit, "limit": limit}
            return jsonify({"data": mine[:limit], "meta": meta})

    @app.post("/payment_intents/search")
    def search_intents() -> Response:
        body = _json()
        limit = int(body.get("limit") or 10)
        page = max(int(body.get("page") or 1), 1)
        fields = ("reference_id", "status", "settlement_status")
        filters: dict[str, Any] = {k: body[k] for k in fields if k in body}
        with ledger.lock:
            hits = [
                pi
                for pi in ledger.transactions.values()
                if pi["entity"] == "payment_intent"
                and pi["account_id"] == account()
                and all(pi.get(k) == v for k, v in filters.items())
            ]
            hits.reverse()
            meta: dict[str, Any] = {"limit": limit, "page": page, "sort_direction": "desc"}
            meta.update(filters)
            return jsonify({"data": hits[(page - 1) * limit : page * limit], "meta": meta})

    @app.get("/payment_intents/<pi_id>")
    def get_intent(pi_id: str) -> Response:
        with ledger.lock:
            pi = intent_of(pi_id)
            return jsonify(pi) if pi else _not_found("payment_intent", pi_id)

    @app.post("/payment_intents/<pi_id>/payments")
    def create_payment(pi_id: str) -> Response:
        with ledger.lock:
            pi = intent_of(pi_id)
            fault = FAULT_AMOUNTS.get(int(pi["amount"])) if pi else None
        return money(lambda: _create_payment(state, intent_of(pi_id), _json(), pi_id), fault)

    @app.get("/payment_intents/<pi_id>/payments")
    def list_payments(pi_id: str) -> Response:
        with ledger.lock:
            pi = intent_of(pi_id)
            if pi is None:
                return _not_found("payment_intent", pi_id)
            data = [p for p in state.payments.values() if p["payment_intent_id"] == pi_id]
            return jsonify({"data": data, "meta": {"has_more": False, "limit": 10}})

    @app.post("/payment_intents/<pi_id>/capture")
    def capture(pi_id: str) -> Response:
        return money(lambda: _capture(intent_of(pi_id), _json(), pi_id))

    @app.post("/payment_intents/<pi_id>/cancel")
    def cancel(pi_id: str) -> Response:
        return money(lambda: _cancel(intent_of(pi_id), _json(), pi_id))

    @app.post("/payment_intents/<pi_id>/refunds")
    def refund(pi_id: str) -> Response:
        return money(lambda: _refund(state, intent_of(pi_id), _json(), pi_id))

    @app.get("/refunds/<refund_id>")
    def get_refund(refund_id: str) -> Response:
        with ledger.lock:
            found = ledger.transactions.get(refund_id)
            if not found or found["entity"] != "refund" or found["account_id"] != account():
                return _not_found("refund", refund_id)
            return jsonify(found)

    # --- payment methods --------------------------------------------------------------

    @app.get("/payment_methods/<pm_id>")
    def get_method(pm_id: str) -> Response:
        with ledger.lock:
            method = state.methods.get(pm_id)
            return jsonify(method) if method else _not_found("payment_method", pm_id)

    @app.post("/__simulator__/payment_methods")
    def tokenize() -> Response:
        return _tokenize(state, _json())

    app.config["FORWARD_WEBHOOK_URL"] = webhook_url  # Forward has no webhooks: kept, unused
    app.config["FORWARD_WEBHOOK_SECRET"] = webhook_secret
    return app


# --- handlers (called under the ledger lock by ``idempotent``) ------------------------------


def _create_intent(state: _State, account_id: str, body: dict[str, Any]) -> Response:
    amount = body.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        return _argument_error("amount", "must be an integer >= 0")
    if body.get("currency", "USD") != "USD":
        return _argument_error("currency", 'must be "USD"')
    types = body.get("payment_method_types", ["card"])
    if not isinstance(types, list) or any(t not in ("card", "bank") for t in types):
        return _argument_error("payment_method_types", 'items must be "card" or "bank"')
    now = _now()
    pi_id = _new_id("pi")
    pi: dict[str, Any] = {
        "id": pi_id,
        "client_secret": f"{pi_id}_secret_{secrets.token_hex(8)}",
        "entity": "payment_intent",
        "status": "created",
        "amount": amount,
        "merchant_amount": body.get("merchant_amount", amount),
        "amount_authorized": 0,
        "amount_captured": 0,
        "amount_refunded": 0,
        "amount_voided": 0,
        "amount_disputed": 0,
        "amount_reversed": 0,
        "payment_splits": body.get("payment_splits", []),
        "order_details": body.get("order_details"),
        "capture": bool(body.get("capture", True)),
        "currency": "USD",
        "latest_payment": None,
        "disputed": False,
        "dispute_id": None,
        "reversed": False,
        "reversal_id": None,
        "external": False,
        "partner_id": "par_simulator",
        "business_id": "bus_simulator",
        "account_id": account_id,
        "payment_method_types": types,
        "reference_id": body.get("reference_id"),
        "user_fields": body.get("user_fields") or {},
        "cancellation_reason": None,
        "description": body.get("description"),
        "created_at": now,
        "updated_at": now,
        "cancelled_at": None,
        "captured_at": None,
        "settlement_status": "unsettled",
        "settled_at": None,
    }
    state.transactions[pi_id] = pi
    return jsonify(pi)


def _create_payment(
    state: _State, pi: dict[str, Any] | None, body: dict[str, Any], pi_id: str
) -> Response:
    if pi is None:
        return _not_found("payment_intent", pi_id)
    if pi["status"] not in ("created", "failed"):
        return _state_error(pi, "create a payment")
    pm_id = body.get("payment_method_id")
    method = state.methods.get(pm_id) if isinstance(pm_id, str) else None
    if method is None:
        return _argument_error("payment_method_id", "no such payment method")
    kind = method["payment_method_type"]
    if kind not in pi["payment_method_types"]:
        return _argument_error("payment_method_id", f"this intent does not accept {kind}")
    amount = int(pi["amount"])
    now = _now()
    payment: dict[str, Any] = {
        "id": _new_id("pay"),
        "entity": "payment",
        "status": "pending",
        "billing_details": method.get("billing_details"),
        "amount": amount,
        "amount_authorized": 0,
        "amount_captured": 0,
        "amount_refunded": 0,
        "amount_voided": 0,
        "amount_disputed": 0,
        "amount_reversed": 0,
        "cvv": None,
        "avs": None,
        "address_line1_check": None,
        "address_postal_code_check": None,
        "cvv_check": None,
        "entry_mode": "keyed",
        "reversed": False,
        "reversal_id": None,
        "disputed": False,
        "dispute_id": None,
        "order_details": body.get("order_details"),
        "payment_intent_id": pi["id"],
        "payment_method_id": pm_id,
        "payment_method": method,
        "auth_code": None,
        "auth_response_text": None,
        "external": False,
        "card_present": False,
        "created_at": now,
        "updated_at": now,
        "account_id": pi["account_id"],
        "reference_id": body.get("reference_id"),
        "user_fields": body.get("user_fields") or {},
        "description": body.get("description"),
        "settlement_status": "unsettled",
        "settled_at": None,
    }
    if kind == "bank":
        payment.update(amount_authorized=amount, auth_response_text="Accepted")
        pi.update(status="pending", amount_authorized=amount)
    else:
        _card_outcome(payment, pi, state.card_numbers.get(str(pm_id), ""))
    pi["latest_payment"] = payment
    pi["updated_at"] = now
    state.payments[payment["id"]] = payment
    return jsonify(payment)


def _card_outcome(payment: dict[str, Any], pi: dict[str, Any], number: str) -> None:
    amount = int(pi["amount"])
    text = AMOUNT_TEXTS.get(amount) or CARD_TEXTS.get(number)
    avs_fail = amount == AVS_FAIL_AMOUNT or number in AVS_FAIL_CARDS
    payment.update(
        avs="N" if avs_fail else "Y",
        address_line1_check="fail" if avs_fail else "pass",
        address_postal_code_check="fail" if avs_fail else "pass",
        cvv="N" if text == "CVV mismatch" else "M",
        cvv_check="fail" if text == "CVV mismatch" else "pass",
    )
    if text is not None:
        payment.update(status="failed", auth_response_text=text)
        pi["status"] = "failed"
        return
    approved = PARTIAL_AMOUNTS.get(amount, amount)
    payment.update(
        auth_code=f"{secrets.randbelow(10**6):06d}",
        auth_response_text=APPROVED if approved == amount else "Partial Approval",
        amount_authorized=approved,
    )
    pi["amount_authorized"] = approved
    if pi["capture"]:
        payment.update(status="captured", amount_captured=approved)
        pi.update(status="captured", amount_captured=approved, captured_at=_now())
    else:
        payment["status"] = "uncaptured"
        pi["status"] = "uncaptured"


def _capture(pi: dict[str, Any] | None, body: dict[str, Any], pi_id: str) -> Response:
    if pi is None:
        return _not_found("payment_intent", pi_id)
    if pi["status"] != "uncaptured":
        return _state_error(pi, "capture")
    authorized = int(pi["amount_authorized"])
    amount = body.get("amount", authorized)
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= authorized:
        return _argument_error("amount", f"must be between 1 and {authorized}")
    now = _now()
    payment = pi["latest_payment"]
    for obj in (pi, payment):
        obj.update(
            status="captured",
            amount_captured=amount,
            amount_voided=authorized - amount,
            updated_at=now,
        )
    pi["captured_at"] = now
    return jsonify(pi)


def _cancel(pi: dict[str, Any] | None, body: dict[str, Any], pi_id: str) -> Response:
    if pi is None:
        return _not_found("payment_intent", pi_id)
    reason = body.get("cancellation_reason")
    if reason is not None and reason not in CANCELLATION_REASONS:
        return _argument_error("cancellation_reason", "is not one of the allowed values")
    if pi["status"] not in ("created", "uncaptured"):
        return _state_error(pi, "cancel")
    now = _now()
    voided = int(pi["amount_authorized"])
    pi.update(
        status="cancelled",
        amount_voided=voided,
        cancellation_reason=reason,
        cancelled_at=now,
        updated_at=now,
    )
    if pi["latest_payment"]:
        pi["latest_payment"].update(status="voided", amount_voided=voided, updated_at=now)
    return jsonify(pi)


def _refund(state: _State, pi: dict[str, Any] | None, body: dict[str, Any], pi_id: str) -> Response:
    if pi is None:
        return _not_found("payment_intent", pi_id)
    if pi["status"] != "captured":
        return _state_error(pi, "refund")
    payment = pi["latest_payment"]
    bank = payment["payment_method"]["payment_method_type"] == "bank"
    if bank and pi["settlement_status"] != "settled":
        return _error(
            400,
            "invalid_request_error",
            "payment_unsettled",
            "A bank payment can be refunded only after it settles.",
        )
    refundable = int(pi["amount_captured"]) - int(pi["amount_refunded"])
    amount = body.get("amount", refundable)
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= refundable:
        return _argument_error("amount", f"must be between 1 and {refundable}")
    now = _now()
    refund = {
        "id": _new_id("re"),
        "entity": "refund",
        "status": "pending",
        "external": False,
        "amount": amount,
        "account_id": pi["account_id"],
        "payment_id": payment["id"],
        "created_at": now,
        "updated_at": now,
        "settlement_status": "unsettled",
        "settled_at": None,
    }
    for obj in (pi, payment):
        obj["amount_refunded"] = int(obj["amount_refunded"]) + amount
        obj["updated_at"] = now
    state.transactions[refund["id"]] = refund
    return jsonify(refund)


def _tokenize(state: _State, body: dict[str, Any]) -> Response:
    now = _now()
    single_use = bool(body.get("single_use", False))
    method: dict[str, Any] = {
        "id": _new_id("pm"),
        "entity": "payment_method",
        "created_at": now,
        "updated_at": now,
        "source_type": "cardpointe",
        "billing_details": body.get("billing_details")
        or {"address": {}, "email": None, "name": None, "phone": None},
        "single_use_token": single_use,
        "signature": None,
    }
    card, bank = body.get("card"), body.get("bank")
    if isinstance(card, dict):
        number = "".join(ch for ch in str(card.get("number", "")) if ch.isdigit())
        if not 13 <= len(number) <= 19:
            return _argument_error("card.number", "must be 13 to 19 digits")
        brand = next((name for prefix, name in BRANDS if number.startswith(prefix)), "unknown")
        method["payment_method_type"] = "card"
        method["card"] = {
            "last_four_digits": number[-4:],
            "first_six_digits": number[:6],
            "brand": brand,
            "exp_month": str(card.get("exp_month", "12")),
            "exp_year": str(card.get("exp_year", "2034")),
            "wallet": None,
            "entry_mode": "keyed",
            "from_terminal": False,
            "device_serial_number": None,
            "reuse_eligible": not single_use,
        }
        if number in CARD_TEXTS or number in AVS_FAIL_CARDS:
            state.card_numbers[method["id"]] = number  # magic test numbers only
    elif isinstance(bank, dict):
        account = "".join(ch for ch in str(bank.get("account_number", "")) if ch.isdigit())
        routing = "".join(ch for ch in str(bank.get("routing_number", "")) if ch.isdigit())
        if len(routing) != 9 or not 4 <= len(account) <= 17:
            return _argument_error("bank", "routing_number (9 digits) and account_number needed")
        method["payment_method_type"] = "bank"
        method["bank"] = {
            "masked_account": f"****{account[-4:]}",
            "masked_routing": f"*****{routing[-4:]}",
            "owner_type": "personal",
            "account_id": _new_id("ba"),
            "subtype": str(bank.get("account_type", "checking")),
            "name": "Simulated Bank",
            "official_name": "Simulated Bank, N.A.",
            "type": "depository",
        }
    else:
        return _argument_error("card", "send a card or a bank")
    with state.lock:
        state.methods[method["id"]] = method
    return jsonify(method)


def _settle(state: _State, return_code: str | None) -> list[str]:
    """Settle captured card payments and refunds; complete pending bank payments, or return
    them with ``return_code``."""
    changed: list[str] = []
    now = _now()
    with state.lock:
        for obj in list(state.transactions.values()):
            if obj["entity"] == "refund" and obj["status"] == "pending":
                obj.update(
                    status="succeeded", settlement_status="settled", settled_at=now, updated_at=now
                )
                changed.append(obj["id"])
                continue
            if obj["entity"] != "payment_intent" or obj["settlement_status"] == "settled":
                continue
            payment = obj.get("latest_payment")
            if obj["status"] == "pending" and payment is not None:
                if return_code:
                    text = f"{return_code} {ACH_RETURN_TEXTS.get(return_code, 'Returned')}"
                    for item in (obj, payment):
                        item.update(status="failed", updated_at=now)
                    payment["auth_response_text"] = text
                    changed.append(obj["id"])
                    continue
                for item in (obj, payment):
                    item.update(status="captured", amount_captured=int(obj["amount"]))
                obj["captured_at"] = now
            if obj["status"] == "captured":
                for item in (obj, payment):
                    if item is not None:
                        item.update(settlement_status="settled", settled_at=now, updated_at=now)
                changed.append(obj["id"])
    return changed


# --- helpers ------------------------------------------------------------------------------


def _json() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _error(
    status: int,
    type_: str,
    code: str,
    message: str,
    argument_errors: list[dict[str, str]] | None = None,
) -> Response:
    """Forward's error envelope as reported in practice (the reference defines none)."""
    response = jsonify(
        {"type": type_, "code": code, "message": message, "argument_errors": argument_errors or []}
    )
    response.status_code = status
    return response


def _argument_error(argument: str, message: str) -> Response:
    return _error(
        400,
        "invalid_request_error",
        "argument_error",
        f"{argument} {message}.",
        [{"argument": argument, "message": message}],
    )


def _not_found(entity: str, object_id: str) -> Response:
    return _error(404, "invalid_request_error", "not_found", f"No {entity} {object_id}.")


def _state_error(pi: dict[str, Any], action: str) -> Response:
    return _error(
        400,
        "invalid_request_error",
        "invalid_state",
        f"Cannot {action} a payment intent whose status is {pi['status']}.",
    )


def _fault_body(status: int) -> dict[str, Any]:
    kinds = {429: "rate_limit_error", 503: "api_error", 500: "api_error"}
    return {
        "type": kinds.get(status, "api_error"),
        "code": f"http_{status}",
        "message": "Simulated fault.",
        "argument_errors": [],
    }
