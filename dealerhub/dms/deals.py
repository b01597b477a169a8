"""Deals: desk-checked arithmetic, then stored and synced like leads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.customers.service import get_customer
from dealerhub.db import new_id
from dealerhub.dms import queue
from dealerhub.dms.deal_schemas import DEAL
from dealerhub.dms.masking import mask_deal
from dealerhub.dms.models import Deal, Lead
from dealerhub.errors import InvalidRequest, NotFound
from dealerhub.events.service import record_event
from dealerhub.pagination import paginate
from dealerhub.payments.models import PaymentIntent
from dealerhub.tenancy import Tenant, get_owned, scoped


def amortized_payment(principal: int, apr: Decimal, months: int) -> int:
    """The level monthly payment (cents) of a simple-interest retail instalment contract."""
    if apr == 0:
        return -(-principal // months)
    r = apr / Decimal(1200)
    payment = Decimal(principal) * r / (1 - (1 + r) ** -months)
    return int(payment.quantize(Decimal(1)))


def _fail(message: str, param: str) -> None:
    raise InvalidRequest(message, param=param, code="deal_arithmetic_invalid")


def check_desk(body: dict[str, Any]) -> dict[str, int]:
    """What a desk manager checks before a deal goes to the DMS; returns the totals."""
    f = body["finance"]
    v = body["vehicle"]
    trade = body.get("trade_in") or {}
    fees = sum(fee["amount"] for fee in f.get("fees", []))
    products = sum(p["price"] for p in body.get("products", []))
    allowance, payoff = trade.get("allowance", 0), trade.get("payoff", 0)
    kind = f["type"]
    if kind == "cash":
        for key in ("apr", "term_months", "monthly_payment"):
            if f.get(key) is not None:
                _fail(f"A cash deal has no {key}.", f"finance.{key}")
        if f.get("amount_financed"):
            _fail(
                "A cash deal finances nothing: amount_financed must be 0.",
                "finance.amount_financed",
            )
    else:
        for key in ("apr", "term_months", "monthly_payment"):
            if f.get(key) is None:
                _fail(f"A {kind} deal needs finance.{key}.", f"finance.{key}")
        if f.get("amount_financed", 0) <= 0:
            _fail(f"A {kind} deal needs a positive amount_financed.", "finance.amount_financed")
    totals = {
        "cash_price": v.get("price") or 0,
        "taxes": f.get("taxes", 0),
        "fees": fees,
        "products": products,
        "products_gross": sum(p["price"] - p.get("cost", 0) for p in body.get("products", [])),
        "tires_cost": f.get("tires_cost", 0),
        "trade_equity": allowance - payoff,
        "down_payment": f.get("down_payment", 0),
        "amount_financed": f.get("amount_financed", 0),
    }
    if v.get("price") is not None:
        balance = (
            v["price"]
            + totals["taxes"]
            + fees
            + products
            + totals["tires_cost"]
            + payoff
            - allowance
            - totals["down_payment"]
        )
        if balance < 0:
            _fail(
                "Down payment and trade equity exceed the price of the deal.",
                "finance.down_payment",
            )
        if kind == "retail" and balance != f["amount_financed"]:
            _fail(
                f"amount_financed must equal cash price + taxes + fees + products + tires_cost + "
                f"trade payoff - trade allowance - down payment = {balance}.",
                "finance.amount_financed",
            )
        totals["balance_due"] = balance if kind == "cash" else 0
    if kind == "retail":
        expected = amortized_payment(f["amount_financed"], Decimal(str(f["apr"])), f["term_months"])
        # A desk tolerates rounding and first-payment timing: 1% or $1, whichever is more.
        if abs(expected - f["monthly_payment"]) > max(100, expected // 100):
            _fail(
                f"monthly_payment does not match amount_financed at this APR and term "
                f"(expected about {expected}).",
                "finance.monthly_payment",
            )
    if kind != "cash":
        total = f["monthly_payment"] * f["term_months"]
        totals["total_of_payments"] = total
        if kind == "retail":
            totals["finance_charge"] = total - f["amount_financed"]
    return totals


def _check_payment_intent(session: Session, tenant: Tenant, pi_id: str, customer_id: str) -> None:
    """A deal's deposit is one of this dealer's intents (in this mode), for this customer or
    for none; anything else would be synced to the DMS as this deal's money."""
    pi = session.scalars(
        scoped(PaymentIntent, tenant).where(col(PaymentIntent.id) == pi_id)
    ).first()
    if pi is None or (pi.customer_id is not None and pi.customer_id != customer_id):
        raise InvalidRequest(
            f"No payment intent '{pi_id}' for customer '{customer_id}'.",
            param="payment_intent",
            code="resource_missing",
        )


def create_deal(session: Session, tenant: Tenant, body: dict[str, Any]) -> Deal:
    try:
        get_customer(session, tenant, body["customer_id"])
    except NotFound as exc:
        raise InvalidRequest(exc.message, param="customer_id", code="resource_missing") from exc
    if body.get("lead_id"):
        lead = session.scalars(scoped(Lead, tenant).where(col(Lead.id) == body["lead_id"])).first()
        if lead is None or lead.customer_id != body["customer_id"]:
            raise InvalidRequest(
                f"No lead '{body['lead_id']}' for customer '{body['customer_id']}'.",
                param="lead_id",
                code="resource_missing",
            )
    if body.get("payment_intent"):
        _check_payment_intent(session, tenant, body["payment_intent"], body["customer_id"])
    totals = check_desk(body)
    finance = dict(body["finance"])
    if finance.get("apr") is not None:
        finance["apr"] = str(finance["apr"])
    deal = Deal(
        id=new_id("deal"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        customer_id=body["customer_id"],
        lead_id=body.get("lead_id"),
        currency=body["currency"],
        vehicle=dict(body["vehicle"]),
        trade_in=body.get("trade_in"),
        finance={**finance, "totals": totals},
        products=list(body.get("products", [])),
        payment_intent=body.get("payment_intent"),
        metadata_=body.get("metadata") or {},
    )
    session.add(deal)
    session.flush()
    record_event(session, tenant, "deal.created", mask_deal(DEAL.dump(deal)))
    queue.enqueue(session, deal)
    return deal


def get_deal(session: Session, tenant: Tenant, deal_id: str) -> Deal:
    return get_owned(session, Deal, deal_id, tenant, name="deal")


def list_deals(session: Session, tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
    stmt = scoped(Deal, tenant)
    if args.get("customer_id"):
        stmt = stmt.where(col(Deal.customer_id) == args["customer_id"])
    if args.get("sync_status"):
        stmt = stmt.where(col(Deal.sync_status) == args["sync_status"])
    return paginate(session, stmt, Deal, args, url="/dms/deals")
