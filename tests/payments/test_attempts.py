"""What a payment attempt does when the processor fails: a timeout after the request went
out is an unknown outcome settled later by asking the processor; a processor that did
nothing is a 502 that keeps the failed attempt on record; capture and void results count."""

from __future__ import annotations

from typing import Any

import pytest

from dealerhub.connectors.base import ConnectorOutcomeUnknown, ConnectorUnavailable
from dealerhub.connectors.processors.base import AuthorizeRequest, ProcessorResult
from dealerhub.connectors.processors.sandbox import SandboxProcessor
from dealerhub.payments import tasks
from dealerhub.payments.models import Charge
from tests.conftest import assert_error
from tests.payments.conftest import intent


class Gateway(SandboxProcessor):
    """The sandbox, made unreliable on demand. ``lose_answers`` performs the call (the
    gateway acted) and then raises as a read timeout would; ``refuse`` raises before doing
    anything, as a refused connection would. Every attempt the gateway performed is kept
    by our attempt id, which is how a real gateway finds a request sent with that key."""

    name = "sandbox"

    def __init__(self) -> None:
        super().__init__()
        self.lose_answers: set[str] = set()
        self.refuse: set[str] = set()
        self.performed: dict[str, ProcessorResult] = {}
        self.calls: list[str] = []

    def _gate(self, what: str) -> None:
        self.calls.append(what)
        if what in self.refuse:
            raise ConnectorUnavailable("connection refused", vendor=self.name)

    def authorize(self, request: AuthorizeRequest) -> ProcessorResult:
        self._gate("authorize")
        result = super().authorize(request)
        self.performed[request.attempt_id] = result
        if "authorize" in self.lose_answers:
            raise ConnectorOutcomeUnknown("read timed out", vendor=self.name)
        return result

    def capture(self, reference: str, amount: int, *, attempt_id: str) -> ProcessorResult:
        self._gate("capture")
        result = super().capture(reference, amount, attempt_id=attempt_id)
        if "capture" in self.lose_answers:
            raise ConnectorOutcomeUnknown("read timed out", vendor=self.name)
        return result

    def void(self, reference: str, *, attempt_id: str) -> ProcessorResult:
        self._gate("void")
        return super().void(reference, attempt_id=attempt_id)

    def sync(self, reference: str | None, *, attempt_id: str) -> ProcessorResult:
        self.calls.append("sync")
        if reference is None:  # found by the key the attempt was sent with
            return self.performed[attempt_id]
        return super().sync(reference, attempt_id=attempt_id)


@pytest.fixture
def gateway(swap_connectors: Any) -> Gateway:
    fake = Gateway()
    swap_connectors(processors={"sandbox": fake})
    return fake


@pytest.fixture
def settle_later(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Hold back the settle job (eager mode would run it at once) so a test sees the
    intent in processing; returns the intents it was asked to settle."""
    queued: list[str] = []
    monkeypatch.setattr(
        tasks.settle_payment, "apply_async", lambda args, **_k: queued.append(args[0])
    )
    return queued


def _charge(db: Any, charge_id: str) -> Charge:
    with db.transaction(write=False) as s:
        row = s.get(Charge, charge_id)
        assert row is not None
        return row


def test_timeout_after_sending_is_unknown_then_settled_from_the_processor(
    api, db, gateway, settle_later, events
):
    gateway.lose_answers.add("authorize")
    r = intent(api, payment_method="pm_card_visa", confirm=True)
    assert r.status_code == 200, r.get_data(as_text=True)
    pi = r.get_json()
    assert pi["status"] == "processing"
    charge = _charge(db, pi["latest_charge"])
    assert charge.status == "pending"
    assert charge.processor == "sandbox" and charge.processor_reference is None
    assert charge.outcome["type"] == "unknown"
    assert charge.outcome["reason"] == "processor_timeout"
    assert settle_later == [pi["id"]]
    assert [e["type"] for e in events()][-1] == "payment_intent.processing"

    # The sync job asks the processor by the attempt id it was sent with.
    assert tasks.settle_payment(pi["id"]) == "succeeded"
    settled = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert settled["status"] == "succeeded" and settled["amount_received"] == 2000
    charge = _charge(db, pi["latest_charge"])
    assert charge.status == "succeeded" and charge.processor_reference is not None
    assert gateway.calls == ["authorize", "sync"]
    assert tasks.settle_payment(pi["id"]) == "succeeded"  # a repeated job changes nothing
    assert [e["type"] for e in events("charge.succeeded")] == ["charge.succeeded"]


def test_unknown_decline_settles_as_a_failed_payment(api, gateway, settle_later):
    gateway.lose_answers.add("authorize")
    pi = intent(api, payment_method="pm_card_chargeDeclined", confirm=True).get_json()
    assert pi["status"] == "processing"
    assert tasks.settle_payment(pi["id"]) == "requires_payment_method"
    failed = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert failed["last_payment_error"]["decline_code"] == "generic_decline"


def test_unknown_authorization_settles_to_requires_capture(api, gateway, settle_later):
    gateway.lose_answers.add("authorize")
    pi = intent(
        api, payment_method="pm_card_visa", confirm=True, capture_method="manual"
    ).get_json()
    assert tasks.settle_payment(pi["id"]) == "requires_capture"
    captured = api.post(f"/payment/payment-intents/{pi['id']}/capture", json={}).get_json()
    assert captured["status"] == "succeeded"


def test_processor_that_did_nothing_is_a_502_and_keeps_the_failed_attempt(api, db, gateway, events):
    gateway.refuse.add("authorize")
    pi = intent(api, payment_method="pm_card_visa").get_json()
    body = assert_error(
        api.post(f"/payment/payment-intents/{pi['id']}/confirm", json={}),
        502,
        "provider_error",
        "processing_error",
    )
    assert body["retryable"] is True
    after = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert after["status"] == "requires_confirmation"  # confirming again retries
    assert after["last_payment_error"]["code"] == "processing_error"
    failed = _charge(db, after["latest_charge"])
    assert failed.status == "failed" and failed.failure_code == "processing_error"
    assert [e["type"] for e in events("charge.failed")] == ["charge.failed"]

    gateway.refuse.clear()
    ok = api.post(f"/payment/payment-intents/{pi['id']}/confirm", json={}).get_json()
    assert ok["status"] == "succeeded"
    assert [c["status"] for c in ok["charges"]["data"]] == ["succeeded", "failed"]


def test_capture_without_an_answer_changes_nothing_and_can_be_repeated(api, gateway):
    pi = intent(
        api, payment_method="pm_card_visa", confirm=True, capture_method="manual"
    ).get_json()
    gateway.lose_answers.add("capture")
    assert_error(
        api.post(f"/payment/payment-intents/{pi['id']}/capture", json={}),
        502,
        "provider_error",
        "processing_error",
    )
    held = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert held["status"] == "requires_capture" and held["amount_received"] == 0
    gateway.lose_answers.clear()
    done = api.post(f"/payment/payment-intents/{pi['id']}/capture", json={}).get_json()
    assert done["status"] == "succeeded" and done["amount_received"] == 2000


def test_refused_void_keeps_the_authorization(api, gateway):
    pi = intent(
        api, payment_method="pm_card_visa", confirm=True, capture_method="manual"
    ).get_json()
    gateway.refuse.add("void")
    assert_error(
        api.delete(f"/payment/payment-intents/{pi['id']}/cancel"),
        502,
        "provider_error",
        "processing_error",
    )
    held = api.get(f"/payment/payment-intents/{pi['id']}").get_json()
    assert held["status"] == "requires_capture" and held["amount_capturable"] == 2000
