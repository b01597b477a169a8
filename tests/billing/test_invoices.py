"""Invoices: drafts and totals, every transition and every refused one, automatic
collection (a declining test card included), pay, void, uncollectible."""

from __future__ import annotations

import pytest

from tests.billing.conftest import customer, draft, ok, price, product
from tests.conftest import assert_error


def test_draft_lines_and_totals(api, events):
    prod = product(api, name="GAP insurance")
    gap = price(api, prod["id"], unit_amount=79500, tax_behavior="exclusive")
    incl = price(api, prod["id"], unit_amount=10825, tax_behavior="inclusive", nickname="Etch")
    cus = customer(api)
    inv = draft(
        api,
        cus["id"],
        [
            {"price": gap["id"], "quantity": 2},
            {"price": incl["id"]},
            {"amount": 19999, "description": "Documentation fee"},
            {"amount": -5000, "description": "Trade-in credit", "tax_behavior": "inclusive"},
        ],
        tax_rate=8.25,
        description="Deal D-1001",
        metadata={"deal": "D-1001"},
    )
    assert inv["id"].startswith("in_") and inv["object"] == "invoice"
    assert (inv["status"], inv["number"], inv["hosted_invoice_url"]) == ("draft", None, None)
    lines = inv["lines"]["data"]
    assert [line["amount"] for line in lines] == [159000, 10825, 19999, -5000]
    assert lines[0]["price"] == gap["id"] and lines[0]["description"] == "GAP insurance"
    assert lines[1]["description"] == "Etch" and lines[1]["product"] == prod["id"]
    # exclusive: 159000 x 8.25% = 13117.5 → 13118; 19999 x 8.25% = 1649.92 → 1650
    # inclusive: 10825 - 10825/1.0825 = 825; -5000 - (-5000/1.0825 = -4618.9 → -4619) = -381
    assert [line["tax_amount"] for line in lines] == [13118, 825, 1650, -381]
    assert inv["subtotal"] == 159000 + 10825 + 19999 - 5000
    assert inv["tax"] == 13118 + 825 + 1650 - 381
    assert inv["total"] == inv["subtotal"] + 13118 + 1650
    assert inv["amount_due"] == inv["total"] == inv["amount_remaining"]
    assert inv["total_excluding_tax"] == inv["total"] - inv["tax"]
    assert inv["tax_rate"] == "8.25"
    assert [e["type"] for e in events()][-1] == "invoice.created"


def test_edit_draft_then_edits_refused_after_finalize(api, events):
    cus = customer(api)
    other = customer(api, name="Bo", email="bo@example.com")
    inv = draft(api, cus["id"])
    edited = ok(
        api.patch(
            f"/payment/invoices/{inv['id']}",
            json={
                "customer": other["id"],
                "lines": [{"amount": 1000, "description": "Plate", "quantity": 3}],
                "footer": "Thank you",
            },
        )
    )
    assert edited["customer"] == other["id"] and edited["total"] == 3000
    assert edited["lines"]["total_count"] == 1 and edited["footer"] == "Thank you"
    update = events("invoice.updated")[-1]
    assert update["previous_attributes"]["total"] == 49900
    ok(api.post(f"/payment/invoices/{inv['id']}/finalize"))
    body = assert_error(
        api.patch(f"/payment/invoices/{inv['id']}", json={"description": "x"}),
        400,
        "invalid_request_error",
        "invoice_unexpected_state",
    )
    assert "status of open" in body["message"]
    tagged = ok(api.patch(f"/payment/invoices/{inv['id']}", json={"metadata": {"dms": "42"}}))
    assert tagged["metadata"] == {"dms": "42"}


def _invoice_in(api, status: str) -> dict:
    cus = customer(api)
    inv = draft(api, cus["id"], collection_method="send_invoice", days_until_due=30)
    path = f"/payment/invoices/{inv['id']}"
    if status != "draft":
        ok(api.post(f"{path}/finalize"))
    if status == "paid":
        ok(api.post(f"{path}/pay", json={"paid_out_of_band": True}))
    if status == "uncollectible":
        ok(api.post(f"{path}/mark_uncollectible"))
    if status == "void":
        ok(api.post(f"{path}/void"))
    return ok(api.get(path))


# action -> the statuses it is allowed from (Stripe's workflow-transitions table)
ALLOWED = {
    "edit": {"draft"},
    "delete": {"draft"},
    "finalize": {"draft"},
    "pay": {"draft", "open", "uncollectible"},
    "send": {"draft", "open"},
    "void": {"open", "uncollectible"},
    "mark_uncollectible": {"open"},
}


def _do(api, inv, action):
    path = f"/payment/invoices/{inv['id']}"
    if action == "edit":
        return api.patch(path, json={"description": "changed"})
    if action == "delete":
        return api.delete(path)
    if action == "pay":
        return api.post(f"{path}/pay", json={"paid_out_of_band": True})
    return api.post(f"{path}/{action}")


