"""Deals: desk-checked arithmetic, then stored and synced like leads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.customers.service import get_customer
from dealerhub.db import new_id, now
from dealerhub.dms import queue
from dealerhub.dms.changes import event_snapshot, record_update_event
from dealerhub.dms.deal_changes import amortized_payment, apply_changes, balance_of, deal_body
from dealerhub.dms.errors import DealInDms
from dealerhub.dms.models import Deal, Lead
from dealerhub.errors import InvalidRequest, NotFound
from dealerhub.events.service import record_event
from dealerhub.pagination import paginate
from dealerhub.payments.models import PaymentIntent
from dealerhub.tenancy import Tenant, get_owned, scoped

__all__ = [
    "amortized_payment",
    "check_desk",
    "create_deal",
    "get_deal",
    "list_deals",
    "update_deal",
]

# What a DMS files a deal under: once it holds the deal, changing these is a new deal.
LOCKED_IN_DMS = ("customer_id", "currency")


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
    balance = balance_of(body)
    if balance is not None:
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
        raise NotFound(
            f"No payment intent '{pi_id}' for customer '{customer_id}'.", param="payment_intent"
        )


def _check_references(
    session: Session, tenant: Tenant, body: dict[str, Any], *, changed: set[str]
) -> None:
    """The customer, the lead and the deposit named in ``body`` are this dealer's (in this
    mode) and belong together; only those ``changed`` (with what depends on them) are read."""
    customer_id = body["customer_id"]
    if "customer_id" in changed:
        try:
            get_customer(session, tenant, customer_id)
        except NotFound as exc:
            raise NotFound(exc.message, param="customer_id") from exc
    if body.get("lead_id") and changed & {"customer_id", "lead_id"}:
        lead = session.scalars(scoped(Lead, tenant).where(col(Lead.id) == body["lead_id"])).first()
        if lead is None or lead.customer_id != customer_id:
            raise NotFound(
                f"No lead '{body['lead_id']}' for customer '{customer_id}'.", param="lead_id"
            )
    if body.get("payment_intent") and changed & {"customer_id", "payment_intent"}:
        _check_payment_intent(session, tenant, body["payment_intent"], customer_id)


def create_deal(session: Session, tenant: Tenant, body: dict[str, Any]) -> Deal:
    """Check the desk's arithmetic and the references, store the deal, queue its sync."""
    _check_references(session, tenant, body, changed={"customer_id", "lead_id", "payment_intent"})
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
    record_event(session, tenant, "deal.created", event_snapshot(deal))
    queue.enqueue(session, deal)
    return deal


def _in_dms(deal: Deal) -> str | None:
    """How the DMS holds the deal (its deal number, or a push under way), or None."""
    if deal.external_id:
        return f"as deal {deal.external_id}"
    if deal.sync_lease_until is not None and deal.sync_lease_until > now():
        return "being sent to it right now"
    return None


def _refuse_moving(deal: Deal, before: dict[str, Any], after: dict[str, Any]) -> None:
    where = _in_dms(deal)
    for key in LOCKED_IN_DMS:
        if where is not None and after[key] != before[key]:
            raise DealInDms(
                f"This deal is in the DMS ({where}; sync status {deal.sync_status}), filed "
                f"under its customer, so its {key} cannot change. Create a new deal instead.",
                param=key,
            )


def update_deal(session: Session, tenant: Tenant, deal_id: str, changes: dict[str, Any]) -> Deal:
    """Change a deal under a row lock. The result is checked like a new deal; the amount
    financed and a retail payment are worked out again unless given. Any change queues
    the deal for the DMS again with a fresh attempt budget (also a dead one: fixing a
    rejected deal is how it gets through). A deal the DMS already holds keeps its customer
    and currency (:class:`DealInDms`). A change that changes nothing is not recorded."""
    # populate_existing: a caller that read the deal earlier in this transaction gets the
    # row as it is once locked (a sync may have recorded its DMS number meanwhile).
    deal = session.scalars(
        scoped(Deal, tenant)
        .where(col(Deal.id) == deal_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if deal is None:
        raise NotFound(f"No such deal: '{deal_id}'")
    before = deal_body(deal)
    body = apply_changes(before, changes)
    if body == before:
        return deal
    _refuse_moving(deal, before, body)
    changed = {k for k in ("customer_id", "lead_id", "payment_intent") if body[k] != before[k]}
    _check_references(session, tenant, body, changed=changed)
    totals = check_desk(body)
    before_snapshot = event_snapshot(deal)
    deal.customer_id = body["customer_id"]
    deal.lead_id = body.get("lead_id")
    deal.currency = body["currency"]
    deal.vehicle = body["vehicle"]
    deal.trade_in = body.get("trade_in")
    deal.finance = {**body["finance"], "totals": totals}
    deal.products = body["products"]
    deal.payment_intent = body.get("payment_intent")
    deal.metadata_ = body["metadata"]
    record_update_event(session, tenant, "deal.updated", deal, before_snapshot)
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
