"""Invoices at the desk: create from prices or free lines, preview, send, mark paid, void."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from dealerhub.billing.models import Invoice
from tests.billing.conftest import customer, ok, price, product
from tests.staff.conftest import Desk, audit_actions


def invoices_of(app: Any, customer_id: str) -> list[Invoice]:
    with app.extensions["db"].transaction(write=False) as session:
        return list(session.scalars(select(Invoice).where(Invoice.customer_id == customer_id)))


def open_invoice(api: Any) -> dict[str, Any]:
    cus = customer(api)
    inv = ok(
        api.post(
            "/payment/invoices",
            json={
                "customer": cus["id"],
                "collection_method": "send_invoice",
                "days_until_due": 30,
                "lines": [{"amount": 19900, "currency": "usd", "description": "Detailing"}],
            },
        )
    )
    return ok(api.post(f"/payment/invoices/{inv['id']}/finalize"))


def form(cus_id: str, **extra: str) -> dict[str, str]:
    return {
        "customer": cus_id,
        "collection_method": "send_invoice",
        "days_until_due": "14",
        "lines.0.description": "Window tint",
        "lines.0.amount": "299.00",
        "lines.0.quantity": "2",
        **extra,
    }


def test_preview_shows_totals_and_stores_nothing(app: Any, api: Any, desk: Desk) -> None:
    cus = customer(api)
    desk.login("finance")
    response = desk.post("/staff/invoices/new", {**form(cus["id"]), "action": "preview"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Preview (not saved)" in html and "598.00 USD" in html
    assert invoices_of(app, cus["id"]) == []


def test_create_from_a_price_and_a_free_line(app: Any, api: Any, desk: Desk) -> None:
    cus = customer(api)
    doc_fee = price(api, product(api)["id"])
    desk.login("finance")
    page = desk.get(f"/staff/invoices/new?customer={cus['id']}").get_data(as_text=True)
    assert doc_fee["id"] in page and "Doc fee" in page
    response = desk.post(
        "/staff/invoices/new",
        {**form(cus["id"]), "lines.1.price": doc_fee["id"], "action": "create"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    [inv] = invoices_of(app, cus["id"])
    assert (inv.status, inv.total, inv.collection_method) == (
        "draft",
        59800 + 49900,
        "send_invoice",
    )
    assert ("invoice.created", f"staff:{desk.users['finance']}") in audit_actions(
        app, desk.dealer.id
    )


def test_create_errors_are_shown_beside_fields(app: Any, api: Any, desk: Desk) -> None:
    cus = customer(api)
    desk.login("manager")
    response = desk.post(
        "/staff/invoices/new",
        {**form(cus["id"]), "lines.0.amount": "12.345", "action": "create"},
    )
    assert response.status_code == 400
    assert "at most two decimals" in response.get_data(as_text=True)
    missing = desk.post("/staff/invoices/new", {**form("cus_nope"), "action": "create"})
    assert missing.status_code == 404
    assert "No such customer" in missing.get_data(as_text=True)
    assert invoices_of(app, cus["id"]) == []


@pytest.mark.parametrize("role", ["cashier", "viewer"])
def test_cashier_and_viewer_cannot_create(app: Any, api: Any, desk: Desk, role: str) -> None:
    cus = customer(api)
    desk.login(role)
    response = desk.post("/staff/invoices/new", {**form(cus["id"]), "action": "create"})
    assert response.status_code == 403
    assert invoices_of(app, cus["id"]) == []


@pytest.mark.parametrize("role", ["cashier", "finance", "manager"])
def test_send_and_mark_paid(app: Any, api: Any, desk: Desk, role: str) -> None:
    inv = open_invoice(api)
    desk.login(role)
    sent = desk.post(f"/staff/invoices/{inv['id']}/send")
    assert sent.status_code == 302, sent.get_data(as_text=True)
    paid = desk.post(f"/staff/invoices/{inv['id']}/mark-paid")
    assert paid.status_code == 302, paid.get_data(as_text=True)
    [row] = invoices_of(app, inv["customer"])
    assert (row.status, row.paid_out_of_band) == ("paid", True)
    actions = audit_actions(app, desk.dealer.id, desk.users[role])
    assert ("invoice.sent", f"staff:{desk.users[role]}") in actions
    assert ("invoice.marked_paid", f"staff:{desk.users[role]}") in actions


def test_viewer_cannot_send_or_mark_paid(app: Any, api: Any, desk: Desk) -> None:
    inv = open_invoice(api)
    desk.login("viewer")
    assert desk.post(f"/staff/invoices/{inv['id']}/send").status_code == 403
    assert desk.post(f"/staff/invoices/{inv['id']}/mark-paid").status_code == 403
    assert invoices_of(app, inv["customer"])[0].status == "open"


def test_void_is_finance_or_manager_only(app: Any, api: Any, desk: Desk) -> None:
    inv = open_invoice(api)
    desk.login("cashier")
    assert desk.post(f"/staff/invoices/{inv['id']}/void").status_code == 403
    desk.login("finance")
    assert desk.post(f"/staff/invoices/{inv['id']}/void").status_code == 302
    assert invoices_of(app, inv["customer"])[0].status == "void"
    again = desk.post(f"/staff/invoices/{inv['id']}/void")
    assert again.status_code == 400
    assert "void" in again.get_data(as_text=True)


def test_invoice_list_and_page(app: Any, api: Any, desk: Desk) -> None:
    inv = open_invoice(api)
    desk.login("viewer")
    assert inv["number"] in desk.get("/staff/invoices?status=open").get_data(as_text=True)
    page = desk.get(f"/staff/invoices/{inv['id']}").get_data(as_text=True)
    assert "199.00 USD" in page and "Detailing" in page
    assert "Send to customer" not in page  # no buttons for a viewer
