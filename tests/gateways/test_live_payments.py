"""One live-mode journey per gateway, through the API, against the gateway's simulator over
real HTTP: configure → tokenizer → payment method from the gateway's token → authorize →
capture (partial where the gateway can) → settle → refund (partial where it can) → void of a
second authorization → a decline with its mapped decline_code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Api, assert_error


@dataclass(frozen=True)
class Journey:
    gateway: str
    currency: str
    amount: int
    capture: int  # what is captured of ``amount``
    refund: int  # what is refunded of ``capture``
    approved_card: str
    declined: tuple[str, int, str]  # card, amount, decline_code


JOURNEYS = [
    Journey(
        "bluedog",
        "usd",
        10000,
        6000,
        2500,
        "4111111111111111",
        ("4000000000009995", 2000, "insufficient_funds"),
    ),
    Journey(
        "acceptblue",
        "usd",
        10000,
        6000,
        2500,
        "4111111111111111",
        ("4000000000009995", 2000, "insufficient_funds"),
    ),
    Journey(
        "forward",
        "usd",
        10000,
        6000,
        2500,
        "4242424242424242",
        ("4112912498587255", 2000, "insufficient_funds"),
    ),
    # Hubcash captures and cancels whole sales only, in reais.
    Journey(
        "hubcash",
        "brl",
        20000,
        20000,
        20000,
        "4111111111111111",
        ("4111111111111111", 10051, "insufficient_funds"),
    ),
]


def _pm(api: Api, sim: Any, number: str) -> dict[str, Any]:
    r = api.post(
        "/payment/payment-methods",
        json={"type": "card", "card": {"token": sim.tokenize(number)}, "processor": sim.name},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    pm: dict[str, Any] = r.get_json()
    return pm


def _intent(api: Api, journey: Journey, pm: dict[str, Any], amount: int, **extra: Any) -> Any:
    return api.post(
        "/payment/payment-intents",
        json={
            "amount": amount,
            "currency": journey.currency,
            "payment_method": pm["id"],
            "confirm": True,
            **extra,
        },
    )


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda j: j.gateway)
def test_a_live_payment_journey(journey: Journey, gateway_of, live_api, client, dealer):
    sim = gateway_of(journey.gateway)
    conf = live_api.get("/configuration").get_json()["payment_gateways"][journey.gateway]
    secret = next(iter(k for k in ("api_key", "token", "source_key") if k in conf))
    assert conf[secret] == "********"  # masked on the way out

    tokenizer = Api(client, dealer.live_publishable_key).get(
        "/payment/payment-methods/tokenizer?type=card"
    )
    assert tokenizer.status_code == 200 and tokenizer.get_json()["processor"] == journey.gateway

    # Raw card numbers never reach live mode.
    raw = live_api.post(
        "/payment/payment-methods",
        json={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 1, "exp_year": 2034},
        },
    )
    assert_error(raw, 400, "invalid_request_error")

    # Authorize, capture (partially where the gateway can), settle, refund.
    pm = _pm(live_api, sim, journey.approved_card)
    r = _intent(live_api, journey, pm, journey.amount, capture_method="manual")
    assert r.status_code == 200, r.get_data(as_text=True)
    pi = r.get_json()
    assert pi["status"] == "requires_capture" and pi["livemode"] is True
    charge = pi["charges"]["data"][0]
    assert charge["status"] == "succeeded"
    r = live_api.post(
        f"/payment/payment-intents/{pi['id']}/capture", json={"amount_to_capture": journey.capture}
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["status"] == "succeeded"
    assert r.get_json()["amount_received"] == journey.capture
    sim.control("settle")
    r = live_api.post(
        "/payment/refunds", json={"payment_intent": pi["id"], "amount": journey.refund}
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["status"] in ("succeeded", "pending")
    assert r.get_json()["amount"] == journey.refund

    # A second authorization, voided.
    other = _intent(
        live_api,
        journey,
        _pm(live_api, sim, journey.approved_card),
        journey.amount,
        capture_method="manual",
    ).get_json()
    r = live_api.delete(f"/payment/payment-intents/{other['id']}/cancel")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["status"] == "canceled"

    # A decline is a 402 with Stripe's decline code.
    card, amount, code = journey.declined
    declined = _intent(live_api, journey, _pm(live_api, sim, card), amount)
    body = assert_error(declined, 402, "card_error")
    assert body["decline_code"] == code

    # Every call went to this gateway, and the gateway holds what the hub says it does.
    assert len(sim.transactions()) >= 3


def test_partial_capture_is_refused_before_any_call_where_the_gateway_cannot(gateway_of, live_api):
    sim = gateway_of("hubcash")
    pm = _pm(live_api, sim, "4111111111111111")
    journey = JOURNEYS[-1]
    pi = _intent(live_api, journey, pm, 20000, capture_method="manual").get_json()
    before = sim.transactions()
    r = live_api.post(
        f"/payment/payment-intents/{pi['id']}/capture", json={"amount_to_capture": 5000}
    )
    body = assert_error(r, 400, "invalid_request_error", "flow_not_supported")
    assert "hubcash" in body["message"]
    assert sim.transactions() == before


def test_a_partial_approval_counts_for_what_the_gateway_approved(gateway_of, live_api):
    sim = gateway_of("forward")
    pm = _pm(live_api, sim, "4242424242424242")
    r = _intent(live_api, JOURNEYS[2], pm, 5150)  # the simulator approves 5000 of 5150
    assert r.status_code == 200, r.get_data(as_text=True)
    pi = r.get_json()
    assert pi["status"] == "succeeded" and pi["amount_received"] == 5000
    assert pi["charges"]["data"][0]["amount_captured"] == 5000