@pytest.mark.parametrize("status", ["draft", "open", "paid", "uncollectible", "void"])
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_transition_table(api, status, action):
    inv = _invoice_in(api, status)
    assert inv["status"] == status
    response = _do(api, inv, action)
    if status in ALLOWED[action]:
        assert response.status_code == 200, response.get_json()
        return
    body = assert_error(response, 400, "invalid_request_error", "invoice_unexpected_state")
    assert f"status of {status}" in body["message"] and body["param"] == "status"
    after = ok(api.get(f"/payment/invoices/{inv['id']}"))
    assert after["status"] == status


def test_walk_draft_open_uncollectible_paid_and_void(api, events):
    cus = customer(api)
    inv = draft(api, cus["id"], collection_method="send_invoice", days_until_due=15)
    fin = ok(api.post(f"/payment/invoices/{inv['id']}/finalize"))
    assert fin["status"] == "open" and fin["number"] == "TEST-0001"
    assert fin["due_date"] == fin["status_transitions"]["finalized_at"] + 15 * 86400
    assert fin["hosted_invoice_url"].endswith(fin["invoice_pdf"].split("/")[-2])
    unc = ok(api.post(f"/payment/invoices/{inv['id']}/mark_uncollectible"))
    assert unc["status"] == "uncollectible" and unc["status_transitions"]["marked_uncollectible_at"]
    paid = ok(
        api.post(f"/payment/invoices/{inv['id']}/pay", json={"payment_method": "pm_card_visa"})
    )
    assert paid["status"] == "paid" and paid["paid"] is True
    assert paid["amount_paid"] == 49900 and paid["amount_remaining"] == 0
    pi = ok(api.get(f"/payment/payment-intents/{paid['payment_intent']}"))
    assert pi["status"] == "succeeded" and pi["amount"] == 49900
    assert pi["metadata"] == {"invoice": inv["id"], "invoice_number": "TEST-0001"}
    second = draft(api, cus["id"], collection_method="send_invoice", due_date=2_000_000_000)
    ok(api.post(f"/payment/invoices/{second['id']}/finalize"))
    voided = ok(api.post(f"/payment/invoices/{second['id']}/void"))
    assert voided["status"] == "void" and voided["number"] == "TEST-0002"
    assert voided["due_date"] == 2_000_000_000
    types = [e["type"] for e in events() if e["type"].startswith("invoice.")]
    assert types == [
        "invoice.created",
        "invoice.finalized",
        "invoice.marked_uncollectible",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.created",
        "invoice.finalized",
        "invoice.voided",
    ]


def test_delete_draft(api, events):
    inv = draft(api, customer(api)["id"])
    assert ok(api.delete(f"/payment/invoices/{inv['id']}")) == {
        "id": inv["id"],
        "object": "invoice",
        "deleted": True,
    }
    assert_error(api.get(f"/payment/invoices/{inv['id']}"), 404, "invalid_request_error")
    assert events("invoice.deleted")[0]["object"]["id"] == inv["id"]


def test_automatic_collection_with_the_default_card(api, events):
    cus = customer(api)
    pm = ok(
        api.post(
            "/payment/payment-methods",
            json={
                "type": "card",
                "customer": cus["id"],
                "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040},
            },
        )
    )
    ok(api.patch(f"/payment/customers/{cus['id']}", json={"default_payment_method": pm["id"]}))
    inv = draft(api, cus["id"])
    paid = ok(api.post(f"/payment/invoices/{inv['id']}/finalize"))
    assert paid["status"] == "paid" and paid["amount_paid"] == 49900
    assert paid["last_finalization_error"] is None and paid["attempt_count"] == 1
    pi = ok(api.get(f"/payment/payment-intents/{paid['payment_intent']}"))
    assert (pi["status"], pi["payment_method"], pi["customer"]) == (
        "succeeded",
        pm["id"],
        cus["id"],
    )
    assert [e["type"] for e in events() if e["type"].startswith("invoice.")][-3:] == [
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]


def test_automatic_collection_with_a_declining_card(api, events):
    cus = customer(api)
    inv = draft(api, cus["id"], default_payment_method="pm_card_chargeDeclinedInsufficientFunds")
    opened = ok(api.post(f"/payment/invoices/{inv['id']}/finalize"))
    assert opened["status"] == "open" and opened["amount_paid"] == 0
    error = opened["last_finalization_error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        "insufficient_funds",
    )
    assert error["payment_intent"] == opened["payment_intent"]
    pi = ok(api.get(f"/payment/payment-intents/{opened['payment_intent']}"))
    assert pi["status"] == "requires_payment_method"
    failed = events("invoice.payment_failed")
    assert len(failed) == 1 and failed[0]["object"]["status"] == "open"
    # A declined pay is a 402 and records the failure; a good card then pays the same intent.
    body = assert_error(
        api.post(
            f"/payment/invoices/{inv['id']}/pay", json={"payment_method": "pm_card_chargeDeclined"}
        ),
        402,
        "card_error",
        "card_declined",
    )
    assert body["decline_code"] == "generic_decline"
    assert len(events("invoice.payment_failed")) == 2
    paid = ok(
        api.post(f"/payment/invoices/{inv['id']}/pay", json={"payment_method": "pm_card_visa"})
    )
    assert paid["status"] == "paid" and paid["payment_intent"] == opened["payment_intent"]
    assert paid["attempt_count"] == 3 and paid["last_finalization_error"] is None


