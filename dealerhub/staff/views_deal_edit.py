"""Editing a saved deal at the desk: the deal desk's form, filled from the deal, saved with
the DMS area's ``update_deal`` (the service behind ``PATCH /dms/deals/{deal_id}``), with the
payment worked out by the same arithmetic as the update (``dms.deal_changes``) as the
fields change.

The form sends only what it shows: the vehicle's VIN, year, make, model and price, the
trade-in, down payment, taxes, rate, term, lender and products. Everything else a deal may
carry (fees, tires cost, the lead, the deposit, metadata, a product's type) is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from dealerhub.api import session
from dealerhub.dms import deals
from dealerhub.dms.deal_changes import apply_changes, deal_body
from dealerhub.dms.deal_schemas import DealUpdateSchema
from dealerhub.dms.models import Deal
from dealerhub.errors import DealerhubError
from dealerhub.staff import forms
from dealerhub.staff.desk import audit, render, tenant, view
from dealerhub.staff.roles import Permission
from dealerhub.staff.views_deals import (
    PRODUCT_ROWS,
    audit_deal,
    desk_page,
    field_for,
    parse_form,
    quote_of,
)

_UPDATE = DealUpdateSchema()
SHOWN_VEHICLE = ("vin", "year", "make", "model", "price")
SHOWN_TRADE = ("vin", "year", "make", "model", "allowance", "payoff")


def _dollars(cents: int | None) -> str:
    return "" if cents is None else f"{Decimal(cents) / 100:.2f}"


def form_values(deal: Deal) -> dict[str, str]:
    """The desk form's inputs for a saved deal (amounts in dollars, as typed at the desk)."""
    v, t, f = deal.vehicle, deal.trade_in or {}, deal.finance
    values = {
        "customer": deal.customer_id,
        "vin": v.get("vin") or "",
        "year": str(v.get("year") or ""),
        "make": v.get("make") or "",
        "model": v.get("model") or "",
        "price": _dollars(v.get("price")),
        "taxes": _dollars(f.get("taxes")),
        "finance_type": f.get("type", "retail"),
        "down_payment": _dollars(f.get("down_payment")),
        "apr": str(f.get("apr") or ""),
        "term_months": str(f.get("term_months") or ""),
        "lender": f.get("lender") or "",
    }
    if deal.trade_in:
        values.update(
            {f"trade_{k}": str(t.get(k) or "") for k in ("vin", "year", "make", "model")},
            trade_allowance=_dollars(t.get("allowance", 0)),
            trade_payoff=_dollars(t.get("payoff", 0)),
        )
    for i, p in enumerate(deal.products):
        values[f"products.{i}.name"] = p["name"]
        values[f"products.{i}.price"] = _dollars(p["price"])
        values[f"products.{i}.cost"] = _dollars(p.get("cost", 0))
        if p.get("type"):
            values[f"products.{i}.type"] = p["type"]
    return values


def form_changes(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The update body for what the form shows: a shown input left empty clears its value
    (``null`` in the merge), anything the form does not show is left out, so it is kept."""
    body, errors = parse_form(form)
    if errors:
        return {}, errors
    trade = body["trade_in"]
    finance = body["finance"]
    finance.setdefault("lender", None)
    changes: dict[str, Any] = {
        "customer_id": body["customer_id"],
        "vehicle": {k: body["vehicle"].get(k) for k in SHOWN_VEHICLE},
        "trade_in": None if trade is None else {k: trade.get(k) for k in SHOWN_TRADE},
        "finance": finance,
        "products": body["products"],
    }
    return changes, {}


def _load(form: Mapping[str, str]) -> dict[str, Any]:
    changes, errors = form_changes(form)
    if errors:
        raise forms.FormErrors(errors)
    try:
        return forms.load(_UPDATE, changes)
    except forms.FormErrors as exc:
        raise forms.FormErrors({field_for(k): v for k, v in exc.errors.items()}) from None


def _quote(deal: Deal, data: dict[str, Any]) -> dict[str, Any]:
    """The payment the update would store (the update's own merge and arithmetic)."""
    try:
        return quote_of(apply_changes(deal_body(deal), data))
    except DealerhubError as exc:
        raise forms.FormErrors({field_for(exc.param): exc.message}) from None


def _kept(deal: Deal) -> list[str]:
    """What the desk does not show but the payment counts (so the panel adds up)."""
    cur, f = deal.currency, deal.finance
    out = [f"{fee['description']} {_money(fee['amount'], cur)}" for fee in f.get("fees", []) or []]
    if f.get("tires_cost"):
        out.append(f"tires cost {_money(f['tires_cost'], cur)}")
    return out


def _money(cents: int, currency: str) -> str:
    return f"{Decimal(cents) / 100:,.2f} {currency.upper()}"


def _page(
    deal: Deal,
    form: Mapping[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
    **extra: Any,
) -> Response:
    return desk_page(
        errors,
        status,
        form=form,
        deal=deal,
        action_url=url_for("staff.deal_edit", deal_id=deal.id),
        drill_url=url_for("staff.deal_edit", deal_id=deal.id),
        quote_url=url_for("staff.deal_edit_quote", deal_id=deal.id),
        type_options=[
            "retail",
            "cash",
            *(["lease"] if deal.finance.get("type") == "lease" else []),
        ],
        product_rows=range(max(PRODUCT_ROWS, len(deal.products) + 1)),
        cur=deal.currency.upper(),
        kept=_kept(deal),
        **extra,
    )


def _with_drill_down(deal: Deal) -> dict[str, str]:
    """The saved deal's values; a trade-in chosen in the drill-down replaces the saved one
    (its year, make and model, and the valued allowance), as on a new deal."""
    values = form_values(deal)
    if request.args.get("tvehicle"):
        for key in ("trade_vin", "trade_year", "trade_make", "trade_model", "trade_allowance"):
            values.pop(key, None)
    return values


@view("/deals/<deal_id>/edit", Permission.DEALS, methods=["GET", "POST"])
def deal_edit(deal_id: str) -> Response:
    """GET: the desk filled from the deal. POST ``action=quote``: the payment; ``action=save``:
    the change, checked and queued for the DMS like ``PATCH /dms/deals/{deal_id}``."""
    deal = deals.get_deal(session(), tenant(), deal_id)
    if request.method == "GET":
        page = _page(deal, _with_drill_down(deal))
        audit("desk.deal_edit_viewed", deal.id)
        return page
    version = deal.sync_version
    try:
        data = _load(request.form)
        if request.form.get("action") == "quote":
            return _page(deal, request.form, quote=_quote(deal, data))
        deal = forms.run(lambda: deals.update_deal(session(), tenant(), deal_id, data))
    except forms.FormErrors as exc:
        errors = {field_for(k): v for k, v in exc.errors.items()}
        return _page(deal, request.form, errors, exc.status)
    if deal.sync_version == version:
        flash("Nothing changed.")
    else:
        audit_deal("deal.updated", deal)
        flash(f"Deal {deal.id} saved and queued for the DMS again.")
    return redirect(url_for("staff.deal", deal_id=deal.id))


@view("/deals/<deal_id>/quote", Permission.DEALS, methods=["POST"])
def deal_edit_quote(deal_id: str) -> Response:
    """The payment panel alone, for the desk's script (the update's own arithmetic)."""
    deal = deals.get_deal(session(), tenant(), deal_id)
    try:
        quote: dict[str, Any] | None = _quote(deal, _load(request.form))
        errors: dict[str, str] = {}
    except forms.FormErrors as exc:
        quote, errors = None, exc.errors
    return render("staff/_quote.html", quote=quote, errors=errors, cur=deal.currency.upper())
