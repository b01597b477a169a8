"""An offline BlueDog (FluidPay platform) gateway speaking the seed's wire format.

Endpoints (``Authorization: <key>``; any non-empty key except a public ``pub_`` one, as the
real API refuses public keys server-side; the documented test key is ``sim_api_key``):

- ``POST /api/transaction`` (``sale``, ``authorize``, ``verification``; ``payment_method``
  ``card``, ``ach``, ``token`` or ``customer``), honouring ``idempotency_key`` (a repeat
  within 5 minutes answers the original transaction) and ``allow_partial_payment``;
- ``GET /api/transaction/{id}`` (``data`` is a one-element array, as in the seed),
  ``POST /api/transaction/search`` (string filters ``=``/``!=``, ``amount`` with ``<``/``>``);
- ``POST /api/transaction/{id}/capture``, ``/void``, ``/refund`` (refund only once settled,
  up to the settled amount, repeatedly); ``POST /api/vault/customer``,
  ``GET``/``DELETE /api/vault/{id}``; ``GET /api/user``.

Magic values (the seed lists no test data; these are the simulator's own):

- cards: ``4012000098765439`` (the seed's example) and ``4111111111111111`` approve;
  ``4000000000000002`` do not honor (201/05), ``4000000000009995`` insufficient funds
  (202/51), ``4000000000000069`` expired (223/54, as is any past expiration date),
  ``4000000000000127`` CVV mismatch (225/N7), ``4000000000009987`` lost (251/41),
  ``4000000000009979`` stolen (252/43), ``4100000000000019`` fraud (253/59),
  ``4000000000000119`` processor error (400/96); approved with failing checks:
  ``4000000000000028`` (AVS ``N``), ``4000000000000036`` (AVS ``A``: ZIP fails),
  ``4000000000000101`` (CVV ``N``);
- amounts in cents on a sale or authorization: 5101 insufficient funds, 5105 do not honor,
  5154 expired card, 5182 CVV mismatch, 5141 lost, 5143 stolen, 5159 fraud, 5300 gateway
  decline, 5400 processor error, 5201 approved with AVS ``N``, 5202 approved with CVV ``N``,
  5110 partial approval of half the amount (code 110) when ``allow_partial_payment`` is true,
  insufficient funds otherwise;
- bank debits (``payment_method.ach``) are accepted as ``pending_settlement``; settling with a
  return code (``{"return_code": "R01"}``) returns them (status ``reversed``, ACH status
  ``returned``, ``processor_response_code`` the R code).

Test-only: ``POST /__simulator__/tokenize`` with ``{"card": {"number", "expiration_date",
"cvc"}}`` or ``{"ach": {...}}`` answers ``{"status": "success", "token": ...}``, as the
platform's browser Tokenizer would. The control endpoints of :mod:`.control` apply; the seed
documents no webhooks, so ``webhook_url`` and ``webhook_secret`` are accepted and unused.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, jsonify, request

from dealerhub.simulators.control import Ledger, add_control_routes, with_faults

IDEMPOTENCY_WINDOW = 300.0  # seconds, per the seed
_XID = "0123456789abcdefghijklmnopqrstuv"
_ORDER_ID = re.compile(r"^[A-Za-z0-9]{1,15}$")
_VAULT_ID = re.compile(r"^[A-Za-z0-9]{1,40}$")

# response_code -> (ISO processor code, processor text)
CODE_TEXT: dict[int, tuple[str, str]] = {
    100: ("00", "APPROVAL"),
    110: ("10", "PARTIAL APPROVAL"),
    201: ("05", "DO NOT HONOR"),
    202: ("51", "INSUFFICIENT FUNDS"),
    223: ("54", "EXPIRED CARD"),
    225: ("N7", "CVV2 MISMATCH"),
    251: ("41", "LOST CARD"),
    252: ("43", "STOLEN CARD"),
    253: ("59", "SUSPECTED FRAUD"),
    300: ("", "REJECTED BY GATEWAY"),
    400: ("96", "SYSTEM ERROR"),
}
DECLINE_CARDS: dict[str, int] = {
    "4000000000000002": 201,
    "4000000000009995": 202,
    "4000000000000069": 223,
    "4000000000000127": 225,
    "4000000000009987": 251,
    "4000000000009979": 252,
    "4100000000000019": 253,
    "4000000000000119": 400,
}
CHECK_CARDS: dict[str, tuple[str, str]] = {  # number -> (AVS, CVV)
    "4000000000000028": ("N", "M"),
    "4000000000000036": ("A", "M"),
    "4000000000000101": ("Y", "N"),
}
DECLINE_AMOUNTS: dict[int, int] = {
    5101: 202,
    5105: 201,
    5154: 223,
    5182: 225,
    5141: 251,
    5143: 252,
    5159: 253,
    5300: 300,
    5400: 400,
}
CHECK_AMOUNTS: dict[int, tuple[str, str]] = {5201: ("N", "M"), 5202: ("Y", "N")}
PARTIAL_AMOUNT = 5110


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _xid() -> str:
    return "".join(secrets.choice(_XID) for _ in range(20))


def _envelope(data: Any, msg: str = "success", **extra: Any) -> Response:
    return jsonify({"status": "success", "msg": msg, "data": data, **extra})


def _failed(status: int, msg: str) -> Response:
    response = jsonify({"status": "failed", "msg": msg})
    response.status_code = status
    return response


def _error_body(status: int) -> dict[str, str]:
    return {"status": "failed", "msg": f"simulated error {status}"}


def _expired(expiration: str) -> bool:
    match = re.fullmatch(r"(\d{2})/?(\d{2})", expiration or "")
    if match is None:
        return True
    month, year = int(match.group(1)), 2000 + int(match.group(2))
    today = datetime.now(UTC)
    return (year, month) < (today.year, today.month)


def _card_type(number: str) -> str:
    return {"4": "visa", "5": "mastercard", "3": "amex", "6": "discover"}.get(number[:1], "unknown")


@dataclass
class BlueDogLedger(Ledger):
    """The shared ledger plus what only this gateway keeps; ``reset`` forgets it all."""

    idempotency: dict[str, tuple[float, str]] = field(default_factory=dict)  # key -> (when, id)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)  # token -> {"card": {...}}
    vault: dict[str, dict[str, Any]] = field(default_factory=dict)  # customer id -> record
    refunded: dict[str, int] = field(default_factory=dict)  # transaction id -> refunded

    def reset(self) -> None:
        with self.lock:
            super().reset()
            for state in (self.idempotency, self.tokens, self.vault, self.refunded):
                state.clear()


def create_app(*, webhook_url: str | None = None, webhook_secret: str | None = None) -> Flask:
    """A fresh simulator with its own state. The seed has no webhooks, so the two webhook
    arguments (kept for the shared simulator signature) change nothing."""
    app = Flask("bluedog_simulator")
    ledger = BlueDogLedger()
    idempotency, tokens = ledger.idempotency, ledger.tokens
    vault, refunded = ledger.vault, ledger.refunded

    @app.before_request
    def _authenticate() -> Response | None:
        if request.path.startswith("/__simulator__/"):
            return None
        key = request.headers.get("Authorization", "").strip()
        if not key or key.startswith("pub_"):
            return _failed(401, "unauthorized")
        return None

    @app.after_request
    def _correlate(response: Response) -> Response:
        response.headers["x-correlation-id"] = str(uuid.uuid4())
        return response

    # --- payment methods ------------------------------------------------------------------

    def resolve(method: Any) -> tuple[str, dict[str, Any], str | None] | Response:
        """``payment_method`` -> ("card"|"ach", details, vault customer id) or a 400."""
        if not isinstance(method, dict) or len(method) != 1:
            return _failed(400, "bad request error: payment_method must contain one method")
        (kind, value), customer = next(iter(method.items())), None
        if kind == "token":
            found = tokens.get(str(value))
            if found is None:
                return _failed(400, "bad request error: invalid token")
            ((kind, value),) = found.items()
        elif kind == "customer":
            customer = str((value or {}).get("id") or "")
            record = vault.get(customer)
            if record is None:
                return _failed(400, "bad request error: customer not found")
            ((kind, value),) = record["payment"].items()
        if kind == "card":
            if not isinstance(value, dict) or not str(value.get("number") or "").isdigit():
                return _failed(400, "bad request error: invalid card number")
            if not value.get("expiration_date"):
                return _failed(400, "bad request error: invalid expiration date")
            return "card", value, customer
        if kind == "ach":
            required = ("routing_number", "account_number", "account_type", "sec_code")
            if not isinstance(value, dict) or not all(value.get(k) for k in required):
                return _failed(400, "bad request error: invalid ach payment method")
            return "ach", value, customer
        return _failed(400, f"bad request error: payment method {kind} is not simulated")

    def card_block(card: dict[str, Any], code: int, avs: str, cvv: str) -> dict[str, Any]:
        number = str(card["number"])
        iso, text = CODE_TEXT.get(code, ("05", "DECLINE"))
        approved = code < 200
        return {
            "id": _xid(),
            "card_type": _card_type(number),
            "first_six": number[:6],
            "last_four": number[-4:],
            "masked_card": f"{number[:6]}******{number[-4:]}",
            "expiration_date": card.get("expiration_date"),
            "status": "approved" if approved else "declined",
            "auth_code": secrets.token_hex(3).upper() if approved else "",
            "processor_response_code": iso,
            "processor_response_text": f"{text} " if approved else text,
            "processor_type": "simulator",
            "processor_id": "simulatorprocessor01",
            "avs_response_code": avs,
            "cvv_response_code": cvv,
            "processor_specific": {},
            "created_at": _now(),
            "updated_at": _now(),
        }

    def ach_block(ach: dict[str, Any]) -> dict[str, Any]:
        account = str(ach["account_number"])
        return {
            "id": _xid(),
            "sec_code": ach["sec_code"],
            "account_type": ach["account_type"],
            "masked_account_number": "*" * max(len(account) - 4, 0) + account[-4:],
            "routing_number": ach["routing_number"],
            "status": "approved",
            "auth_code": "",
            "processor_response_code": "00",
            "processor_response_text": "ACCEPTED",
            "processor_type": "simulator",
            "created_at": _now(),
            "updated_at": _now(),
        }

    def decide(kind: str, card: dict[str, Any], amount: int, partial: bool) -> tuple[int, str, str]:
        """(response_code, AVS, CVV) for a card transaction."""
        number = str(card["number"])
        avs, cvv = CHECK_CARDS.get(number, ("Y", "M" if card.get("cvc") else ""))
        code = DECLINE_CARDS.get(number, 100)
        if code == 100 and _expired(str(card.get("expiration_date") or "")):
            code = 223
        if code == 100 and kind in ("sale", "authorize"):
            code = DECLINE_AMOUNTS.get(amount, 100)
            avs, cvv = CHECK_AMOUNTS.get(amount, (avs, cvv))
            if amount == PARTIAL_AMOUNT:
                code = 110 if partial else 202
        return code, avs, cvv

    # --- transactions ---------------------------------------------------------------------

    def process() -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _failed(400, "bad request error: invalid json")
        kind = body.get("type")
        amount = body.get("amount")
        if kind not in ("sale", "authorize", "verification"):
            return _failed(400, "bad request error: invalid transaction type")
        if not isinstance(amount, int) or amount < 0 or (amount == 0 and kind != "verification"):
            return _failed(400, "bad request error: invalid amount")
        order_id = str(body.get("order_id") or "")
        if order_id and not _ORDER_ID.match(order_id):
            return _failed(400, "bad request error: invalid order_id")
        key = body.get("idempotency_key")
        if key is not None:
            try:
                uuid.UUID(str(key))
            except ValueError:
                return _failed(400, "bad request error: invalid idempotency_key")
        with ledger.lock:
            if key is not None and key in idempotency:
                when, txn_id = idempotency[key]
                if time.monotonic() - when < IDEMPOTENCY_WINDOW and txn_id in ledger.transactions:
                    return _envelope(ledger.transactions[txn_id])
            resolved = resolve(body.get("payment_method"))
            if isinstance(resolved, Response):
                return resolved
            method, details, customer = resolved
            partial = body.get("allow_partial_payment") is True
            if method == "ach":
                if kind != "sale":
                    return _failed(400, "bad request error: ach supports sale only")
                code, block = 100, {"ach": ach_block(details)}
            else:
                code, avs, cvv = decide(kind, details, amount, partial)
                block = {"card": card_block(details, code, avs, cvv)}
            approved_amount = amount // 2 if code == 110 else amount
            if code >= 200:
                status = "declined"
            elif kind in ("authorize", "verification"):
                status = "authorized"
            else:
                status = "pending_settlement"
            txn = {
                "id": _xid(),
                "type": kind,
                "amount": amount,
                "amount_authorized": approved_amount if code < 200 else 0,
                "amount_captured": approved_amount if status == "pending_settlement" else 0,
                "amount_settled": 0,
                "tax_amount": body.get("tax_amount", 0),
                "tax_exempt": False,
                "shipping_amount": body.get("shipping_amount", 0),
                "currency": str(body.get("currency") or "USD").lower(),
                "description": str(body.get("description") or ""),
                "order_id": order_id,
                "po_number": str(body.get("po_number") or ""),
                "ip_address": str(body.get("ip_address") or ""),
                "email_receipt": False,
                "payment_method": method,
                "payment_type": "echeck" if method == "ach" else "card",
                "processor_id": str(body.get("processor_id") or ""),
                "customer_id": customer or "",
                "response_code": code,
                "response": block,
                "status": status,
                "billing_address": body.get("billing_address") or {},
                "shipping_address": body.get("shipping_address") or {},
                "created_at": _now(),
                "updated_at": _now(),
            }
            ledger.transactions[txn["id"]] = txn
            if key is not None:
                idempotency[key] = (time.monotonic(), txn["id"])
            return _envelope(txn)

    def capture(txn_id: str) -> Response:
        body = request.get_json(silent=True) or {}
        with ledger.lock:
            txn = ledger.transactions.get(txn_id)
            if txn is None:
                return _failed(404, "transaction not found")
            if txn["type"] != "authorize" or txn["status"] != "authorized":
                return _failed(400, "bad request error: transaction can not be captured")
            amount = body.get("amount", txn["amount_authorized"])
            if not isinstance(amount, int) or not 0 < amount <= txn["amount_authorized"]:
                return _failed(400, "bad request error: invalid capture amount")
            txn.update(status="pending_settlement", amount_captured=amount, updated_at=_now())
            return _envelope(txn)

    def void(txn_id: str) -> Response:
        with ledger.lock:
            txn = ledger.transactions.get(txn_id)
            if txn is None:
                return _failed(404, "transaction not found")
            if txn["status"] not in ("authorized", "pending_settlement"):
                return _failed(400, "bad request error: transaction can not be voided")
            # An authorization is reversed at the issuer; a captured one is voided.
            txn.update(
                status="reversed" if txn["status"] == "authorized" else "voided",
                updated_at=_now(),
            )
            return _envelope(None)

    def refund(txn_id: str) -> Response:
        body = request.get_json(silent=True) or {}
        with ledger.lock:
            txn = ledger.transactions.get(txn_id)
            if txn is None:
                return _failed(404, "transaction not found")
            if txn["type"] not in ("sale", "authorize") or txn["status"] not in (
                "settled",
                "refunded",
            ):
                return _failed(400, "bad request error: transaction must be settled to refund")
            left = txn["amount_settled"] - refunded.get(txn_id, 0)
            amount = body.get("amount", left)
            if not isinstance(amount, int) or not 0 < amount <= left:
                return _failed(400, "bad request error: refund amount exceeds settled amount")
            refunded[txn_id] = refunded.get(txn_id, 0) + amount
            if refunded[txn_id] == txn["amount_settled"]:
                txn["status"] = "refunded"
            block_name = "ach" if txn["payment_method"] == "ach" else "card"
            block = {**txn["response"][block_name], "id": _xid(), "created_at": _now()}
            block.update(processor_response_code="00", processor_response_text="APPROVAL ")
            refund_txn = {
                **txn,
                "id": _xid(),
                "type": "refund",
                "amount": amount,
                "amount_authorized": amount,
                "amount_captured": amount,
                "amount_settled": 0,
                "response_code": 100,
                "response": {block_name: block},
                "status": "pending_settlement",
                "created_at": _now(),
                "updated_at": _now(),
            }
            ledger.transactions[refund_txn["id"]] = refund_txn
            return _envelope(refund_txn)

    app.add_url_rule(
        "/api/transaction",
        "process",
        lambda: with_faults(ledger, process, _error_body),
        methods=["POST"],
    )
    app.add_url_rule(
        "/api/transaction/<txn_id>/capture",
        "capture",
        lambda txn_id: with_faults(ledger, lambda: capture(txn_id), _error_body),
        methods=["POST"],
    )
    app.add_url_rule(
        "/api/transaction/<txn_id>/void",
        "void",
        lambda txn_id: with_faults(ledger, lambda: void(txn_id), _error_body),
        methods=["POST"],
    )
    app.add_url_rule(
        "/api/transaction/<txn_id>/refund",
        "refund",
        lambda txn_id: with_faults(ledger, lambda: refund(txn_id), _error_body),
        methods=["POST"],
    )

    @app.get("/api/transaction/<txn_id>")
    def _get(txn_id: str) -> Response:
        with ledger.lock:
            txn = ledger.transactions.get(txn_id)
            if txn is None:
                return _failed(404, "transaction not found")
            return _envelope([txn], total_count=1)

    @app.post("/api/transaction/search")
    def _search() -> Response:
        body = request.get_json(silent=True) or {}
        limit = body.get("limit", 10)
        offset = body.get("offset", 0)
        if not isinstance(limit, int) or not 0 <= limit <= 100:
            return _failed(400, "bad request error: invalid limit")
        with ledger.lock:
            found = [t for t in ledger.transactions.values() if _matches(t, body)]
        found.sort(key=lambda t: t["created_at"], reverse=True)
        return _envelope(found[offset : offset + (limit or 100)], total_count=len(found))

    # --- vault ----------------------------------------------------------------------------

    @app.post("/api/vault/customer")
    def _vault_create() -> Response:
        body = request.get_json(silent=True) or {}
        customer = str(body.get("id") or _xid())
        if not _VAULT_ID.match(customer):
            return _failed(400, "bad request error: invalid customer id")
        payment = body.get("default_payment") or {}
        if "token" in payment:
            payment = tokens.get(str(payment["token"]))
            if payment is None:
                return _failed(400, "bad request error: invalid token")
        if (
            not isinstance(payment, dict)
            or len(payment) != 1
            or not payment.keys()
            <= {
                "card",
                "ach",
            }
        ):
            return _failed(400, "bad request error: invalid default_payment")
        with ledger.lock:
            if customer in vault:
                return _failed(400, "bad request error: customer id already exists")
            vault[customer] = {
                "payment": payment,
                "record": _vault_record(customer, body, payment),
            }
            return _envelope(vault[customer]["record"])

    @app.get("/api/vault/<customer>")
    def _vault_get(customer: str) -> Response:
        with ledger.lock:
            found = vault.get(customer)
        if found is None:
            return _failed(404, "customer not found")
        return _envelope(found["record"])

    @app.delete("/api/vault/<customer>")
    def _vault_delete(customer: str) -> Response:
        with ledger.lock:
            if vault.pop(customer, None) is None:
                return _failed(404, "customer not found")
        return jsonify({"status": "success", "msg": "success"})

    @app.get("/api/user")
    def _user() -> Response:
        return _envelope(
            {
                "id": "simulatoruser0000001",
                "username": "simulator1",
                "name": "BlueDog simulator",
                "status": "active",
                "role": "admin",
                "account_type": "merchant",
                "account_type_id": "simulatormerchant001",
                "created_at": _now(),
                "updated_at": _now(),
            }
        )

    # --- test-only ------------------------------------------------------------------------

    @app.post("/__simulator__/tokenize")
    def _tokenize() -> Response:
        body = request.get_json(silent=True) or {}
        method = {k: v for k, v in body.items() if k in ("card", "ach") and isinstance(v, dict)}
        if len(method) != 1:
            return _failed(400, "bad request error: send one card or ach object")
        token = str(uuid.uuid4())
        with ledger.lock:
            tokens[token] = method
        return jsonify({"status": "success", "token": token})

    def settle(return_code: str | None) -> list[str]:
        changed = []
        with ledger.lock:
            for txn in ledger.transactions.values():
                if txn["status"] != "pending_settlement":
                    continue
                if return_code and txn["payment_method"] == "ach" and txn["type"] == "sale":
                    block = txn["response"]["ach"]
                    block.update(
                        status="returned",
                        processor_response_code=return_code,
                        processor_response_text=f"ACH RETURN {return_code}",
                    )
                    txn.update(status="reversed", updated_at=_now())
                else:
                    txn.update(
                        status="settled", amount_settled=txn["amount_captured"], updated_at=_now()
                    )
                changed.append(txn["id"])
        return changed

    add_control_routes(app, ledger, settle)
    return app


_STRING_FILTERS = {
    "transaction_id": "id",
    "order_id": "order_id",
    "type": "type",
    "status": "status",
    "payment_method": "payment_method",
    "payment_type": "payment_type",
    "po_number": "po_number",
    "customer_id": "customer_id",
}


def _matches(txn: dict[str, Any], body: dict[str, Any]) -> bool:
    """The seed's QuerySearchString (``=``, ``!=``) and QuerySearchInt (``amount``)."""
    for name, key in _STRING_FILTERS.items():
        criterion = body.get(name)
        if isinstance(criterion, dict):
            equal = str(txn.get(key)) == str(criterion.get("value"))
            if equal != (criterion.get("operator", "=") == "="):
                return False
    criterion = body.get("amount")
    if isinstance(criterion, dict) and isinstance(criterion.get("value"), int):
        value, op = criterion["value"], criterion.get("operator", "=")
        ops = {
            "=": txn["amount"] == value,
            "!=": txn["amount"] != value,
            "<": txn["amount"] < value,
            ">": txn["amount"] > value,
        }
        if not ops.get(op, False):
            return False
    return True