def test_no_default_payment_method(api):
    inv = draft(api, customer(api)["id"])
    opened = ok(api.post(f"/payment/invoices/{inv['id']}/finalize"))
    assert opened["last_finalization_error"]["code"] == "invoice_no_payment_method"
    body = assert_error(
        api.post(f"/payment/invoices/{inv['id']}/pay", json={}), 400, "invalid_request_error"
    )
    assert body["param"] == "payment_method"


def test_pay_draft_out_of_band_and_void_cancels_the_intent(api):
    cus = customer(api)
    inv = draft(api, cus["id"])
    paid = ok(api.post(f"/payment/invoices/{inv['id']}/pay", json={"paid_out_of_band": True}))
    assert (paid["status"], paid["paid_out_of_band"], paid["payment_intent"]) == (
        "paid",
        True,
        None,
    )
    assert paid["number"] == "TEST-0001"
    other = draft(api, cus["id"], default_payment_method="pm_card_chargeDeclined")
    opened = ok(api.post(f"/payment/invoices/{other['id']}/finalize"))
    voided = ok(api.post(f"/payment/invoices/{other['id']}/void"))
    assert voided["status"] == "void"
    pi = ok(api.get(f"/payment/payment-intents/{opened['payment_intent']}"))
    assert pi["status"] == "canceled"


def test_zero_total_is_paid_on_finalize(api):
    inv = draft(api, customer(api)["id"], [])
    fin = ok(api.post(f"/payment/invoices/{inv['id']}/finalize"))
    assert fin["status"] == "paid" and fin["total"] == 0 and fin["payment_intent"] is None


def test_bad_input_names_the_field_and_changes_nothing(api, events):
    cus = customer(api)
    prod = product(api)
    monthly = price(api, prod["id"], recurring={"interval": "month"})
    eur = price(api, prod["id"], currency="eur")
    retired = price(api, prod["id"])
    ok(api.patch(f"/payment/prices/{retired['id']}", json={"active": False}))
    before = len(events())
    cases = [
        ({"lines": []}, "customer"),
        ({"customer": cus["id"], "collection_method": "send_invoice"}, "days_until_due"),
        ({"customer": cus["id"], "days_until_due": 3}, "days_until_due"),
        ({"customer": cus["id"], "lines": [{"amount": 1}]}, "lines.0.description"),
        ({"customer": cus["id"], "lines": [{"price": monthly["id"]}]}, "lines.0.price"),
        ({"customer": cus["id"], "lines": [{"price": eur["id"]}]}, "lines.0.price"),
        ({"customer": cus["id"], "lines": [{"price": retired["id"]}]}, "lines.0.price"),
        (
            {"customer": cus["id"], "lines": [{"amount": 1, "description": "x", "quantity": 0}]},
            "lines.0.quantity",
        ),
        ({"customer": cus["id"], "lines": [{"amount": -5, "description": "credit"}]}, "lines"),
        ({"customer": cus["id"], "tax_rate": 101}, "tax_rate"),
        ({"customer": cus["id"], "colour": "red"}, "colour"),
    ]
    for body, param in cases:
        err = assert_error(api.post("/payment/invoices", json=body), 400, "invalid_request_error")
        assert err["param"] == param, (body, err)
    err = assert_error(
        api.post("/payment/invoices", json={"customer": "cus_nope"}), 404, "invalid_request_error"
    )
    assert err["param"] == "customer"
    assert_error(
        api.get("/payment/invoices/in_nope"), 404, "invalid_request_error", "resource_missing"
    )
    assert_error(api.post("/payment/invoices/in_nope/finalize"), 404, "invalid_request_error")
    assert len(events()) == before
    assert ok(api.get("/payment/invoices"))["data"] == []


def test_publishable_key_reaches_no_invoice_endpoint(api, pk_api):
    inv = draft(api, customer(api)["id"])
    path = f"/payment/invoices/{inv['id']}"
    for response in (
        pk_api.get("/payment/invoices"),
        pk_api.post("/payment/invoices", json={}),
        pk_api.get(path),
        pk_api.patch(path, json={}),
        pk_api.delete(path),
        pk_api.get("/payment/invoices/search"),
        pk_api.get("/payment/invoices/search-by-query?query=status:'open'"),
        pk_api.post("/payment/invoices/upcoming", json={}),
        pk_api.post("/payment/invoices/upcoming/lines", json={}),
        *(
            pk_api.post(f"{path}/{a}", json={})
            for a in ("finalize", "pay", "send", "void", "mark_uncollectible")
        ),
    ):
        assert_error(response, 403, "permission_error")
    assert ok(api.get(path))["status"] == "draft"
