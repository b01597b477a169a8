"""Invoices: the list, create from products and prices or free lines with a preview,
and one invoice with send, mark paid at the desk and void."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, request, url_for
from sqlmodel import col
from werkzeug.wrappers import Response

from dealerhub.api import session
from dealerhub.billing import invoice_schemas, invoices, transitions
from dealerhub.billing.models import Invoice, Price, Product
from dealerhub.customers.models import Customer
from dealerhub.payments.blueprint import config, processors
from dealerhub.staff import forms
from dealerhub.staff.desk import audit, render, tenant, view
from dealerhub.staff.roles import Permission
from dealerhub.tenancy import scoped

PAGE = 50
LINE_ROWS = 6
STATUSES = ("draft", "open", "paid", "uncollectible", "void")
_CREATE = invoice_schemas.InvoiceCreateSchema()
_PREVIEW = invoice_schemas.UpcomingSchema()
_PAY = invoice_schemas.PaySchema()


@view("/invoices", Permission.VIEW, endpoint="invoices")
def invoices_list() -> Response:
    status = request.args.get("status", "")
    args = {"status": status} if status in STATUSES else {}
    stmt = invoices.invoices_stmt(tenant(), args).order_by(col(Invoice.created).desc())
    rows = session().scalars(stmt.limit(PAGE)).all()
    audit("desk.invoices_listed")
    return render("staff/invoices.html", invoices=rows, status_filter=status, statuses=STATUSES)


def _prices() -> list[tuple[Price, Product | None]]:
    stmt = scoped(Price, tenant()).where(col(Price.active).is_(True)).order_by(col(Price.created))
    prices = list(session().scalars(stmt.limit(200)).all())
    products = {
        p.id: p
        for p in session().scalars(
            scoped(Product, tenant()).where(col(Product.id).in_([p.product_id for p in prices]))
        )
    }
    return [(p, products.get(p.product_id)) for p in prices]


def _payload(form: Mapping[str, str]) -> dict[str, Any]:
    """The API's invoice body from the form (amounts typed in dollars become cents)."""
    body: dict[str, Any] = {
        "customer": form.get("customer", "").strip(),
        "collection_method": form.get("collection_method") or "send_invoice",
        "currency": form.get("currency") or "usd",
    }
    if body["collection_method"] == "send_invoice":
        days = form.get("days_until_due", "").strip()
        if not days.isdigit():
            raise forms.FormErrors({"days_until_due": "Enter the number of days until due."})
        body["days_until_due"] = int(days)
    body.update(forms.blank_to_none(form, "description", "tax_rate"))
    lines: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for i in range(LINE_ROWS):
        price = form.get(f"lines.{i}.price", "").strip()
        text = form.get(f"lines.{i}.description", "").strip()
        amount_text = form.get(f"lines.{i}.amount", "").strip()
        qty_text = form.get(f"lines.{i}.quantity", "").strip() or "1"
        if not (price or text or amount_text):
            continue
        if not qty_text.isdigit():
            errors[f"lines.{i}.quantity"] = "Enter a whole number."
            continue
        line: dict[str, Any] = {"quantity": int(qty_text)}
        if price:
            line["price"] = price
        else:
            try:
                line["amount"] = forms.money(amount_text, f"lines.{i}.amount")
            except forms.FormErrors as exc:
                errors.update(exc.errors)
                continue
            line["currency"] = body["currency"]
            if text:
                line["description"] = text
        lines.append(line)
    if errors:
        raise forms.FormErrors(errors)
    if not lines:
        raise forms.FormErrors({"lines.0.description": "Add at least one line."})
    body["lines"] = lines
    return body