def _vault_record(customer: str, body: dict[str, Any], payment: dict[str, Any]) -> dict[str, Any]:
    """The seed's customer record: masked payment methods only."""
    payment_id = _xid()
    cards, achs = [], []
    if "card" in payment:
        number = str(payment["card"].get("number") or "")
        cards.append(
            {
                "id": payment_id,
                "card_type": _card_type(number),
                "masked_number": f"{number[:6]}******{number[-4:]}",
                "expiration_date": payment["card"].get("expiration_date"),
            }
        )
    else:
        account = str(payment["ach"].get("account_number") or "")
        achs.append(
            {
                "id": payment_id,
                "masked_account_number": "*" * max(len(account) - 4, 0) + account[-4:],
                "account_type": payment["ach"].get("account_type"),
                "sec_code": payment["ach"].get("sec_code"),
            }
        )
    return {
        "id": customer,
        "owner_id": "simulatormerchant001",
        "data": {
            "customer": {
                "addresses": [],
                "defaults": {
                    "billing_address_id": "",
                    "payment_method_id": payment_id,
                    "payment_method_type": "card" if cards else "ach",
                    "shipping_address_id": "",
                },
                "description": str(body.get("description") or ""),
                "notes": "",
                "flags": [],
                "payments": {"ach": achs, "cards": cards},
            }
        },
        "created_at": _now(),
        "updated_at": _now(),
    }
