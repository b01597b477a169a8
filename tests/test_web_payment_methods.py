"""What a publishable key may create at POST /payment/payment-methods (dealerhub.js)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, assert_error

CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}


def test_publishable_key_creates_a_test_card(pk_api: Api, api: Api) -> None:
    r = pk_api.post("/payment/payment-methods", json={"type": "card", "card": CARD})
    assert r.status_code == 200, r.get_data(as_text=True)
    pm = r.get_json()
    assert pm["id"].startswith("pm_")
    assert pm["card"]["last4"] == "4242"
    assert pm["customer"] is None
    assert api.get(f"/payment/payment-methods/{pm['id']}").status_code == 200


def test_publishable_key_cannot_attach_to_a_customer(pk_api: Api, api: Api) -> None:
    cus = api.post("/payment/customers", json={"name": "Jane"}).get_json()
    r = pk_api.post(
        "/payment/payment-methods", json={"type": "card", "card": CARD, "customer": cus["id"]}
    )
    assert assert_error(r, 400, "invalid_request_error")["param"] == "customer"
    listed = api.get(f"/payment/payment-methods/all/{cus['id']}").get_json()
    assert listed["data"] == []


def test_publishable_key_cannot_create_bank_accounts(pk_api: Api) -> None:
    r = pk_api.post(
        "/payment/payment-methods",
        json={
            "type": "us_bank_account",
            "us_bank_account": {"routing_number": "110000000", "account_number": "000123456789"},
            "billing_details": {"name": "Jane Doe"},
        },
    )
    assert assert_error(r, 400, "invalid_request_error")["param"] == "type"


def test_live_publishable_key_refuses_card_numbers(client: Any, dealer: Any) -> None:
    live_pk = Api(client, dealer.live_publishable_key)
    r = live_pk.post("/payment/payment-methods", json={"type": "card", "card": CARD})
    body = assert_error(r, 400, "invalid_request_error")
    assert body["param"] == "card.number"
    assert "tokenizer" in body["message"]


def test_secret_key_may_still_attach(api: Api) -> None:
    cus = api.post("/payment/customers", json={"name": "Jane"}).get_json()
    r = api.post(
        "/payment/payment-methods", json={"type": "card", "card": CARD, "customer": cus["id"]}
    )
    assert r.status_code == 200
    assert r.get_json()["customer"] == cus["id"]
