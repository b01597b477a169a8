"""Amount invariants under concurrency: threads with their own sessions (service calls) and
through the HTTP stack; exactly the allowed amount moves, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from dealerhub.errors import DealerhubError
from dealerhub.payments import intents, refunds
from dealerhub.payments.common import PaymentsConfig
from dealerhub.tenancy import Tenant
from tests.conftest import Api
from tests.payments.conftest import intent


def _race(n, fn):
    barrier = threading.Barrier(n)
    results: list[object] = []
    lock = threading.Lock()

    def run(i):
        barrier.wait()
        try:
            out = fn(i)
        except DealerhubError as exc:
            out = exc
        with lock:
            results.append(out)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_captures_move_money_once(app, api, dealer):
    pi = intent(
        api, amount=1000, payment_method="pm_card_visa", confirm=True, capture_method="manual"
    ).get_json()
    db = app.extensions["db"]
    tenant = Tenant(dealer.id, False)

    def capture(i):
        with db.transaction() as s:
            return intents.capture_intent(
                s,
                tenant,
                pi["id"],
                600 + i,
                processors=app.extensions["connectors"].processors_for(s),
            ).amount_received

    results = _race(8, capture)
    ok = [r for r in results if isinstance(r, int)]
    assert len(ok) == 1
    final = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert final["amount_received"] == ok[0]
    assert final["charges"]["data"][0]["amount_captured"] == ok[0]


def test_concurrent_refunds_never_exceed_received(app, api, dealer):
    pi = intent(api, amount=1000, payment_method="pm_card_visa", confirm=True).get_json()
    db = app.extensions["db"]
    tenant = Tenant(dealer.id, False)

    def refund(_i):
        with db.transaction() as s:
            return refunds.create_refund(
                s,
                tenant,
                {"payment_intent": pi["id"], "amount": 300},
                processors=app.extensions["connectors"].processors_for(s),
            ).amount

    results = _race(10, refund)
    assert sum(r for r in results if isinstance(r, int)) == 900
    listed = api.get(f"/payment/refunds?payment_intent={pi['id']}&limit=100").get_json()
    assert sum(r["amount"] for r in listed["data"]) == 900


def test_concurrent_confirms_through_http_charge_once(app, api, dealer):
    pi = intent(api, amount=1500, payment_method="pm_card_visa").get_json()

    def confirm(_i):
        client = Api(app.test_client(), dealer.secret_key)
        return client.post(f"/payment/payment-intents/{pi['id']}/confirm", json={}).status_code

    statuses = _race(6, confirm)
    assert sorted(statuses) == [200] + [400] * 5
    final = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert final["amount_received"] == 1500 and len(final["charges"]["data"]) == 1


def test_concurrent_http_refunds(app, api, dealer):
    pi = intent(api, amount=1000, payment_method="pm_card_visa", confirm=True).get_json()

    def refund(_i):
        client = Api(app.test_client(), dealer.secret_key)
        return client.post("/payment/refunds", json={"payment_intent": pi["id"], "amount": 400})

    results = _race(6, refund)
    assert sorted(r.status_code for r in results) == [200, 200, 400, 400, 400, 400]


def test_config_is_usable_directly():
    cfg = PaymentsConfig(secret_key=b"k")
    assert cfg.fingerprint(Tenant("d", False), "4242424242424242") != cfg.fingerprint(
        Tenant("e", False), "4242424242424242"
    )
