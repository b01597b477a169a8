from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tests.payments.conftest import intent


def _customer(api):
    return api.post("/payment/customers", json={"name": "S"}).get_json()["id"]


def test_setup_intent_success_attaches(api, events):
    cus = _customer(api)
    si = api.post(
        "/payment/setup-intents", json={"customer": cus, "payment_method": "pm_card_visa"}
    ).get_json()
    assert si["status"] == "requires_confirmation"
    assert si["client_secret"].startswith(si["id"] + "_secret_") and si["id"].startswith("seti_")
    si = api.post(f"/payment/setup-intents/{si['id']}/confirm", json={}).get_json()
    assert si["status"] == "succeeded" and si["usage"] == "off_session"
    pms = api.get(f"/payment/payment-methods/all/{cus}").get_json()["data"]
    assert [p["id"] for p in pms] == [si["payment_method"]]
    assert events("setup_intent.created") and events("setup_intent.succeeded")


def test_setup_intent_decline(api, events):
    cus = _customer(api)
    r = api.post(
        "/payment/setup-intents",
        json={"customer": cus, "confirm": True, "payment_method": "pm_card_chargeDeclined"},
    )
    body = assert_error(r, 402, "card_error", "card_declined")
    si = api.get(f"/payment/setup-intents/{body['setup_intent']['id']}").get_json()
    assert si["status"] == "requires_payment_method" and si["last_setup_error"]
    assert events("setup_intent.setup_failed")


def test_setup_intent_3ds_then_off_session_payment(api, client, events):
    cus = _customer(api)
    si = api.post(
        "/payment/setup-intents",
        json={
            "customer": cus,
            "confirm": True,
            "payment_method": "pm_card_authenticationRequiredOnSetup",
        },
    ).get_json()
    assert si["status"] == "requires_action" and events("setup_intent.requires_action")
    url = si["next_action"]["redirect_to_url"]["url"].split("127.0.0.1:8000")[1]
    secret = url.split("client_secret=")[1]
    client.post(url.split("?")[0], json={"outcome": "complete", "client_secret": secret})
    si = api.get(f"/payment/setup-intents/{si['id']}").get_json()
    assert si["status"] == "succeeded"
    # The card set up for off-session use pays off-session without authentication...
    pi = intent(
        api, customer=cus, payment_method=si["payment_method"], confirm=True, off_session=True
    ).get_json()
    assert pi["status"] == "succeeded"
    # ...but on-session it still asks for 3-D Secure.
    pi = intent(api, customer=cus, payment_method=si["payment_method"], confirm=True).get_json()
    assert pi["status"] == "requires_action"


def test_setup_intent_3ds_fail_and_cancel_rules(api, client, pk_api):
    si = api.post(
        "/payment/setup-intents",
        json={"confirm": True, "payment_method": "pm_card_authenticationRequired"},
    ).get_json()
    url = si["next_action"]["redirect_to_url"]["url"].split("127.0.0.1:8000")[1]
    client.post(
        url.split("?")[0], json={"outcome": "fail", "client_secret": url.split("client_secret=")[1]}
    )
    si2 = pk_api.get(f"/payment/setup-intents/{si['id']}?client_secret={si['client_secret']}")
    assert si2.get_json()["status"] == "requires_payment_method"
    assert_error(pk_api.get(f"/payment/setup-intents/{si['id']}"), 404, "invalid_request_error")
    c = api.post(
        f"/payment/setup-intents/{si['id']}/cancel", json={"cancellation_reason": "abandoned"}
    ).get_json()
    assert c["status"] == "canceled"
    ok = api.post(
        "/payment/setup-intents", json={"confirm": True, "payment_method": "pm_card_visa"}
    ).get_json()
    err = assert_error(
        api.post(f"/payment/setup-intents/{ok['id']}/cancel", json={}),
        400,
        "invalid_request_error",
        "setup_intent_unexpected_state",
    )
    assert "succeeded" in err["message"]


def test_setup_intent_publishable_confirm(api, pk_api):
    si = api.post("/payment/setup-intents", json={}).get_json()
    assert_error(
        pk_api.post(
            f"/payment/setup-intents/{si['id']}/confirm", json={"payment_method": "pm_card_visa"}
        ),
        404,
        "invalid_request_error",
    )
    r = pk_api.post(
        f"/payment/setup-intents/{si['id']}/confirm",
        json={"payment_method": "pm_card_visa", "client_secret": si["client_secret"]},
    )
    assert r.get_json()["status"] == "succeeded"


def _bank_pm(api, account_id="sandbox_checking"):
    link = api.post("/payment/link/token", json={}).get_json()
    assert link["link_token"].startswith("link-sandbox-") and link["expiration"].endswith("Z")
    pub = api.post("/payment/link/sandbox/public-token", json={}).get_json()
    assert pub["public_token"].startswith("public-sandbox-")
    r = api.post(
        "/payment/bank-accounts",
        json={"public_token": pub["public_token"], "account_id": account_id},
    )
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_bank_debit_processing_then_settles(api, events):
    pm = _bank_pm(api)
    assert pm["type"] == "us_bank_account" and pm["us_bank_account"]["last4"] == "6789"
    pi = intent(
        api, payment_method=pm["id"], payment_method_types=["us_bank_account"], confirm=True
    ).get_json()
    assert pi["status"] == "processing" and events("payment_intent.processing")
    pi = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert pi["status"] == "succeeded" and pi["amount_received"] == 2000
    # A refund of a bank debit is pending first, then settles.
    r = api.post("/payment/refunds", json={"payment_intent": pi["id"], "amount": 100}).get_json()
    assert r["status"] == "pending"
    assert api.get(f"/payment/refunds/{r['id']}").get_json()["status"] == "succeeded"