def _new_page(
    errors: dict[str, str] | None = None, preview: Invoice | None = None, status: int = 200
) -> Response:
    customers = (
        session()
        .scalars(
            scoped(Customer, tenant())
            .where(col(Customer.deleted).is_(False))
            .order_by(col(Customer.created).desc())
            .limit(200)
        )
        .all()
    )
    form = request.form if request.method == "POST" else request.args
    return render(
        "staff/invoice_new.html",
        status=status,
        customers=customers,
        prices=_prices(),
        form=form,
        errors=errors or {},
        preview=preview,
        preview_lines=invoices.preview_lines(preview) if preview is not None else [],
        rows=range(LINE_ROWS),
    )


@view("/invoices/new", Permission.INVOICE_EDIT, methods=["GET", "POST"])
def invoice_new() -> Response:
    """GET: the form. POST with ``action=preview``: the totals (nothing stored); with
    ``action=create``: the draft."""
    if request.method == "GET":
        return _new_page()
    try:
        body = _payload(request.form)
        if request.form.get("action") == "preview":
            data = forms.load(_PREVIEW, body)
            draft = forms.run(lambda: invoices.preview(session(), tenant(), data))
            return _new_page(preview=draft)
        data = forms.load(_CREATE, body)
        invoice = forms.run(lambda: invoices.create_invoice(session(), tenant(), data))
    except forms.FormErrors as exc:
        return _new_page(exc.errors, status=exc.status)
    audit("invoice.created", invoice.id, total=invoice.total, currency=invoice.currency)
    flash(f"Draft invoice {invoice.id} created.")
    return redirect(url_for("staff.invoice", invoice_id=invoice.id))


def _invoice_page(
    invoice_id: str, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    invoice = invoices.get_invoice(session(), tenant(), invoice_id)
    return render("staff/invoice.html", status=status, inv=invoice, errors=errors or {})


@view("/invoices/<invoice_id>", Permission.VIEW)
def invoice(invoice_id: str) -> Response:
    page = _invoice_page(invoice_id)
    audit("desk.invoice_viewed", invoice_id)
    return page


@view("/invoices/<invoice_id>/send", Permission.INVOICE_COLLECT, methods=["POST"])
def invoice_send(invoice_id: str) -> Response:
    try:
        inv = forms.run(
            lambda: transitions.send_invoice(
                session(), tenant(), invoice_id, processors=processors(), config=config()
            )
        )
    except forms.FormErrors as exc:
        return _invoice_page(invoice_id, exc.errors, exc.status)
    audit("invoice.sent", inv.id)
    flash(f"Invoice {inv.number or inv.id} sent to {inv.customer_email or 'the customer'}.")
    return redirect(url_for("staff.invoice", invoice_id=inv.id))


@view("/invoices/<invoice_id>/mark-paid", Permission.INVOICE_COLLECT, methods=["POST"])
def invoice_mark_paid(invoice_id: str) -> Response:
    """Paid at the desk (cash, check): the API's ``paid_out_of_band``."""
    try:
        data = forms.load(_PAY, {"paid_out_of_band": True})
        inv = forms.run(
            lambda: transitions.pay_invoice(
                session(), tenant(), invoice_id, data, processors=processors(), config=config()
            )
        )
    except forms.FormErrors as exc:
        return _invoice_page(invoice_id, exc.errors, exc.status)
    audit("invoice.marked_paid", inv.id, amount=inv.amount_paid, currency=inv.currency)
    flash(f"Invoice {inv.number or inv.id} marked paid.")
    return redirect(url_for("staff.invoice", invoice_id=inv.id))


@view("/invoices/<invoice_id>/void", Permission.INVOICE_EDIT, methods=["POST"])
def invoice_void(invoice_id: str) -> Response:
    try:
        inv = forms.run(
            lambda: transitions.void_invoice(
                session(), tenant(), invoice_id, processors=processors()
            )
        )
    except forms.FormErrors as exc:
        return _invoice_page(invoice_id, exc.errors, exc.status)
    audit("invoice.voided", inv.id)
    flash(f"Invoice {inv.number or inv.id} voided.")
    return redirect(url_for("staff.invoice", invoice_id=inv.id))
