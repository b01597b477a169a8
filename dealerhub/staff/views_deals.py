"""The deal desk: vehicle, trade-in (with the valuation drill-down: make → model → year →
vehicle → value), down payment, rate, term and F&I products, with the payment worked out by
the DMS area's own desk arithmetic; saving the deal queues it for the DMS.

The drill-down is a chain of GET parameters, so it works without JavaScript; a small script
asks ``/staff/deals/quote`` for the payment as the fields change.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from dealerhub.api import connectors, session
from dealerhub.connectors.valuation.base import CONDITIONS
from dealerhub.dms import deals
from dealerhub.dms.deal_schemas import DEAL, DealCreateSchema
from dealerhub.dms.masking import mask_deal
from dealerhub.dms.models import Deal
from dealerhub.errors import DealerhubError
from dealerhub.staff import forms
from dealerhub.staff.desk import audit, render, tenant, view
from dealerhub.staff.roles import Permission
from dealerhub.tradein import service as tradein

PRODUCT_ROWS = 3  # empty rows on a new deal
MAX_PRODUCT_ROWS = 20  # rows read from a form (a saved deal may have more than three)
_CREATE = DealCreateSchema()


def _valuation_provider() -> Any:
    return connectors().valuation(session(), tenant())


def _int(args: Mapping[str, str], name: str) -> int | None:
    value = args.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _drill_down(args: Mapping[str, str]) -> dict[str, Any]:
    """The trade-in drill-down step the parameters reach, with its choices and errors."""
    out: dict[str, Any] = {"makes": tradein.list_makes({})["data"], "errors": {}}
    make_id, model_id, year = _int(args, "tmake"), _int(args, "tmodel"), _int(args, "tyear")
    try:
        if make_id is not None:
            out["models"] = tradein.list_models({"make_id": make_id})["data"]
        if make_id is not None and model_id is not None:
            out["years"] = tradein.list_model_years({"make_id": make_id, "model_id": model_id})[
                "data"
            ]
        if model_id is not None and year is not None:
            out["vehicles"] = tradein.get_vehicles(
                {"model_id": model_id, "year": year}, provider=_valuation_provider
            )["data"]
        if args.get("tvin", "").strip():
            out["vehicles"] = tradein.get_vehicles(
                {"vin": args["tvin"].strip().upper()}, provider=_valuation_provider
            )["data"]
        vehicle_id = args.get("tvehicle", "").strip()
        if vehicle_id and args.get("tmileage", "").strip() and args.get("tzip", "").strip():
            mileage = _int(args, "tmileage")
            if mileage is None:
                raise forms.FormErrors({"tmileage": "Enter the odometer miles."})
            out["valuation"], _cached = tradein.value_vehicle(
                session(),
                tenant(),
                {
                    "vehicle_id": vehicle_id,
                    "mileage": mileage,
                    "zip_code": args["tzip"].strip(),
                    "condition": args.get("tcondition") or "average",
                },
                provider=_valuation_provider,
                provider_name=connectors().valuation_name(tenant()),
            )
            audit("tradein.valued", vehicle_id=vehicle_id)
    except forms.FormErrors as exc:
        out["errors"] = exc.errors
    except DealerhubError as exc:
        # Shown beside the drill-down input the error's ``param`` names.
        names = {"vin": "tvin", "zip_code": "tzip", "mileage": "tmileage", "year": "tyear"}
        out["errors"] = {names.get(exc.param or "", "trade_in"): exc.message}
    return out


def _money_field(form: Mapping[str, str], name: str, errors: dict[str, str]) -> int:
    try:
        return forms.money(form.get(name), name, required=False) or 0
    except forms.FormErrors as exc:
        errors.update(exc.errors)
        return 0


def _products(form: Mapping[str, str], errors: dict[str, str]) -> list[dict[str, Any]]:
    products = []
    for i in range(MAX_PRODUCT_ROWS):
        name = form.get(f"products.{i}.name", "").strip()
        if name:
            product: dict[str, Any] = {
                "name": name,
                "price": _money_field(form, f"products.{i}.price", errors),
                "cost": _money_field(form, f"products.{i}.cost", errors),
            }
            if form.get(f"products.{i}.type", "").strip():  # kept from a saved deal
                product["type"] = form[f"products.{i}.type"].strip()
            products.append(product)
    return products


def parse_form(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The fields the desk shows as the API's values (cents, integers, a decimal APR), with
    the errors of the ones that cannot be read. ``finance`` has ``apr`` and ``term_months``
    unless the deal is cash; the amount financed and payment are worked out by the caller."""
    errors: dict[str, str] = {}
    vehicle: dict[str, Any] = forms.blank_to_none(form, "vin", "make", "model", "trim")
    if "vin" in vehicle:
        vehicle["vin"] = vehicle["vin"].upper()
    year = _int(form, "year")
    if year is not None:
        vehicle["year"] = year
    vehicle["price"] = _money_field(form, "price", errors)
    trade: dict[str, Any] | None = None
    if form.get("trade_allowance", "").strip() or form.get("trade_payoff", "").strip():
        trade = forms.blank_to_none(form, "trade_vin", "trade_make", "trade_model")
        trade = {k.removeprefix("trade_"): v for k, v in trade.items()}
        trade_year = _int(form, "trade_year")
        if trade_year is not None:
            trade["year"] = trade_year
        trade["allowance"] = _money_field(form, "trade_allowance", errors)
        trade["payoff"] = _money_field(form, "trade_payoff", errors)
    kind = form.get("finance_type") or "retail"
    finance: dict[str, Any] = {
        "type": kind,
        "down_payment": _money_field(form, "down_payment", errors),
        "taxes": _money_field(form, "taxes", errors),
    }
    if form.get("lender", "").strip():
        finance["lender"] = form["lender"].strip()
    if kind != "cash":
        try:
            finance["apr"] = Decimal(form.get("apr", "").strip() or "x")
        except InvalidOperation:
            errors["apr"] = "Enter the APR, e.g. 6.9."
        term = _int(form, "term_months")
        if term is None:
            errors["term_months"] = "Enter the term in months."
        else:
            finance["term_months"] = term
    body: dict[str, Any] = {
        "customer_id": form.get("customer", "").strip(),
        "currency": "usd",
        "vehicle": vehicle,
        "trade_in": trade,
        "finance": finance,
        "products": _products(form, errors),
    }
    return body, errors


