"""Payments at the desk: list, detail, capture, refund with reason; roles, CSRF, errors."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from dealerhub.payments.models import PaymentIntent, Refund
from tests.billing.conftest import customer, ok
from tests.staff.conftest import Desk, audit_actions


def intent(api: Any, *, manual: bool = False, amount: int = 12500) -> dict[str, Any]:
    cus = customer(api)
    body = {
        "amount": amount,
        "currency": "usd",
        "customer": cus["id"],
        "payment_method": "pm_card_visa",
        "confirm": True,
        "description": "Deposit",
    }
    if manual:
        body["capture_method"] = "manual"
    return ok(api.post("/payment/payment-intents", json=body))


def row(app: Any, model: Any, object_id: str) -> Any:
    with app.extensions["db"].transaction(write=False) as session:
        return session.get(model, object_id)


def refunds_of(app: Any, pi_id: str) -> list[Refund]:
    with app.extensions["db"].transaction(write=False) as session:
        return list(session.scalars(select(Refund).where(Refund.payment_intent_id == pi_id)))


def test_list_and_detail_show_money_and_charges(app: Any, api: Any, desk: Desk) -> None:
    pi = intent(api)
    desk.login("viewer")
    listing = desk.get("/staff/payments").get_data(as_text=True)
    assert pi["id"] in listing and "125.00 USD" in listing
    page = desk.get(f"/staff/payments/{pi['id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "ch_" in html and "payment_intent.succeeded" in html
    assert "Refund</h2>" not in html  # a viewer sees no refund form
    assert ("desk.payment_viewed", f"staff:{desk.users['viewer']}") in audit_actions(
        app, desk.dealer.id
    )


def test_unknown_payment_is_a_404_page(desk: Desk) -> None:
    desk.login("viewer")
    response = desk.get("/staff/payments/pi_nope")
    assert response.status_code == 404
    assert "No such payment_intent" in response.get_data(as_text=True)


def test_finance_refunds_with_reason(app: Any, api: Any, desk: Desk) -> None:
    pi = intent(api)
    desk.login("finance")
    response = desk.post(
        f"/staff/payments/{pi['id']}/refund",
        {"amount": "25.00", "reason": "requested_by_customer", "note": "changed mind"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    [refund] = refunds_of(app, pi["id"])
    assert (refund.amount, refund.reason, refund.metadata_) == (
        2500,
        "requested_by_customer",
        {"desk_note": "changed mind"},
    )
    assert row(app, PaymentIntent, pi["id"]).amount_refunded == 2500
    assert ("refund.created", f"staff:{desk.users['finance']}") in audit_actions(
        app, desk.dealer.id
    )
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "25.00 USD" in page and "changed mind" in page


def test_refund_needs_a_reason_and_changes_nothing(app: Any, api: Any, desk: Desk) -> None:
    pi = intent(api)
    desk.login("finance")
    response = desk.post(f"/staff/payments/{pi['id']}/refund", {"amount": "10.00"})
    assert response.status_code == 400
    assert "Choose the reason for the refund." in response.get_data(as_text=True)
    assert refunds_of(app, pi["id"]) == []


@pytest.mark.parametrize(
    ("amount", "message"),
    [("abc", "Enter an amount such as 125.00."), ("500.00", "greater than unrefunded amount")],
)
def test_refund_amount_errors_show_the_api_message(
    app: Any, api: Any, desk: Desk, amount: str, message: str
) -> None:
    pi = intent(api)
    desk.login("manager")
    response = desk.post(
        f"/staff/payments/{pi['id']}/refund", {"amount": amount, "reason": "duplicate"}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'aria-invalid="true"' in html
    assert refunds_of(app, pi["id"]) == []


@pytest.mark.parametrize("role", ["cashier", "viewer"])
def test_cashier_and_viewer_cannot_refund(app: Any, api: Any, desk: Desk, role: str) -> None:
    pi = intent(api)
    desk.login(role)
    response = desk.post(f"/staff/payments/{pi['id']}/refund", {"reason": "duplicate"})
    assert response.status_code == 403
    assert refunds_of(app, pi["id"]) == []
    assert ("refund.created", f"staff:{desk.users[role]}") not in audit_actions(app, desk.dealer.id)


def test_refund_without_csrf_token_is_refused(app: Any, api: Any, desk: Desk) -> None:
    pi = intent(api)
    desk.login("finance")
    response = desk.client.post(f"/staff/payments/{pi['id']}/refund", data={"reason": "duplicate"})
    assert response.status_code == 400
    assert refunds_of(app, pi["id"]) == []


@pytest.mark.parametrize("role", ["cashier", "finance", "manager"])
def test_capture_by_roles_that_take_payments(app: Any, api: Any, desk: Desk, role: str) -> None:
    pi = intent(api, manual=True)
    assert pi["status"] == "requires_capture"
    desk.login(role)
    response = desk.post(f"/staff/payments/{pi['id']}/capture", {"amount": "100.00"})
    assert response.status_code == 302, response.get_data(as_text=True)
    captured = row(app, PaymentIntent, pi["id"])
    assert (captured.status, captured.amount_received) == ("succeeded", 10000)
    assert ("payment_intent.captured", f"staff:{desk.users[role]}") in audit_actions(
        app, desk.dealer.id
    )


def test_viewer_cannot_capture(app: Any, api: Any, desk: Desk) -> None:
    pi = intent(api, manual=True)
    desk.login("viewer")
    assert desk.post(f"/staff/payments/{pi['id']}/capture").status_code == 403
    assert row(app, PaymentIntent, pi["id"]).status == "requires_capture"


def test_capture_more_than_authorized_is_shown(app: Any, api: Any, desk: Desk) -> None:
    pi = intent(api, manual=True)
    desk.login("cashier")
    response = desk.post(f"/staff/payments/{pi['id']}/capture", {"amount": "999.00"})
    assert response.status_code == 400
    assert row(app, PaymentIntent, pi["id"]).status == "requires_capture"


def test_payments_of_the_other_mode_are_not_shown(app: Any, api: Any, desk: Desk) -> None:
    pi = intent(api)
    desk.login("viewer")
    desk.post("/staff/mode", {"mode": "live"})
    assert pi["id"] not in desk.get("/staff/payments").get_data(as_text=True)
    assert desk.get(f"/staff/payments/{pi['id']}").status_code == 404
