"""Processor webhooks settle bank debits and refunds through POST /payment/webhooks."""

from __future__ import annotations

import json
import uuid

import pytest

from dealerhub.connectors.processors.sandbox import SANDBOX_DEFAULT_SECRET
from dealerhub.webhooks import sign_header
from tests.payments.conftest import intent
from tests.payments.test_setup_bank_accounts import _bank_pm


@pytest.fixture
def no_background_settle(monkeypatch):
    """Leave bank debits and refunds pending: only the webhook may move them on."""
    from dealerhub.payments import tasks

    monkeypatch.setattr(tasks.settle_payment, "apply_async", lambda *a, **k: None)
    monkeypatch.setattr(tasks.settle_refund, "apply_async", lambda *a, **k: None)


def _notify(client, dealer, type_: str, reference: str):
    raw = json.dumps(
        {
            "id": f"evt_sbx_{uuid.uuid4().hex}",
            "type": type_,
            "livemode": False,
            "account": dealer.id,
            "data": {"object": {"reference": reference}},
        }
    ).encode()
    headers = {"Dealerhub-Signature": sign_header(raw, [SANDBOX_DEFAULT_SECRET])}
    response = client.post("/payment/webhooks?processor=sandbox", data=raw, headers=headers)
    assert response.status_code == 200, response.get_json()
    return raw, headers


def _reference(db, model, object_id):
    with db.transaction() as session:
        return session.get(model, object_id).processor_reference


def test_bank_debit_settles_on_the_processor_webhook(api, client, db, dealer, no_background_settle):
    from dealerhub.payments.models import Charge, Refund

    pm = _bank_pm(api)
    pi = intent(
        api, payment_method=pm["id"], payment_method_types=["us_bank_account"], confirm=True
    ).get_json()
    assert pi["status"] == "processing"
    ref = _reference(db, Charge, pi["latest_charge"])
    raw, headers = _notify(client, dealer, "charge.settled", ref)
    pi = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert pi["status"] == "succeeded"
    assert pi["amount_received"] == 2000
    # The same notice again is acknowledged and changes nothing.
    again = client.post("/payment/webhooks?processor=sandbox", data=raw, headers=headers)
    assert again.status_code == 200
    assert api.get(f"/payment/payment-intents/{pi['id']}").get_json()["status"] == "succeeded"

    refund = api.post("/payment/refunds", json={"payment_intent": pi["id"], "amount": 500})
    refund = refund.get_json()
    assert refund["status"] == "pending"
    _notify(client, dealer, "refund.settled", _reference(db, Refund, refund["id"]))
    assert api.get(f"/payment/refunds/{refund['id']}").get_json()["status"] == "succeeded"


def test_bank_return_fails_the_intent_on_the_webhook(api, client, db, dealer, no_background_settle):
    from dealerhub.payments.models import Charge

    pm = _bank_pm(api, "sandbox_checking_r01")
    pi = intent(
        api, payment_method=pm["id"], payment_method_types=["us_bank_account"], confirm=True
    ).get_json()
    assert pi["status"] == "processing"
    _notify(client, dealer, "charge.returned", _reference(db, Charge, pi["latest_charge"]))
    pi = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert pi["status"] == "requires_payment_method"
    assert pi["last_payment_error"]["code"] == "R01"


def test_a_notice_for_another_dealer_changes_nothing(
    app, api, client, db, dealer, no_background_settle
):
    from dealerhub.payments.models import Charge
    from tests.conftest import make_dealer

    pm = _bank_pm(api)
    pi = intent(
        api, payment_method=pm["id"], payment_method_types=["us_bank_account"], confirm=True
    ).get_json()
    other = make_dealer(app, "Other")
    _notify(client, other, "charge.settled", _reference(db, Charge, pi["latest_charge"]))
    assert api.get(f"/payment/payment-intents/{pi['id']}").get_json()["status"] == "processing"