def _body(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The API's deal body from the desk form, with amount financed and payment worked out
    by ``dms.deals`` (the balance via its cash-deal check, the payment by its amortisation)."""
    body, errors = parse_form(form)
    if errors:
        return body, errors
    finance = body["finance"]
    apr, term = finance.pop("apr", None), finance.pop("term_months", None)
    try:
        # The balance to finance is the DMS area's arithmetic: a cash check of the same deal.
        balance = deals.check_desk({**body, "finance": {**finance, "type": "cash"}})["balance_due"]
    except DealerhubError as exc:
        return body, {field_for(exc.param): exc.message}
    if apr is not None and term is not None:
        finance.update(
            amount_financed=balance,
            apr=str(apr),
            term_months=term,
            monthly_payment=deals.amortized_payment(balance, apr, term)
            if balance > 0 and Decimal(0) <= apr <= Decimal(40) and 1 <= term <= 96
            else 0,
        )
    return body, errors


def field_for(param: str | None) -> str:
    """The desk's input for an API field (``finance.down_payment`` → ``down_payment``)."""
    if not param:
        return "_form"
    if param.startswith("products."):
        return param  # products.<i>.price is the row's input
    name = param.split(".")[-1]
    if param.startswith("trade_in.") and name in ("vin", "year", "make", "model"):
        return f"trade_{name}"
    return {
        "customer_id": "customer",
        "allowance": "trade_allowance",
        "payoff": "trade_payoff",
    }.get(name, name)


def quote_of(body: dict[str, Any]) -> dict[str, Any]:
    f = body["finance"]
    return {
        "amount_financed": f.get("amount_financed"),
        "monthly_payment": f.get("monthly_payment"),
        "term_months": f.get("term_months"),
        "apr": f.get("apr"),
    }


def desk_page(
    errors: dict[str, str] | None = None,
    status: int = 200,
    *,
    form: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The deal desk (new or, with ``deal`` in ``extra``, editing a saved deal)."""
    if form is None:
        form = request.form if request.method == "POST" else request.args
    context: dict[str, Any] = {
        "deal": None,
        "action_url": url_for("staff.deal_new"),
        "drill_url": url_for("staff.deal_new"),
        "quote_url": url_for("staff.deal_quote"),
        "type_options": ["retail", "cash"],
        "product_rows": range(PRODUCT_ROWS),
        "cur": "USD",
        **extra,
    }
    return render(
        "staff/deal_new.html",
        status=status,
        form=form,
        errors=errors or {},
        drill=_drill_down(request.args),
        conditions=CONDITIONS,
        **context,
    )


@view("/deals/new", Permission.DEALS, methods=["GET", "POST"])
def deal_new() -> Response:
    """GET: the desk (and the trade-in drill-down). POST ``action=quote``: the payment;
    ``action=create``: the deal, queued for the DMS."""
    if request.method == "GET":
        return desk_page()
    body, errors = _body(request.form)
    if errors:
        return desk_page(errors, 400)
    if request.form.get("action") == "quote":
        return desk_page(quote=quote_of(body))
    try:
        data = forms.load(_CREATE, {k: v for k, v in body.items() if v is not None})
        deal = forms.run(lambda: deals.create_deal(session(), tenant(), data))
    except forms.FormErrors as exc:
        return desk_page({field_for(k): v for k, v in exc.errors.items()}, exc.status)
    audit_deal("deal.created", deal)
    flash(f"Deal {deal.id} saved and queued for the DMS.")
    return redirect(url_for("staff.deal", deal_id=deal.id))


def audit_deal(action: str, deal: Deal) -> None:
    """The desk's audit entry for a saved deal: what was financed and the payment quoted."""
    audit(
        action,
        deal.id,
        amount_financed=deal.finance.get("amount_financed"),
        monthly_payment=deal.finance.get("monthly_payment"),
    )


@view("/deals/quote", Permission.DEALS, methods=["POST"])
def deal_quote() -> Response:
    """The payment panel alone, for the desk's script (the same arithmetic as above)."""
    body, errors = _body(request.form)
    return render("staff/_quote.html", quote=None if errors else quote_of(body), errors=errors)


@view("/deals/<deal_id>", Permission.DEALS)
def deal(deal_id: str) -> Response:
    row = deals.get_deal(session(), tenant(), deal_id)
    audit("desk.deal_viewed", deal_id)
    return render("staff/deal.html", deal=row, view=mask_deal(DEAL.dump(row)))
