"""Retries are safe and failover is honest, against the simulators over real HTTP: a 503
before authorization is tried once more with the same key and makes one transaction; an
ambiguous timeout is never retried and the status sync settles it; a bank debit whose first
gateway is down goes to the next; a card token only ever goes to the gateway that issued it."""

from __future__ import annotations

from typing import Any

import pytest

from dealerhub.payments import tasks
from tests.gateways.test_live_payments import _pm

BANK = {"routing_number": "110000000", "account_number": "000123456789"}


@pytest.fixture
def settle_later(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Hold back the settle job so a test sees the intent in processing."""
    queued: list[str] = []
    monkeypatch.setattr(
        tasks.settle_payment, "apply_async", lambda args, **_k: queued.append(args[0])
    )
    return queued


def _sale(api: Any, pm: dict[str, Any], amount: int = 4200) -> Any:
    return api.post(
        "/payment/payment-intents",
        json={
            "amount": amount,
            "currency": "usd",
            "payment_method": pm["id"],
            "payment_method_types": [pm["type"]],
            "confirm": True,
        },
    )


def test_a_503_before_authorization_is_retried_once_with_the_same_key(gateway_of, live_api):
    sim = gateway_of("bluedog")
    pm = _pm(live_api, sim, "4111111111111111")
    sim.control("faults", {"faults": [{"status": 503}]})
    r = _sale(live_api, pm)
    assert r.status_code == 200, r.get_data(as_text=True)
    pi = r.get_json()
    assert pi["status"] == "succeeded" and len(pi["charges"]["data"]) == 1
    assert len(sim.transactions()) == 1  # the retry did not charge twice


def test_a_gateway_down_twice_is_a_502_that_keeps_the_attempt(gateway_of, live_api):
    sim = gateway_of("bluedog")
    pm = _pm(live_api, sim, "4111111111111111")
    sim.control("faults", {"faults": [{"status": 503}, {"status": 503}]})
    r = _sale(live_api, pm)
    assert r.status_code == 502 and r.get_json()["error"]["retryable"] is True
    assert sim.transactions() == []
    pi_id = live_api.get("/payment/payment-intents").get_json()["data"][0]["id"]
    pi = live_api.get(f"/payment/payment-intents/{pi_id}").get_json()
    assert pi["charges"]["data"][0]["status"] == "failed"  # on record, not rolled back


@pytest.mark.parametrize("name", ["bluedog", "acceptblue", "forward", "hubcash"])
def test_an_ambiguous_timeout_is_not_retried_and_the_sync_settles_it(
    name, gateway_of, live_api, swap_connectors, settle_later
):
    swap_connectors(gateway_timeout=(2.0, 0.5))
    sim = gateway_of(name)
    pm = _pm(live_api, sim, "4111111111111111" if name != "forward" else "4242424242424242")
    sim.control("faults", {"faults": [{"delay": 1.5}]})
    currency, amount = ("brl", 20000) if name == "hubcash" else ("usd", 4200)
    r = live_api.post(
        "/payment/payment-intents",
        json={"amount": amount, "currency": currency, "payment_method": pm["id"], "confirm": True},
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    pi = r.get_json()
    assert pi["status"] == "processing"
    assert settle_later == [pi["id"]]
    assert len(sim.transactions()) == 1  # it happened at the gateway, once
    assert tasks.settle_payment(pi["id"]) == "succeeded"
    assert len(sim.transactions()) == 1  # the sync asked; it did not charge again
    charge = live_api.get(f"/payment/payment-intents/{pi['id']}").get_json()["charges"]["data"]
    assert len(charge) == 1 and charge[0]["status"] == "succeeded"


def test_a_bank_debit_falls_over_to_the_next_gateway_of_its_rule(
    gateway_of, live_api, settle_later
):
    first = gateway_of("bluedog")
    second = gateway_of("acceptblue")
    rule = {"payment_method_type": "us_bank_account", "gateways": ["bluedog", "acceptblue"]}
    r = live_api.patch("/configuration", json={"payment_routing": {"rules": [rule]}})
    assert r.status_code == 200, r.get_data(as_text=True)
    pm = live_api.post(
        "/payment/payment-methods",
        json={
            "type": "us_bank_account",
            "us_bank_account": BANK,
            "billing_details": {"name": "Jane Doe"},
        },
    ).get_json()
    first.control("faults", {"faults": [{"status": 503}, {"status": 503}]})
    r = _sale(live_api, pm)
    assert r.status_code == 200, r.get_data(as_text=True)
    pi = r.get_json()
    assert pi["status"] == "processing"
    charges = pi["charges"]["data"]
    assert [c["status"] for c in charges] == ["pending", "failed"]  # newest first
    assert first.transactions() == [] and len(second.transactions()) == 1


def test_a_card_token_only_goes_to_the_gateway_that_issued_it(gateway_of, live_api, app):
    issuer = gateway_of("bluedog")
    other = gateway_of("acceptblue")  # now the dealer's default gateway
    pm = _pm(live_api, issuer, "4111111111111111")
    r = _sale(live_api, pm)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert len(issuer.transactions()) == 1 and other.transactions() == []
    from dealerhub.payments.models import Charge

    with app.extensions["db"].transaction(write=False) as s:
        charge = s.get(Charge, r.get_json()["latest_charge"])
        assert charge is not None and charge.processor == "bluedog"


@pytest.mark.parametrize("name", ["bluedog", "acceptblue"])
@pytest.mark.parametrize("return_code", [None, "R01"])
def test_a_bank_debit_settles_or_returns_through_the_status_sync(
    name, return_code, gateway_of, live_api, settle_later
):
    sim = gateway_of(name)
    pm = live_api.post(
        "/payment/payment-methods",
        json={
            "type": "us_bank_account",
            "us_bank_account": BANK,
            "billing_details": {"name": "Jane Doe"},
        },
    ).get_json()
    pi = _sale(live_api, pm).get_json()
    assert pi["status"] == "processing" and settle_later == [pi["id"]]
    assert tasks.settle_payment(pi["id"]) == "processing"  # still pending at the gateway
    sim.control("settle", {"return_code": return_code} if return_code else {})
    if return_code is None:
        assert tasks.settle_payment(pi["id"]) == "succeeded"
        refund = live_api.post(
            "/payment/refunds", json={"payment_intent": pi["id"], "amount": 1000}
        )
        assert refund.status_code == 200, refund.get_data(as_text=True)
        assert refund.get_json()["status"] in ("pending", "succeeded")
    else:
        assert tasks.settle_payment(pi["id"]) == "requires_payment_method"
        failed = live_api.get(f"/payment/payment-intents/{pi['id']}").get_json()
        assert failed["last_payment_error"]["code"] == "R01"


def test_a_lost_refund_answer_is_never_guessed_where_the_gateway_cannot_find_it(
    gateway_of, live_api, swap_connectors
):
    swap_connectors(gateway_timeout=(2.0, 0.5))
    sim = gateway_of("hubcash")
    pm = _pm(live_api, sim, "4111111111111111")
    pi = live_api.post(
        "/payment/payment-intents",
        json={"amount": 20000, "currency": "brl", "payment_method": pm["id"], "confirm": True},
    ).get_json()
    assert pi["status"] == "succeeded"
    sim.control("settle")
    sim.control("faults", {"faults": [{"delay": 1.5}]})  # the cancel happens; its answer is late
    r = live_api.post("/payment/refunds", json={"payment_intent": pi["id"]})
    assert r.status_code == 200, r.get_data(as_text=True)
    refund = r.get_json()
    # Hubcash cannot look a refund up by our id: pending, not failed (which would invite a
    # second refund of money already returned), and the sweep leaves it so.
    assert refund["status"] == "pending"
    assert tasks.settle_refund(refund["id"]) == "pending"
    assert [t["Status"] for t in sim.transactions()] == [6]  # canceled at the gateway


def test_a_process_that_dies_after_the_gateway_charged_leaves_a_record_the_sweep_settles(
    gateway_of, live_api, monkeypatch, settle_later
):
    from dealerhub.payments import attempts, intents

    sim = gateway_of("bluedog")
    pm = _pm(live_api, sim, "4111111111111111")
    pi = live_api.post(
        "/payment/payment-intents",
        json={"amount": 4200, "currency": "usd", "payment_method": pm["id"]},
    ).get_json()
    real = attempts.authorize

    def charged_then_died(processor, request):  # type: ignore[no-untyped-def]
        real(processor, request)
        raise RuntimeError("the web worker was killed here")

    monkeypatch.setattr(attempts, "authorize", charged_then_died)
    r = live_api.post(f"/payment/payment-intents/{pi['id']}/confirm", json={})
    assert r.status_code == 500
    monkeypatch.setattr(attempts, "authorize", real)

    # The attempt was committed before the call: the hub knows what the gateway did.
    after = live_api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert after["status"] == "processing" and len(sim.transactions()) == 1
    assert after["charges"]["data"][0]["status"] == "pending"
    # A retried confirm cannot charge again.
    again = live_api.post(f"/payment/payment-intents/{pi['id']}/confirm", json={})
    assert again.status_code == 400 and len(sim.transactions()) == 1
    # The sweep leaves an attempt that may still be in flight alone, then asks the gateway.
    assert tasks.settle_payment(pi["id"]) == "processing"
    later = intents.now() + intents.IN_FLIGHT_SECONDS + 1
    monkeypatch.setattr(intents, "now", lambda: later)
    assert tasks.settle_payment(pi["id"]) == "succeeded"
    assert len(sim.transactions()) == 1
