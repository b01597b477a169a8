from __future__ import annotations

from decimal import Decimal

import pytest

from dealerhub.dms.deals import amortized_payment
from tests.conftest import assert_error
from tests.dms.conftest import post_lead


def deal_body(lead, **finance):
    body = {
        "customer_id": lead["customer_id"],
        "lead_id": lead["id"],
        "vehicle": {"vin": "1HGCM82633A004352", "year": 2024, "make": "Honda", "price": 3_000_000},
        "trade_in": {"vin": "1FADP3F20FL000002", "allowance": 800_000, "payoff": 300_000},
        "finance": {
            "type": "retail",
            "amount_financed": 2_750_000,
            "apr": 6.9,
            "term_months": 60,
            "down_payment": 200_000,
            "monthly_payment": 54_324,
            "lender": "Ally",
            "tires_cost": 50_000,
            "taxes": 180_000,
            "fees": [{"description": "doc fee", "amount": 20_000}],
        },
        "products": [{"name": "VSC", "price": 200_000, "cost": 90_000}],
    }
    body["finance"].update(finance)
    return body


def test_amortized_payment():
    assert amortized_payment(2_750_000, Decimal("6.9"), 60) == 54_324
    assert amortized_payment(1_200_000, Decimal(0), 12) == 100_000


def test_create_retrieve_list_and_sync_a_deal(api):
    lead = post_lead(api).get_json()
    response = api.post("/dms/deals", json=deal_body(lead))
    assert response.status_code == 200, response.get_json()
    deal = response.get_json()
    assert deal["id"].startswith("deal_") and deal["object"] == "deal"
    assert deal["finance"]["tires_cost"] == 50_000
    assert deal["totals"]["trade_equity"] == 500_000
    assert deal["totals"]["products_gross"] == 110_000
    assert deal["totals"]["finance_charge"] == 54_324 * 60 - 2_750_000
    fetched = api.get(f"/dms/deals/{deal['id']}").get_json()
    assert fetched["dms_sync"]["status"] == "synced"
    assert fetched["dms_sync"]["external_id"].startswith("dmsdeal")
    # The deal reuses the DMS customer the lead created.
    lead_now = api.get(f"/dms/leads/{lead['customer_id']}").get_json()
    assert fetched["dms_sync"]["dms_customer_key"] == lead_now["dms_sync"]["dms_customer_key"]
    listed = api.get("/dms/deals").get_json()
    assert [d["id"] for d in listed["data"]] == [deal["id"]]


@pytest.mark.parametrize(
    ("finance", "param"),
    [
        ({"apr": 41}, "finance.apr"),
        ({"apr": -1}, "finance.apr"),
        ({"term_months": 0}, "finance.term_months"),
        ({"term_months": 97}, "finance.term_months"),
        ({"taxes": -5}, "finance.taxes"),
        ({"amount_financed": 2_700_000}, "finance.amount_financed"),
        ({"monthly_payment": 60_000}, "finance.monthly_payment"),
        ({"monthly_payment": None}, "finance.monthly_payment"),
    ],
)
def test_desk_arithmetic_is_checked(api, finance, param):
    lead = post_lead(api).get_json()
    err = assert_error(
        api.post("/dms/deals", json=deal_body(lead, **finance)), 400, "invalid_request_error"
    )
    assert err["param"] == param
    assert api.get("/dms/deals").get_json()["data"] == []


def test_cash_deal_finances_nothing(api):
    lead = post_lead(api).get_json()
    body = deal_body(lead)
    body["finance"] = {"type": "cash", "down_payment": 100_000, "taxes": 180_000}
    response = api.post("/dms/deals", json=body)
    assert response.status_code == 200, response.get_json()
    assert (
        response.get_json()["totals"]["balance_due"]
        == 3_000_000 + 180_000 + 200_000 + 300_000 - 800_000 - 100_000
    )
    body["finance"]["apr"] = 5
    err = assert_error(api.post("/dms/deals", json=body), 400, "invalid_request_error")
    assert err["param"] == "finance.apr"


def test_unknown_customer_or_foreign_lead_is_404(api):
    lead = post_lead(api).get_json()
    body = deal_body(lead)
    body["customer_id"] = "cus_nope"
    err = assert_error(
        api.post("/dms/deals", json=body), 404, "invalid_request_error", "resource_missing"
    )
    assert err["param"] == "customer_id"
    body = deal_body(lead)
    body["lead_id"] = "lead_nope"
    err = assert_error(
        api.post("/dms/deals", json=body), 404, "invalid_request_error", "resource_missing"
    )
    assert err["param"] == "lead_id"


def test_negative_trade_payoff_and_bad_payment_intent(api):
    lead = post_lead(api).get_json()
    body = deal_body(lead)
    body["trade_in"]["payoff"] = -1
    err = assert_error(api.post("/dms/deals", json=body), 400, "invalid_request_error")
    assert err["param"] == "trade_in.payoff"
    body = deal_body(lead)
    body["payment_intent"] = "ch_123"
    err = assert_error(api.post("/dms/deals", json=body), 400, "invalid_request_error")
    assert err["param"] == "payment_intent"


def test_deal_404_for_other_mode(api, live_api):
    lead = post_lead(api).get_json()
    deal = api.post("/dms/deals", json=deal_body(lead)).get_json()
    assert_error(live_api.get(f"/dms/deals/{deal['id']}"), 404, "invalid_request_error")


def test_a_deals_payment_intent_must_be_this_dealers_and_this_customers(api, app, client):
    from tests.conftest import Api, make_dealer

    lead = post_lead(api).get_json()
    other = Api(client, make_dealer(app, "Other Motors").secret_key)
    foreign = other.post(
        "/payment/payment-intents", json={"amount": 1000, "currency": "usd"}
    ).get_json()
    someone = api.post("/payment/customers", json={"name": "Someone Else"}).get_json()
    theirs = api.post(
        "/payment/payment-intents",
        json={"amount": 1000, "currency": "usd", "customer": someone["id"]},
    ).get_json()
    for pi_id in (foreign["id"], theirs["id"], "pi_doesnotexist"):
        r = api.post("/dms/deals", json={**deal_body(lead), "payment_intent": pi_id})
        assert assert_error(r, 404, "invalid_request_error", "resource_missing")["param"] == (
            "payment_intent"
        )
    mine = api.post("/payment/payment-intents", json={"amount": 1000, "currency": "usd"}).get_json()
    r = api.post("/dms/deals", json={**deal_body(lead), "payment_intent": mine["id"]})
    assert r.status_code == 200, r.get_data(as_text=True)
