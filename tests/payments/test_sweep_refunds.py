"""A pending refund whose settle message was lost is resolved by the periodic sweep (issue
16: it used to stay pending for good)."""

from __future__ import annotations

from dealerhub import db as dbmod
from dealerhub.payments import tasks
from tests.payments.conftest import intent


def test_sweep_settles_a_pending_refund_whose_message_was_lost(api, monkeypatch):
    pi = intent(api, amount=2000, payment_method="pm_card_refundFail", confirm=True).get_json()
    lost: list[object] = []
    monkeypatch.setattr(tasks.settle_refund, "apply_async", lambda *a, **k: lost.append(a))
    r = api.post("/payment/refunds", json={"payment_intent": pi["id"], "amount": 300}).get_json()
    assert r["status"] == "pending" and lost  # the settle message never reached a worker
    monkeypatch.undo()
    tasks.sweep_processing()  # younger than a minute: its message may still be queued
    assert api.get(f"/payment/refunds/{r['id']}").get_json()["status"] == "pending"
    later = dbmod.now() + 120
    monkeypatch.setattr(tasks, "now", lambda: later)
    assert tasks.sweep_processing() >= 1
    r = api.get(f"/payment/refunds/{r['id']}").get_json()
    assert r["status"] == "failed" and r["failure_reason"] == "expired_or_canceled_card"
