"""A change to a saved deal, applied to its body before anything is stored: the merge rules
of ``PATCH /dms/deals/{deal_id}`` and the payment worked out again. Pure functions over
dicts, shared by the update service and the desk's live payment panel."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from dealerhub.dms.models import Deal
from dealerhub.errors import InvalidRequest

# Objects that merge key by key; everything else at the top level replaces.
MERGED = ("vehicle", "finance")
# What a payment depends on: when one of these changes, a retail payment is worked out again.
PAYMENT_INPUTS = ("amount_financed", "apr", "term_months")


def deal_body(deal: Deal) -> dict[str, Any]:
    """The stored deal as the body that would create it (without the computed totals)."""
    return {
        "customer_id": deal.customer_id,
        "lead_id": deal.lead_id,
        "currency": deal.currency,
        "vehicle": copy.deepcopy(deal.vehicle),
        "trade_in": copy.deepcopy(deal.trade_in),
        "finance": {k: copy.deepcopy(v) for k, v in deal.finance.items() if k != "totals"},
        "products": copy.deepcopy(deal.products),
        "payment_intent": deal.payment_intent,
        "metadata": dict(deal.metadata_),
    }


def balance_of(body: dict[str, Any]) -> int | None:
    """What is left to pay or finance: cash price + taxes + fees + products + tires_cost +
    trade payoff - trade allowance - down payment; None when the vehicle has no price."""
    price = body["vehicle"].get("price")
    if price is None:
        return None
    f = body["finance"]
    trade = body.get("trade_in") or {}
    return int(
        price
        + f.get("taxes", 0)
        + sum(fee["amount"] for fee in f.get("fees", []))
        + sum(p["price"] for p in body.get("products", []))
        + f.get("tires_cost", 0)
        + trade.get("payoff", 0)
        - trade.get("allowance", 0)
        - f.get("down_payment", 0)
    )


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def apply_changes(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``current`` (a :func:`deal_body`) with ``changes`` (a loaded ``DealUpdateSchema``)
    applied, and the amount financed and payment worked out again where they were not given.
    Raises the desk's 400 when down payment and trade equity exceed the price."""
    body = copy.deepcopy(current)
    given = dict(changes.get("finance") or {})
    if given.get("apr") is not None:
        given["apr"] = str(given["apr"])  # stored as a decimal string, as create stores it
    for key, value in changes.items():
        if key == "finance":
            body[key] = _merge(body[key], given)
        elif key in MERGED:
            body[key] = _merge(body[key] or {}, value)
        elif key == "trade_in":
            base = body.get("trade_in") or {"allowance": 0, "payoff": 0}
            body[key] = None if value is None else _merge(base, value)
        elif key == "metadata":
            merged = {**body["metadata"], **value}
            body[key] = {k: v for k, v in merged.items() if v != ""}
        else:
            body[key] = value
    _derive_payment(body, current["finance"], given)
    return body


def _derive_payment(body: dict[str, Any], before: dict[str, Any], given: dict[str, Any]) -> None:
    f = body["finance"]
    if f["type"] == "cash":
        # A cash deal carries no rate, term or payment, and finances nothing.
        for key in ("apr", "term_months", "monthly_payment"):
            if key not in given:
                f.pop(key, None)
        if "amount_financed" not in given:
            f["amount_financed"] = 0
        return
    if f["type"] != "retail":
        return  # a lease's payment is the lessor's: kept or given, and checked by check_desk
    balance = balance_of(body)
    if "amount_financed" not in given and balance is not None:
        if balance < 0:
            raise InvalidRequest(
                "Down payment and trade equity exceed the price of the deal.",
                param="finance.down_payment",
                code="deal_arithmetic_invalid",
            )
        f["amount_financed"] = balance
    if "monthly_payment" in given or f.get("apr") is None or not f.get("term_months"):
        return
    changed = before.get("type") != "retail" or any(
        _decimal(before.get(k)) != _decimal(f.get(k)) for k in PAYMENT_INPUTS
    )
    if (changed or f.get("monthly_payment") is None) and f.get("amount_financed", 0) > 0:
        f["monthly_payment"] = amortized_payment(
            f["amount_financed"], Decimal(str(f["apr"])), f["term_months"]
        )


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def amortized_payment(principal: int, apr: Decimal, months: int) -> int:
    """The level monthly payment (cents) of a simple-interest retail instalment contract."""
    if apr == 0:
        return -(-principal // months)
    r = apr / Decimal(1200)
    payment = Decimal(principal) * r / (1 - (1 + r) ** -months)
    return int(payment.quantize(Decimal(1)))