@pytest.mark.parametrize(
    ("account", "code"), [("sandbox_checking_r01", "R01"), ("sandbox_checking_r02", "R02")]
)
def test_bank_debit_returns(api, events, account, code):
    pm = _bank_pm(api, account)
    pi = intent(
        api, payment_method=pm["id"], payment_method_types=["us_bank_account"], confirm=True
    ).get_json()
    pi = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert pi["status"] == "requires_payment_method"
    assert pi["last_payment_error"]["code"] == code
    assert events("payment_intent.payment_failed")


def test_bank_account_bad_tokens(api, live_api):
    err = assert_error(
        api.post(
            "/payment/bank-accounts",
            json={"public_token": "public-production-x", "account_id": "sandbox_checking"},
        ),
        400,
        "invalid_request_error",
    )
    assert err["param"] == "public_token"
    pub = api.post("/payment/link/sandbox/public-token", json={}).get_json()["public_token"]
    err = assert_error(
        api.post("/payment/bank-accounts", json={"public_token": pub, "account_id": "nope"}),
        400,
        "invalid_request_error",
    )
    assert err["param"] == "account_id"
    assert_error(
        live_api.post("/payment/link/sandbox/public-token", json={}), 400, "invalid_request_error"
    )
    assert (
        live_api.post("/payment/link/token", json={})
        .get_json()["link_token"]
        .startswith("link-production-")
    )


def test_card_pm_rejected_when_not_in_types(api):
    err = assert_error(
        intent(api, payment_method="pm_card_visa", payment_method_types=["us_bank_account"]),
        400,
        "invalid_request_error",
    )
    assert err["param"] == "payment_method"


def test_connected_accounts_and_on_behalf_of(api):
    acct = api.post("/payment/accounts", json={"email": "store@example.com"}).get_json()
    assert acct["id"].startswith("acct_") and acct["charges_enabled"] is False
    assert "external_account" in acct["requirements"]["currently_due"]
    err = assert_error(intent(api, on_behalf_of=acct["id"]), 400, "invalid_request_error")
    assert err["param"] == "on_behalf_of"
    full = api.post(
        "/payment/accounts",
        json={
            "business_profile": {"name": "Main St Toyota", "mcc": "5511"},
            "company": {"name": "Main St Toyota LLC", "tax_id": "12-3456789"},
            "external_account": {"routing_number": "110000000", "account_number": "000123456789"},
            "tos_acceptance": {"date": 1700000000, "ip": "127.0.0.1"},
        },
    ).get_json()
    assert full["charges_enabled"] and full["payouts_enabled"] and full["details_submitted"]
    assert full["external_accounts"]["data"][0]["last4"] == "6789"
    assert "12-3456789" not in str(full) and "000123456789" not in str(full)
    assert api.get(f"/payment/accounts/{full['id']}").get_json()["id"] == full["id"]
    pi = intent(api, on_behalf_of=full["id"]).get_json()
    assert pi["on_behalf_of"] == full["id"]


def test_uncaptured_intents_are_canceled_after_seven_days(app, api, events, monkeypatch):
    from dealerhub.payments import tasks

    pi = intent(
        api, payment_method="pm_card_visa", confirm=True, capture_method="manual"
    ).get_json()
    fresh = intent(
        api, payment_method="pm_card_visa", confirm=True, capture_method="manual"
    ).get_json()
    from sqlalchemy import update

    from dealerhub.payments.models import PaymentIntent

    with app.extensions["db"].transaction() as s:
        s.execute(
            update(PaymentIntent)
            .where(PaymentIntent.id == pi["id"])
            .values(authorized_at=PaymentIntent.authorized_at - 7 * 86400 - 1)
        )
    assert tasks.expire_uncaptured() >= 1
    pi = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert pi["status"] == "canceled" and pi["cancellation_reason"] == "automatic"
    assert (
        api.get(f"/payment/payment-intents/{fresh['id']}").get_json()["status"]
        == "requires_capture"
    )
    assert "payments-expire-uncaptured" in app.extensions["celery"].conf.beat_schedule


def test_a_sandbox_public_token_is_this_dealers_and_cannot_be_made_up(
    api, app, client, monkeypatch
):
    from dealerhub.payments import accounts
    from tests.conftest import Api, make_dealer

    other = Api(client, make_dealer(app, "Other Motors").secret_key)
    theirs = other.post("/payment/link/sandbox/public-token", json={}).get_json()["public_token"]
    for token in (theirs, "public-sandbox-anything", "public-sandbox-99999999999-ab-cd"):
        r = api.post(
            "/payment/bank-accounts", json={"public_token": token, "account_id": "sandbox_checking"}
        )
        assert_error(r, 400, "invalid_request_error", "invalid_public_token")
    mine = api.post("/payment/link/sandbox/public-token", json={}).get_json()["public_token"]
    later = accounts.time.time() + accounts.PUBLIC_TOKEN_MINUTES * 60 + 1
    monkeypatch.setattr(accounts.time, "time", lambda: later)
    r = api.post(
        "/payment/bank-accounts", json={"public_token": mine, "account_id": "sandbox_checking"}
    )
    assert_error(r, 400, "invalid_request_error", "invalid_public_token")  # expired
