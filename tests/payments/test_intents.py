"""Every transition of the PaymentIntent table in stripe-semantics.md §1.3."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tests.payments.conftest import intent


def test_create_without_pm_requires_payment_method(api, events):
    r = intent(api)
    assert r.status_code == 200, r.get_json()
    pi = r.get_json()
    assert pi["status"] == "requires_payment_method"
    assert pi["client_secret"].startswith(pi["id"] + "_secret_")
    assert pi["charges"] == {
        "object": "list",
        "data": [],
        "has_more": False,
        "url": f"/payment/charges?payment_intent={pi['id']}",
    }
    for field in (
        "amount_capturable",
        "amount_received",
        "application",
        "canceled_at",
        "cancellation_reason",
        "invoice",
        "on_behalf_of",
        "payment_method_options",
        "review",
        "setup_future_usage",
        "shipping",
        "last_payment_error",
    ):
        assert field in pi
    created = events("payment_intent.created")
    assert len(created) == 1 and created[0]["object"]["client_secret"] is None


def test_create_with_pm_requires_confirmation_then_confirm_succeeds(api, events):
    pi = intent(api, payment_method="pm_card_visa").get_json()
    assert pi["status"] == "requires_confirmation"
    r = api.post(f"/payment/payment-intents/{pi['id']}/confirm", json={})
    pi = r.get_json()
    assert pi["status"] == "succeeded" and pi["amount_received"] == 2000
    (ch,) = pi["charges"]["data"]
    assert ch["id"].startswith("ch_") and ch["status"] == "succeeded"
    assert (
        ch["amount_captured"] == 2000 and ch["outcome"]["network_status"] == "approved_by_network"
    )
    assert events("payment_intent.succeeded") and events("charge.succeeded")


def test_confirm_on_create_automatic_capture(api):
    pi = intent(api, payment_method="pm_card_mastercard", confirm=True).get_json()
    assert pi["status"] == "succeeded"
    assert pi["payment_method"].startswith("pm_") and pi["payment_method"] != "pm_card_mastercard"


def test_manual_capture_full_and_partial(api, events):
    pi = intent(
        api, payment_method="pm_card_visa", confirm=True, capture_method="manual"
    ).get_json()
    assert pi["status"] == "requires_capture" and pi["amount_capturable"] == 2000
    assert events("payment_intent.amount_capturable_updated")
    body = assert_error(
        api.post(f"/payment/payment-intents/{pi['id']}/capture", json={"amount_to_capture": 2001}),
        400,
        "invalid_request_error",
    )
    assert body["param"] == "amount_to_capture"
    r = api.post(f"/payment/payment-intents/{pi['id']}/capture", json={"amount_to_capture": 1500})
    pi = r.get_json()
    assert pi["status"] == "succeeded" and pi["amount_received"] == 1500
    assert pi["amount_capturable"] == 0
    assert pi["charges"]["data"][0]["amount_captured"] == 1500
    body = assert_error(
        api.post(f"/payment/payment-intents/{pi['id']}/capture", json={}),
        400,
        "invalid_request_error",
        "payment_intent_unexpected_state",
    )
    assert "succeeded" in body["message"]


def test_capture_defaults_to_everything(api):
    pi = intent(
        api, payment_method="pm_card_amex", confirm=True, capture_method="manual"
    ).get_json()
    pi = api.post(f"/payment/payment-intents/{pi['id']}/capture", json={}).get_json()
    assert pi["amount_received"] == 2000


@pytest.mark.parametrize(
    ("pm", "code", "decline_code"),
    [
        ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_chargeDeclinedLostCard", "card_declined", "lost_card"),
        ("pm_card_chargeDeclinedStolenCard", "card_declined", "stolen_card"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
        ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"),
        ("pm_card_radarBlock", "card_declined", "fraudulent"),
        ("pm_card_chargeCustomerFail", "card_declined", "generic_decline"),
    ],
)
def test_decline_is_402_and_intent_returns_to_requires_payment_method(
    api, events, pm, code, decline_code
):
    r = intent(api, payment_method=pm, confirm=True)
    body = assert_error(r, 402, "card_error", code)
    assert body["decline_code"] == decline_code
    pi_id = body["payment_intent"]["id"]
    pi = api.get(f"/payment/payment-intents/{pi_id}").get_json()  # committed despite the 402
    assert pi["status"] == "requires_payment_method"
    assert pi["payment_method"] is None
    assert pi["last_payment_error"]["code"] == code
    assert pi["last_payment_error"]["decline_code"] == decline_code
    assert pi["charges"]["data"][0]["status"] == "failed"
    assert events("payment_intent.payment_failed") and events("charge.failed")
    # Retry with a good card works; an update clears last_payment_error.
    r = api.patch(f"/payment/payment-intents/{pi_id}", json={"description": "deposit"})
    assert r.get_json()["last_payment_error"] is None
    pi = api.post(
        f"/payment/payment-intents/{pi_id}/confirm", json={"payment_method": "pm_card_visa"}
    ).get_json()
    assert pi["status"] == "succeeded" and len(pi["charges"]["data"]) == 2


def _three_ds(client, url, outcome):
    path = url.split("127.0.0.1:8000", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and b"Complete authentication" in page.data
    secret = path.split("client_secret=")[1]
    return client.post(path.split("?")[0], data={"outcome": outcome, "client_secret": secret})


@pytest.mark.parametrize(
    "pm",
    [
        "pm_card_authenticationRequired",
        "pm_card_authenticationRequiredOnSetup",
        "pm_card_threeDSecure2Required",
        "pm_card_threeDSecureRequired",
    ],
)
def test_three_d_secure_complete(api, client, events, pm):
    pi = intent(api, payment_method=pm, confirm=True).get_json()
    assert pi["status"] == "requires_action"
    assert pi["next_action"]["type"] == "redirect_to_url"
    assert events("payment_intent.requires_action")
    assert (
        _three_ds(client, pi["next_action"]["redirect_to_url"]["url"], "complete").status_code
        == 200
    )
    pi = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert pi["status"] == "succeeded" and pi["next_action"] is None


def test_three_d_secure_complete_manual_goes_to_requires_capture(api, client):
    pi = intent(
        api, payment_method="pm_card_authenticationRequired", confirm=True, capture_method="manual"
    ).get_json()
    _three_ds(client, pi["next_action"]["redirect_to_url"]["url"], "complete")
    assert (
        api.get(f"/payment/payment-intents/{pi['id']}").get_json()["status"] == "requires_capture"
    )


def test_three_d_secure_fail(api, client, events):
    pi = intent(api, payment_method="pm_card_authenticationRequired", confirm=True).get_json()
    _three_ds(client, pi["next_action"]["redirect_to_url"]["url"], "fail")
    pi = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert pi["status"] == "requires_payment_method"
    assert pi["last_payment_error"]["code"] == "payment_intent_authentication_failure"
    assert events("payment_intent.payment_failed")


def test_three_d_secure_then_decline(api, client):
    pi = intent(
        api,
        payment_method="pm_card_authenticationRequiredChargeDeclinedInsufficientFunds",
        confirm=True,
    ).get_json()
    _three_ds(client, pi["next_action"]["redirect_to_url"]["url"], "complete")
    pi = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert pi["status"] == "requires_payment_method"
    assert pi["last_payment_error"]["decline_code"] == "insufficient_funds"


def test_three_d_secure_page_needs_the_right_secret(api, client):
    pi = intent(api, payment_method="pm_card_authenticationRequired", confirm=True).get_json()
    r = client.post(
        f"/payment/sandbox/3ds/{pi['id']}", data={"outcome": "complete", "client_secret": "nope"}
    )
    assert_error(r, 404, "invalid_request_error")
    assert api.get(f"/payment/payment-intents/{pi['id']}").get_json()["status"] == "requires_action"


@pytest.mark.parametrize("setup", ["plain", "confirmation", "action", "capture"])
def test_cancel_from_each_cancelable_status(api, events, setup):
    kw = {
        "plain": {},
        "confirmation": {"payment_method": "pm_card_visa"},
        "action": {"payment_method": "pm_card_authenticationRequired", "confirm": True},
        "capture": {"payment_method": "pm_card_visa", "confirm": True, "capture_method": "manual"},
    }[setup]
    pi = intent(api, **kw).get_json()
    r = api.delete(f"/payment/payment-intents/{pi['id']}/cancel?cancellation_reason=abandoned")
    pi = r.get_json()
    assert pi["status"] == "canceled" and pi["cancellation_reason"] == "abandoned"
    assert pi["canceled_at"] and pi["amount_capturable"] == 0
    assert events("payment_intent.canceled")


def test_cancel_reason_in_body(api):
    pi = intent(api).get_json()
    r = api.delete(
        f"/payment/payment-intents/{pi['id']}/cancel", json={"cancellation_reason": "duplicate"}
    )
    assert r.get_json()["cancellation_reason"] == "duplicate"


def test_terminal_states_reject_mutations(api):
    pi = intent(api, payment_method="pm_card_visa", confirm=True).get_json()
    for path, body in (("confirm", {}), ("capture", {})):
        err = assert_error(
            api.post(f"/payment/payment-intents/{pi['id']}/{path}", json=body),
            400,
            "invalid_request_error",
            "payment_intent_unexpected_state",
        )
        assert "succeeded" in err["message"]
    assert_error(
        api.delete(f"/payment/payment-intents/{pi['id']}/cancel"), 400, "invalid_request_error"
    )
    assert_error(
        api.patch(f"/payment/payment-intents/{pi['id']}", json={"amount": 900}),
        400,
        "invalid_request_error",
    )
    c = intent(api).get_json()
    api.delete(f"/payment/payment-intents/{c['id']}/cancel")
    err = assert_error(
        api.post(
            f"/payment/payment-intents/{c['id']}/confirm", json={"payment_method": "pm_card_visa"}
        ),
        400,
        "invalid_request_error",
    )
    assert "canceled" in err["message"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"amount": 49, "currency": "usd"}, "amount"),
        ({"amount": 100000000, "currency": "usd"}, "amount"),
        ({"amount": "12", "currency": "usd"}, "amount"),
        ({"amount": 500, "currency": "xyz"}, "currency"),
        ({"amount": 500, "currency": "usd", "capture_method": "later"}, "capture_method"),
        ({"amount": 500, "currency": "usd", "bogus": 1}, "bogus"),
        ({"amount": 500, "currency": "usd", "customer": "cus_missing"}, "customer"),
        ({"amount": 500, "currency": "usd", "payment_method": "pm_missing"}, "payment_method"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_changes_nothing(api, events, body, param):
    r = api.post("/payment/payment-intents", json=body)
    assert r.status_code in (400, 404)
    assert r.get_json()["error"]["param"] == param
    assert api.get("/payment/payment-intents").get_json()["data"] == []
    assert events() == []


def test_confirm_without_payment_method_is_400(api):
    pi = intent(api).get_json()
    err = assert_error(
        api.post(f"/payment/payment-intents/{pi['id']}/confirm", json={}),
        400,
        "invalid_request_error",
    )
    assert err["param"] == "payment_method"


def test_list_and_retrieve(api):
    ids = [intent(api).get_json()["id"] for _ in range(3)]
    listed = api.get("/payment/payment-intents?limit=2").get_json()
    assert len(listed["data"]) == 2 and listed["has_more"]
    rest = api.get(f"/payment/payment-intents?starting_after={listed['data'][1]['id']}").get_json()
    assert {p["id"] for p in listed["data"] + rest["data"]} == set(ids)
    assert rest["has_more"] is False


def test_update_amount_and_metadata_merge(api, events):
    pi = intent(api, metadata={"a": "1"}).get_json()
    pi = api.patch(
        f"/payment/payment-intents/{pi['id']}", json={"amount": 5000, "metadata": {"b": "2"}}
    ).get_json()
    assert pi["amount"] == 5000 and pi["metadata"] == {"a": "1", "b": "2"}
    assert events("payment_intent.updated")[0]["previous_attributes"]["amount"] == 2000


def test_publishable_key_client_secret_scope(api, pk_api):
    pi = intent(api).get_json()
    other = intent(api).get_json()
    url = f"/payment/payment-intents/{pi['id']}"
    assert pk_api.get(f"{url}?client_secret={pi['client_secret']}").status_code == 200
    assert_error(pk_api.get(url), 404, "invalid_request_error")
    assert_error(
        pk_api.get(f"{url}?client_secret={other['client_secret']}"), 404, "invalid_request_error"
    )
    assert_error(
        pk_api.post(f"{url}/confirm", json={"payment_method": "pm_card_visa"}),
        404,
        "invalid_request_error",
    )
    r = pk_api.post(
        f"{url}/confirm",
        json={"payment_method": "pm_card_visa", "client_secret": pi["client_secret"]},
    )
    assert r.get_json()["status"] == "succeeded"
    assert_error(pk_api.post(f"{url}/capture", json={}), 403, "permission_error")
    assert_error(pk_api.get("/payment/payment-intents"), 403, "permission_error")
    assert_error(
        pk_api.post("/payment/payment-intents", json={"amount": 500, "currency": "usd"}),
        403,
        "permission_error",
    )


def test_client_secret_and_card_number_never_logged(api, pk_api, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    pm = api.post(
        "/payment/payment-methods",
        json={
            "type": "card",
            "card": {"number": "4000000000009995", "exp_month": 1, "exp_year": 2040, "cvc": "321"},
        },
    ).get_json()
    pi = intent(api).get_json()
    pk_api.get(f"/payment/payment-intents/{pi['id']}?client_secret={pi['client_secret']}")
    pk_api.post(
        f"/payment/payment-intents/{pi['id']}/confirm",
        json={"client_secret": pi["client_secret"], "payment_method": pm["id"]},
    )
    text = caplog.text
    assert caplog.records
    assert pi["client_secret"] not in text and "4000000000009995" not in text


def test_idempotent_create(api):
    headers = {"Idempotency-Key": "dep-1"}
    a = api.post(
        "/payment/payment-intents", json={"amount": 900, "currency": "usd"}, headers=headers
    )
    b = api.post(
        "/payment/payment-intents", json={"amount": 900, "currency": "usd"}, headers=headers
    )
    assert a.get_json()["id"] == b.get_json()["id"]
    assert b.headers["Idempotent-Replayed"] == "true"
