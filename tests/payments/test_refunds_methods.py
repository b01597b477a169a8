from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tests.payments.conftest import card, intent


def _paid(api, amount=2000, pm="pm_card_visa"):
    return intent(api, amount=amount, payment_method=pm, confirm=True).get_json()


def test_partial_and_repeated_refunds_never_exceed_received(api, events):
    pi = _paid(api)
    r1 = api.post(
        "/payment/refunds",
        json={"payment_intent": pi["id"], "amount": 500, "reason": "requested_by_customer"},
    ).get_json()
    assert r1["status"] == "succeeded" and r1["amount"] == 500 and r1["id"].startswith("re_")
    api.post("/payment/refunds", json={"payment_intent": pi["id"], "amount": 1000})
    err = assert_error(
        api.post("/payment/refunds", json={"payment_intent": pi["id"], "amount": 501}),
        400,
        "invalid_request_error",
        "amount_too_large",
    )
    assert err["param"] == "amount" and err["refundable_amount"] == 500
    assert "5.00 USD" in err["message"]
    rest = api.post("/payment/refunds", json={"payment_intent": pi["id"]}).get_json()
    assert rest["amount"] == 500
    assert_error(
        api.post("/payment/refunds", json={"payment_intent": pi["id"]}),
        400,
        "invalid_request_error",
        "charge_already_refunded",
    )
    pi = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert pi["status"] == "succeeded"
    ch = pi["charges"]["data"][0]
    assert ch["amount_refunded"] == 2000 and ch["refunded"] is True
    listed = api.get(f"/payment/refunds?payment_intent={pi['id']}").get_json()
    assert len(listed["data"]) == 3
    assert api.get(f"/payment/refunds/{r1['id']}").get_json()["amount"] == 500
    assert len(events("refund.created")) == 3 and len(events("charge.refunded")) == 3


def test_refund_after_partial_capture_is_limited_to_captured(api):
    pi = intent(
        api, payment_method="pm_card_visa", confirm=True, capture_method="manual"
    ).get_json()
    api.post(f"/payment/payment-intents/{pi['id']}/capture", json={"amount_to_capture": 700})
    err = assert_error(
        api.post("/payment/refunds", json={"payment_intent": pi["id"], "amount": 701}),
        400,
        "invalid_request_error",
    )
    assert err["refundable_amount"] == 700


@pytest.mark.parametrize("kind", ["unpaid", "canceled", "uncaptured"])
def test_refunding_unpaid_or_canceled_is_400(api, kind):
    if kind == "unpaid":
        pi = intent(api).get_json()
    elif kind == "uncaptured":
        pi = intent(
            api, payment_method="pm_card_visa", confirm=True, capture_method="manual"
        ).get_json()
    else:
        pi = intent(api).get_json()
        api.delete(f"/payment/payment-intents/{pi['id']}/cancel")
    err = assert_error(
        api.post("/payment/refunds", json={"payment_intent": pi["id"]}),
        400,
        "invalid_request_error",
    )
    assert err["param"] == "payment_intent"
    assert api.get("/payment/refunds").get_json()["data"] == []


def test_refund_fails_asynchronously_for_refund_fail_card(api, events):
    pi = _paid(api, pm="pm_card_refundFail")
    r = api.post("/payment/refunds", json={"payment_intent": pi["id"], "amount": 300}).get_json()
    # Tasks run eagerly after commit: the pending refund has already been settled as failed.
    r = api.get(f"/payment/refunds/{r['id']}").get_json()
    assert r["status"] == "failed" and r["failure_reason"] == "expired_or_canceled_card"
    assert events("refund.failed") and events("refund.updated")
    # The failed amount is refundable again.
    assert (
        api.post("/payment/refunds", json={"payment_intent": pi["id"]}).get_json()["amount"] == 2000
    )


def test_pending_refund_can_be_canceled(api, app, monkeypatch):
    from dealerhub.payments import tasks

    monkeypatch.setattr(tasks.settle_refund, "apply_async", lambda *a, **k: None)
    pi = _paid(api, pm="pm_card_refundFail")
    r = api.post("/payment/refunds", json={"payment_intent": pi["id"], "amount": 300}).get_json()
    assert r["status"] == "pending"
    c = api.delete(f"/payment/refunds/{r['id']}/cancel").get_json()
    assert c["status"] == "canceled"
    err = assert_error(
        api.delete(f"/payment/refunds/{r['id']}/cancel"), 400, "invalid_request_error"
    )
    assert "canceled" in err["message"]
    ok = _paid(api)
    done = api.post("/payment/refunds", json={"payment_intent": ok["id"]}).get_json()
    assert_error(api.delete(f"/payment/refunds/{done['id']}/cancel"), 400, "invalid_request_error")


