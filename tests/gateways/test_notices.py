"""A gateway's notice reaches the charge it concerns: the simulator POSTs it to the hub (served
over real HTTP), the dealer's connector verifies it (accept.blue's signature; Hubcash's notice
read back through its API), and the settle job asks the gateway how the payment ended."""

from __future__ import annotations

from typing import Any

import requests

from dealerhub.simulators import acceptblue, hubcash
from dealerhub.simulators.server import serving
from tests.gateways.conftest import GATEWAY_SETUPS
from tests.gateways.test_retries import BANK, _sale, settle_later

__all__ = ["settle_later"]


def _configure(live_api: Any, name: str, url: str) -> Any:
    credentials, tokenize = GATEWAY_SETUPS[name](url)
    block = {"environment": "production", "api_url": url, **credentials}
    body = {"payment_gateways": {name: block}, "payment_routing": {"default": name}}
    r = live_api.post("/configuration", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)
    return tokenize


def _intent(live_api: Any, pi_id: str) -> dict[str, Any]:
    pi: dict[str, Any] = live_api.get(f"/payment/payment-intents/{pi_id}").get_json()
    return pi


def test_a_signed_acceptblue_notice_settles_a_bank_debit(app, live_api, dealer, settle_later):
    with serving(app) as hub:
        notices = f"{hub}/payment/webhooks?processor=acceptblue&account={dealer.id}"
        sim_app = acceptblue.create_app(webhook_url=notices, webhook_secret="sim_signature")
        with serving(sim_app) as url:
            _configure(live_api, "acceptblue", url)
            pm = live_api.post(
                "/payment/payment-methods",
                json={
                    "type": "us_bank_account",
                    "us_bank_account": BANK,
                    "billing_details": {"name": "Jane Doe"},
                },
            ).get_json()
            pi = _sale(live_api, pm).get_json()
            assert pi["status"] == "processing"

            # A forged notice is refused and changes nothing.
            forged = requests.post(
                notices,
                data=b'{"id": "x", "event": "settled"}',
                headers={"X-Signature": "00"},
                timeout=10,
            )
            assert forged.status_code == 400
            assert forged.json()["error"]["code"] == "signature_invalid"
            assert _intent(live_api, pi["id"])["status"] == "processing"

            settled = requests.post(f"{url}/__simulator__/settle", json={}, timeout=30)
            assert settled.status_code == 200
    after = _intent(live_api, pi["id"])
    assert after["status"] == "succeeded" and after["amount_received"] == 4200


def test_a_returned_acceptblue_debit_fails_the_payment(app, live_api, dealer, settle_later):
    with serving(app) as hub:
        notices = f"{hub}/payment/webhooks?processor=acceptblue&account={dealer.id}"
        with serving(acceptblue.create_app(webhook_url=notices, webhook_secret="sim_sig")) as url:
            _configure(live_api, "acceptblue", url)
            pm = live_api.post(
                "/payment/payment-methods",
                json={
                    "type": "us_bank_account",
                    "us_bank_account": BANK,
                    "billing_details": {"name": "Jane Doe"},
                },
            ).get_json()
            pi = _sale(live_api, pm).get_json()
            requests.post(f"{url}/__simulator__/settle", json={"return_code": "R01"}, timeout=30)
    after = _intent(live_api, pi["id"])
    assert after["status"] == "requires_payment_method"
    assert after["last_payment_error"]["code"] == "R01"


def test_a_hubcash_notice_is_read_back_and_settles_a_sale_under_analysis(
    app, live_api, dealer, settle_later
):
    with serving(app) as hub:
        notices = f"{hub}/payment/webhooks?processor=hubcash&account={dealer.id}"
        with serving(hubcash.create_app(webhook_url=notices)) as url:
            tokenize = _configure(live_api, "hubcash", url)
            pm = live_api.post(
                "/payment/payment-methods",
                json={"type": "card", "card": {"token": tokenize("4111111111111111")}},
            ).get_json()
            r = live_api.post(
                "/payment/payment-intents",
                json={
                    "amount": 10002,
                    "currency": "brl",
                    "payment_method": pm["id"],
                    "confirm": True,
                },
            )
            pi = r.get_json()
            assert pi["status"] == "processing", pi  # Hubcash status 2, "Analyzing"
            # A notice Hubcash never sent (unknown id) is refused.
            forged = requests.post(
                notices, json={"Id": "ntf_forged", "SaleId": "x", "Status": 1}, timeout=10
            )
            assert forged.status_code == 400
            requests.post(f"{url}/__simulator__/settle", json={}, timeout=30)
    after = _intent(live_api, pi["id"])
    assert after["status"] == "succeeded"
