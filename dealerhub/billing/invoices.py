"""Invoices as documents: create, read, edit and delete drafts, list, search, preview.

Moving an invoice through its statuses (finalize, pay, send, void, mark uncollectible) is in
``transitions``. Only drafts change (except ``metadata``, which may be tagged at any time);
everything else is a 400 naming the status (``states.check``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, delete
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.billing import states, totals
from dealerhub.billing.invoice_schemas import INVOICE
from dealerhub.billing.models import Invoice, InvoiceLine
from dealerhub.customers.service import get_customer
from dealerhub.db import new_id, now
from dealerhub.errors import InvalidRequest, NotFound
from dealerhub.events.service import record_event
from dealerhub.pagination import created_filters
from dealerhub.payments.common import merge_metadata
from dealerhub.search import FieldSpec, SearchQueryError, decode_page, encode_page
from dealerhub.tenancy import Tenant, get_owned, scoped

UPCOMING_PREFIX = "upcoming"
_SETTINGS = ("collection_method", "auto_advance", "default_payment_method", "description")


def get_invoice(
    session: Session, tenant: Tenant, invoice_id: str, *, for_update: bool = False
) -> Invoice:
    return get_owned(session, Invoice, invoice_id, tenant, name="invoice", for_update=for_update)


def snapshot(invoice: Invoice) -> dict[str, Any]:
    out: dict[str, Any] = INVOICE.dump(invoice)
    return out


def event(session: Session, tenant: Tenant, invoice: Invoice, type_: str, **kw: Any) -> None:
    record_event(session, tenant, type_, snapshot(invoice), **kw)


def _rate(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _check_due(invoice: Invoice) -> None:
    has_due = invoice.days_until_due is not None or invoice.due_date is not None
    if invoice.collection_method == "send_invoice" and not has_due:
        raise InvalidRequest(
            "An invoice with collection_method=send_invoice needs days_until_due or due_date.",
            param="days_until_due",
        )
    if invoice.collection_method == "charge_automatically" and has_due:
        invoice.days_until_due = invoice.due_date = None


def _apply_fields(invoice: Invoice, data: Mapping[str, Any]) -> None:
    for name in (*_SETTINGS, "footer", "days_until_due", "due_date"):
        if name in data:
            setattr(invoice, name, data[name])
    if data.get("days_until_due") is not None:
        invoice.due_date = None
    elif data.get("due_date") is not None:
        invoice.days_until_due = None
    if "tax_rate" in data:
        invoice.tax_rate = _rate(data["tax_rate"])


def _set_customer(session: Session, tenant: Tenant, invoice: Invoice, customer_id: str) -> None:
    customer = get_customer(session, tenant, customer_id, param="customer")
    invoice.customer_id = customer.id
    invoice.customer_email = customer.email
    invoice.customer_name = customer.name


def create_invoice(session: Session, tenant: Tenant, data: Mapping[str, Any]) -> Invoice:
    """A draft invoice with its lines and totals; records ``invoice.created``."""
    at = now()
    invoice = Invoice(
        id=new_id("in"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        created=at,
        updated=at,
        status=states.InvoiceStatus.DRAFT,
        customer_id="",
        currency=data.get("currency", "usd"),
        collection_method=data.get("collection_method", "charge_automatically"),
        metadata_=dict(data.get("metadata") or {}),
    )
    _set_customer(session, tenant, invoice, data["customer"])
    _apply_fields(invoice, data)
    _check_due(invoice)
    lines = totals.build_lines(session, tenant, data.get("lines") or [], invoice.currency)
    totals.apply_totals(invoice, lines)
    invoice.lines = lines
    session.add(invoice)
    session.flush()
    event(session, tenant, invoice, "invoice.created")
    return invoice


def update_invoice(
    session: Session, tenant: Tenant, invoice_id: str, data: Mapping[str, Any]
) -> Invoice:
    """Edit a draft (``lines`` replaces every line); ``metadata`` alone may change on any
    invoice. Records ``invoice.updated`` with the previous values."""
    invoice = get_invoice(session, tenant, invoice_id, for_update=True)
    if set(data) - {"metadata"}:
        states.check(invoice.status, invoice.id, "edit")
    before = snapshot(invoice)
    if "customer" in data:
        _set_customer(session, tenant, invoice, data["customer"])
    changes_currency = "currency" in data and data["currency"] != invoice.currency
    if changes_currency and "lines" not in data and invoice.lines:
        raise InvalidRequest(
            "Changing the currency needs new lines in that currency (pass lines).",
            param="currency",
        )
    _apply_fields(invoice, data)
    invoice.currency = data.get("currency", invoice.currency)
    _check_due(invoice)
    if "metadata" in data:
        invoice.metadata_ = merge_metadata(invoice.metadata_, data["metadata"])
    if "lines" in data:
        invoice.lines = totals.build_lines(session, tenant, data["lines"], invoice.currency)
    if invoice.status == states.InvoiceStatus.DRAFT:
        totals.apply_totals(invoice, invoice.lines)
    session.flush()
    after = snapshot(invoice)
    previous = {k: v for k, v in before.items() if after.get(k) != v}
    if previous:
        invoice.updated = now()
        event(session, tenant, invoice, "invoice.updated", previous_attributes=previous)
    return invoice


def delete_invoice(session: Session, tenant: Tenant, invoice_id: str) -> dict[str, Any]:
    """Delete a draft for good (a finalized invoice is voided instead, keeping its number);
    records ``invoice.deleted``."""
    invoice = get_invoice(session, tenant, invoice_id, for_update=True)
    states.check(invoice.status, invoice.id, "delete")
    event(session, tenant, invoice, "invoice.deleted")
    session.execute(delete(InvoiceLine).where(col(InvoiceLine.invoice_id) == invoice.id))
    session.expunge(invoice)
    session.execute(delete(Invoice).where(col(Invoice.id) == invoice.id))
    return {"id": invoice.id, "object": "invoice", "deleted": True}


# -- lists and search ------------------------------------------------------------------------

_RANGES = {"gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}


def invoices_stmt(tenant: Tenant, args: Mapping[str, Any]) -> Select[Any]:
    """The tenant's invoices with the list's filters (and the structured search's)."""
    stmt = scoped(Invoice, tenant)
    for name, column in (
        ("customer", Invoice.customer_id),
        ("status", Invoice.status),
        ("collection_method", Invoice.collection_method),
        ("number", Invoice.number),
    ):
        if args.get(name):
            stmt = stmt.where(col(column) == args[name])
    ranged: tuple[tuple[str, Any], ...] = (
        ("due_date", col(Invoice.due_date)),
        ("total", col(Invoice.total)),
    )
    for field, number in ranged:
        for suffix, op in _RANGES.items():
            value = args.get(f"{field}_{suffix}")
            if value is not None:
                stmt = stmt.where(getattr(number, op)(value))
    return stmt


_inv: Any = Invoice.__table__.c  # type: ignore[attr-defined]
INVOICE_SEARCH: dict[str, FieldSpec] = {
    "customer": FieldSpec(_inv.customer_id, "string"),
    "status": FieldSpec(_inv.status, "string"),
    "number": FieldSpec(_inv.number, "string", allow_substring=True),
    "total": FieldSpec(_inv.total, "number"),
    "currency": FieldSpec(_inv.currency, "string"),
    "created": FieldSpec(_inv.created, "timestamp"),
}


# -- the upcoming invoice (a preview, never stored) ------------------------------------------


def preview(session: Session, tenant: Tenant, data: Mapping[str, Any]) -> Invoice:
    """The invoice ``data`` describes, with its totals, as an object that is not stored: a
    quote for the desk. From a draft ``invoice``, ``data`` changes a copy of it."""
    base: Invoice | None = None
    if data.get("invoice"):
        base = get_invoice(session, tenant, data["invoice"])
        states.check(base.status, base.id, "edit")
    draft = Invoice(
        id=new_id(UPCOMING_PREFIX),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        created=now(),
        status=states.InvoiceStatus.DRAFT,
        customer_id="",
        currency=data.get("currency", base.currency if base else "usd"),
        collection_method=base.collection_method if base else "charge_automatically",
        metadata_=dict(base.metadata_) if base else {},
    )
    if base is not None:
        for name in (*_SETTINGS, "footer", "days_until_due", "due_date", "tax_rate"):
            setattr(draft, name, getattr(base, name))
        draft.customer_id = base.customer_id
        draft.customer_email, draft.customer_name = base.customer_email, base.customer_name
    if data.get("customer"):
        _set_customer(session, tenant, draft, data["customer"])
    _apply_fields(draft, data)
    if "metadata" in data:
        draft.metadata_ = merge_metadata(draft.metadata_, data["metadata"])
    if "lines" in data or base is None:
        items = data.get("lines") or []
    else:
        items = [_line_request(line) for line in base.lines]
    # Preview lines are built apart from the draft: nothing may reach the session.
    lines = totals.build_lines(session, tenant, items, draft.currency, preview=True)
    totals.apply_totals(draft, lines)
    draft.__dict__["preview_lines"] = lines
    return draft


def _line_request(line: InvoiceLine) -> dict[str, Any]:
    if line.price_id:
        item: dict[str, Any] = {"price": line.price_id, "quantity": line.quantity}
        item["description"] = line.description
        return item
    return {
        "amount": line.unit_amount,
        "currency": line.currency,
        "description": line.description,
        "quantity": line.quantity,
        "tax_behavior": line.tax_behavior,
    }


def preview_lines(invoice: Invoice) -> list[InvoiceLine]:
    lines: list[InvoiceLine] = invoice.__dict__.get("preview_lines", [])
    return lines


def page_of_lines(lines: list[InvoiceLine], args: Mapping[str, Any]) -> dict[str, Any]:
    """A list object over the preview's lines (in invoice order, ``starting_after``)."""
    start = 0
    if args.get("starting_after"):
        ids = [line.id for line in lines]
        if args["starting_after"] not in ids:
            raise NotFound(f"No such line: '{args['starting_after']}'", param="starting_after")
        start = ids.index(args["starting_after"]) + 1
    limit = int(args.get("limit", 10))
    chunk = lines[start : start + limit]
    return {
        "object": "list",
        "data": chunk,
        "has_more": start + limit < len(lines),
        "url": "/payment/invoices/upcoming/lines",
    }


def structured_search(
    session: Session, tenant: Tenant, args: Mapping[str, Any], *, url: str
) -> dict[str, Any]:
    """``GET /payment/invoices/search``: the list's filters plus ``number`` and ``total``
    ranges, answered in Stripe's search-result shape and paged with ``page``."""
    try:
        offset = decode_page(args["page"]) if args.get("page") else 0
    except SearchQueryError as exc:
        raise InvalidRequest(exc.message, param="page") from exc
    limit = int(args.get("limit", 10))
    stmt = (
        invoices_stmt(tenant, args)
        .where(*created_filters(Invoice, args))
        .order_by(col(Invoice.created).desc(), col(Invoice.id).desc())
        .offset(offset)
        .limit(limit + 1)
    )
    rows = list(session.scalars(stmt))
    has_more = len(rows) > limit
    return {
        "object": "search_result",
        "data": rows[:limit],
        "has_more": has_more,
        "next_page": encode_page(offset + limit) if has_more else None,
        "url": url,
    }