@pytest.mark.parametrize(
    ("number", "brand", "last4"),
    [
        ("4242424242424242", "visa", "4242"),
        ("5555555555554444", "mastercard", "4444"),
        ("378282246310005", "amex", "0005"),
        ("6011111111111117", "discover", "1117"),
        ("4000000000000077", "visa", "0077"),
    ],
)
def test_create_card_payment_method_keeps_no_pan(api, app, number, brand, last4):
    r = api.post(
        "/payment/payment-methods",
        json=card(
            number,
            billing_details={"name": "Ann", "address": {"country": "US", "postal_code": "94107"}},
        ),
    )
    pm = r.get_json()
    assert r.status_code == 200, pm
    assert pm["card"]["brand"] == brand and pm["card"]["last4"] == last4
    assert len(pm["card"]["fingerprint"]) == 16
    assert pm["billing_details"]["address"]["country"] == "US"
    again = api.post("/payment/payment-methods", json=card(number)).get_json()
    assert again["card"]["fingerprint"] == pm["card"]["fingerprint"]
    # Nothing stored contains the number.
    from sqlalchemy import text

    with app.extensions["db"].transaction() as s:
        for table in ("payment_methods", "events"):
            for row in s.execute(text(f"SELECT * FROM {table}")):
                assert number not in str(tuple(row))


def test_fingerprint_differs_between_dealers(api, client, app):
    from tests.conftest import Api, make_dealer

    other = Api(client, make_dealer(app, "Other").secret_key)
    a = api.post("/payment/payment-methods", json=card()).get_json()["card"]["fingerprint"]
    b = other.post("/payment/payment-methods", json=card()).get_json()["card"]["fingerprint"]
    assert a != b


@pytest.mark.parametrize(
    ("number", "code", "param"),
    [
        ("4242424242424241", "incorrect_number", "card.number"),
        ("4111111111111111", "card_declined", "card.number"),
    ],
)
def test_bad_card_numbers(api, number, code, param):
    err = assert_error(
        api.post("/payment/payment-methods", json=card(number)), 402, "card_error", code
    )
    assert err["param"] == param


def test_expired_card_and_bad_fields_are_rejected(api):
    body = card()
    body["card"]["exp_year"] = 2020
    assert_error(
        api.post("/payment/payment-methods", json=body), 402, "card_error", "invalid_expiry_year"
    )
    body = card()
    body["card"]["exp_month"] = 13
    err = assert_error(
        api.post("/payment/payment-methods", json=body), 400, "invalid_request_error"
    )
    assert err["param"] == "card.exp_month"
    body = card(billing_details={"address": {"country": "USA"}})
    err = assert_error(
        api.post("/payment/payment-methods", json=body), 400, "invalid_request_error"
    )
    assert err["param"] == "billing_details.address.country"


def test_live_mode_refuses_raw_numbers(live_api):
    err = assert_error(
        live_api.post("/payment/payment-methods", json=card()), 400, "invalid_request_error"
    )
    assert err["param"] == "card.number"


def test_token_payment_method(api):
    pm = api.post("/payment/payment-methods", json={"type": "card", "card": {"token": "tok_visa"}})
    assert pm.get_json()["card"]["last4"] == "4242"


def test_attach_list_update_detach(api, events):
    cus = api.post("/payment/customers", json={"name": "A"}).get_json()
    pm = api.post("/payment/payment-methods", json=card()).get_json()
    r = api.patch(
        f"/payment/payment-methods/{cus['id']}/{pm['id']}",
        json={"billing_details": {"name": "Ann"}, "metadata": {"k": "v"}},
    )
    assert r.get_json()["customer"] == cus["id"]
    assert r.get_json()["billing_details"]["name"] == "Ann"
    assert events("payment_method.attached")
    listed = api.get(f"/payment/payment-methods/all/{cus['id']}?type=card").get_json()
    assert [p["id"] for p in listed["data"]] == [pm["id"]]
    assert (
        api.get(f"/payment/payment-methods/all/{cus['id']}?type=us_bank_account").get_json()["data"]
        == []
    )
    r = api.delete(f"/payment/payment-methods/{pm['id']}")
    assert r.get_json()["customer"] is None and events("payment_method.detached")
    assert api.get(f"/payment/payment-methods/all/{cus['id']}").get_json()["data"] == []


def test_charges_list_and_retrieve(api, live_api):
    from tests.payments.conftest import intent

    declined = intent(api, payment_method="pm_card_chargeDeclined", confirm=True)
    assert declined.status_code == 402
    pi = api.get("/payment/payment-intents?limit=1").get_json()["data"][0]
    ok = api.post(
        f"/payment/payment-intents/{pi['id']}/confirm", json={"payment_method": "pm_card_visa"}
    ).get_json()
    assert ok["status"] == "succeeded"
    listed = api.get(ok["charges"]["url"]).get_json()  # the url the intent itself gives
    assert listed["object"] == "list"
    assert [c["status"] for c in listed["data"]] == ["succeeded", "failed"]
    assert {c["payment_intent"] for c in listed["data"]} == {pi["id"]}
    one = api.get(f"/payment/charges/{ok['latest_charge']}").get_json()
    assert one["object"] == "charge"
    assert one["amount_captured"] == 2000
    assert live_api.get(f"/payment/charges/{ok['latest_charge']}").status_code == 404
