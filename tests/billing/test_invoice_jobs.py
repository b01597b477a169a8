"""The periodic jobs: auto_advance drafts finalized an hour after creation, and invoices
paid once their PaymentIntent succeeds after the request (3-D Secure completed later)."""

from __future__ import annotations

from dealerhub.billing import tasks
from tests.billing.conftest import customer, draft, ok


def test_auto_advance_drafts_are_finalized_after_an_hour(api, monkeypatch, events):
    cus = customer(api, email=None)
    auto = draft(api, cus["id"], auto_advance=True, default_payment_method="pm_card_visa")
    manual = draft(api, cus["id"])
    tasks.auto_advance_drafts()
    assert ok(api.get(f"/payment/invoices/{auto['id']}"))["status"] == "draft"  # too soon
    later = auto["created"] + 3601
    monkeypatch.setattr(tasks, "now", lambda: later)
    assert tasks.auto_advance_drafts() >= 1
    paid = ok(api.get(f"/payment/invoices/{auto['id']}"))
    assert paid["status"] == "paid" and paid["number"] == "TEST-0001"
    assert ok(api.get(f"/payment/invoices/{manual['id']}"))["status"] == "draft"
    tasks.auto_advance_drafts()  # again: nothing happens twice
    assert len(events("invoice.finalized")) == 1


def test_a_payment_finished_later_pays_the_invoice(api, client, events):
    inv = draft(api, customer(api)["id"])
    opened = ok(
        api.post(
            f"/payment/invoices/{inv['id']}/pay",
            json={"payment_method": "pm_card_authenticationRequired"},
        )
    )
    assert opened["status"] == "open" and opened["payment_intent"]
    pi = ok(api.get(f"/payment/payment-intents/{opened['payment_intent']}"))
    assert pi["status"] == "requires_action"
    # A second payment while the first awaits authentication is refused, nothing charged.
    body = api.post(f"/payment/invoices/{inv['id']}/pay", json={"payment_method": "pm_card_visa"})
    assert (
        body.status_code == 400
        and body.get_json()["error"]["code"] == "invoice_payment_in_progress"
    )
    done = client.post(
        f"/payment/sandbox/3ds/{pi['id']}",
        json={"outcome": "complete", "client_secret": pi["client_secret"]},
    )
    assert done.status_code == 200
    assert ok(api.get(f"/payment/payment-intents/{pi['id']}"))["status"] == "succeeded"
    assert tasks.sync_payments() >= 1
    paid = ok(api.get(f"/payment/invoices/{inv['id']}"))
    assert paid["status"] == "paid" and paid["amount_paid"] == 49900
    assert len(events("invoice.paid")) == 1
    tasks.sync_payments()
    assert len(events("invoice.paid")) == 1  # idempotent
