"""The real Hubcash connector against the Hubcash simulator over loopback HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask, request

from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorOutcomeUnknown,
    ConnectorRejected,
    ConnectorUnavailable,
    FlowNotSupported,
    WebhookRejected,
)
from dealerhub.connectors.processors.base import (
    AttemptStatus,
    AuthorizeRequest,
    BankAccount,
    PaymentSource,
)
from dealerhub.connectors.processors.hubcash import HubcashProcessor
from dealerhub.simulators.hubcash import create_app
from dealerhub.simulators.server import serving

CREDENTIALS = {"code": "sim_code", "token": "sim_token"}


@pytest.fixture
def url() -> Iterator[str]:
    with serving(create_app()) as base:
        yield base


def hub(url: str, **config: Any) -> HubcashProcessor:
    timeout = config.pop("timeout", (2.0, 10.0))
    return HubcashProcessor({**CREDENTIALS, "api_url": url, **config}, timeout=timeout)


def card(url: str, number: str = "4111111111111111", exp_year: str = "2031") -> PaymentSource:
    """A CardId from the simulator's test-only tokenizer (the vendor has no hosted fields)."""
    answer = requests.post(
        f"{url}/__simulator__/cards",
        json={"number": number, "exp_month": "12", "exp_year": exp_year, "cvc": "123"},
        timeout=5,
    )
    assert answer.status_code == 201
    return PaymentSource(type="card", token=answer.json()["CardId"])


def sale(
    source: PaymentSource, attempt_id: str, amount: int = 10000, capture: bool = True
) -> AuthorizeRequest:
    return AuthorizeRequest(
        attempt_id=attempt_id, amount=amount, currency="brl", source=source, capture=capture
    )


def control(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    answer = requests.post(f"{url}/__simulator__/{path}", json=body or {}, timeout=5)
    assert answer.status_code == 200
    return answer.json()


def transactions(url: str) -> list[dict[str, Any]]:
    return requests.get(f"{url}/__simulator__/transactions", timeout=5).json()["data"]


def test_sale_then_settle(url: str) -> None:
    processor = hub(url)
    result = processor.authorize(sale(card(url), "ch_sale"))
    assert (result.status, result.amount) == (AttemptStatus.SUCCEEDED, 10000)
    assert result.network_status == "approved_by_network"
    assert control(url, "settle")["settled"] == [result.reference]
    synced = processor.sync(result.reference, attempt_id="ch_sale")
    assert (synced.status, synced.processor_code) == (AttemptStatus.SUCCEEDED, "7")


def test_auth_capture_refund(url: str) -> None:
    processor = hub(url)
    auth = processor.authorize(sale(card(url), "ch_auth", capture=False))
    assert auth.status == AttemptStatus.AUTHORIZED
    assert auth.reference
    with pytest.raises(FlowNotSupported):  # Hubcash captures whole sales only
        processor.capture(auth.reference, 4000, attempt_id="ch_auth")
    captured = processor.capture(auth.reference, 10000, attempt_id="ch_auth")
    assert (captured.status, captured.amount) == (AttemptStatus.SUCCEEDED, 10000)
    again = processor.capture(auth.reference, 10000, attempt_id="ch_auth")
    assert again.status == AttemptStatus.SUCCEEDED  # a repeat after a lost answer is safe
    with pytest.raises(FlowNotSupported):  # no partial refund either
        processor.refund(auth.reference, 2500, refund_id="re_1")
    refund = processor.refund(auth.reference, 10000, refund_id="re_1")
    assert (refund.status, refund.reference) == (AttemptStatus.SUCCEEDED, auth.reference)
    assert processor.sync(auth.reference, attempt_id="re_1").status == AttemptStatus.SUCCEEDED
    [row] = transactions(url)
    assert row["Status"] == 6


def test_void(url: str) -> None:
    processor = hub(url)
    auth = processor.authorize(sale(card(url), "ch_void", capture=False))
    assert auth.reference
    voided = processor.void(auth.reference, attempt_id="ch_void")
    assert voided.status == AttemptStatus.SUCCEEDED
    assert processor.void(auth.reference, attempt_id="ch_void").status == AttemptStatus.SUCCEEDED
    with pytest.raises(ConnectorRejected):
        processor.capture(auth.reference, 10000, attempt_id="ch_void")


def test_bank_debit_is_not_offered(url: str) -> None:
    bank = PaymentSource(
        type="us_bank_account",
        token="",
        bank=BankAccount(routing_number="110000000", account_number="000123456789"),
    )
    with pytest.raises(FlowNotSupported):
        hub(url).authorize(sale(bank, "ch_bank"))
    assert transactions(url) == []


def test_setup_vaults_and_the_vault_token_charges(url: str) -> None:
    processor = hub(url)
    result = processor.setup(card(url), attempt_id="seti_1")
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.vault_token
    reuse = PaymentSource(type="card", token=result.vault_token)
    assert processor.authorize(sale(reuse, "ch_reuse")).status == AttemptStatus.SUCCEEDED
    expired = processor.setup(card(url, exp_year="2020"), attempt_id="seti_2")
    assert (expired.status, expired.decline_code) == (AttemptStatus.DECLINED, "expired_card")


def test_sync_by_attempt_id_after_a_read_timeout(url: str) -> None:
    control(url, "faults", {"faults": [{"delay": 1.5}]})
    processor = hub(url, timeout=(2.0, 0.5))
    with pytest.raises(ConnectorOutcomeUnknown):
        processor.authorize(sale(card(url), "ch_slow"))
    found = hub(url).sync(None, attempt_id="ch_slow")
    assert found.status == AttemptStatus.SUCCEEDED
    [row] = transactions(url)
    assert found.reference == row["SaleId"] and row["Ref"] == "ch_slow"
    assert hub(url).sync(found.reference, attempt_id="ch_slow").status == AttemptStatus.SUCCEEDED


def test_503_before_processing_makes_nothing(url: str) -> None:
    control(url, "faults", {"faults": [{"status": 503}]})
    processor = hub(url)
    source = card(url)
    with pytest.raises(ConnectorUnavailable) as info:
        processor.authorize(sale(source, "ch_503"))
    assert not isinstance(info.value, ConnectorOutcomeUnknown)
    assert transactions(url) == []
    assert processor.sync(None, attempt_id="ch_503").status == AttemptStatus.DECLINED
    # The hub retries once with the same attempt id.
    assert processor.authorize(sale(source, "ch_503")).status == AttemptStatus.SUCCEEDED
    assert len(transactions(url)) == 1


def test_500_after_processing_is_unknown_and_sync_finds_it(url: str) -> None:
    control(url, "faults", {"faults": [{"status": 500, "after": True}]})
    processor = hub(url)
    with pytest.raises(ConnectorOutcomeUnknown):
        processor.authorize(sale(card(url), "ch_500"))
    assert processor.sync(None, attempt_id="ch_500").status == AttemptStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("amount", "exc"),
    [(10503, ConnectorUnavailable), (10500, ConnectorOutcomeUnknown)],
)
def test_fault_amounts(url: str, amount: int, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        hub(url).authorize(sale(card(url), "ch_fault", amount=amount))
    assert len(transactions(url)) == (0 if amount == 10503 else 1)


@pytest.mark.parametrize(
    ("amount", "failure_code", "decline_code"),
    [
        (10051, "card_declined", "insufficient_funds"),
        (10005, "card_declined", "do_not_honor"),
        (10054, "expired_card", "expired_card"),
        (10082, "incorrect_cvc", "incorrect_cvc"),
        (10059, "card_declined", "fraudulent"),
        (10019, "processing_error", "processing_error"),
    ],
)
def test_declines_by_magic_amount(
    url: str, amount: int, failure_code: str, decline_code: str
) -> None:
    result = hub(url).authorize(sale(card(url), "ch_decline", amount=amount))
    assert result.status == AttemptStatus.DECLINED
    assert (result.failure_code, result.decline_code) == (failure_code, decline_code)
    assert result.processor_code == "5"


@pytest.mark.parametrize(
    ("number", "decline_code"),
    [
        ("4000000000009995", "insufficient_funds"),
        ("4000000000000002", "do_not_honor"),
        ("4000000000000069", "expired_card"),
        ("4000000000000127", "incorrect_cvc"),
        ("4100000000000019", "fraudulent"),
    ],
)
def test_declines_by_card(url: str, number: str, decline_code: str) -> None:
    result = hub(url).authorize(sale(card(url, number), "ch_card"))
    assert (result.status, result.decline_code) == (AttemptStatus.DECLINED, decline_code)


def test_avs_mismatch_is_approved_with_failed_address_checks(url: str) -> None:
    result = hub(url).authorize(sale(card(url, "4000000000000028"), "ch_avs"))
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.checks["address_line1_check"] == "fail"
    assert result.checks["address_postal_code_check"] == "fail"
    assert hub(url).authorize(sale(card(url), "ch_avs2", amount=10033)).checks[
        "address_line1_check"
    ] == ("fail")


@pytest.mark.parametrize(
    ("return_code", "status"), [(None, AttemptStatus.SUCCEEDED), ("R01", AttemptStatus.DECLINED)]
)
def test_antifraud_analysis_settles(
    url: str, return_code: str | None, status: AttemptStatus
) -> None:
    processor = hub(url)
    result = processor.authorize(sale(card(url), "ch_review", amount=10002))
    assert result.status == AttemptStatus.PROCESSING
    control(url, "settle", {"return_code": return_code})
    assert processor.sync(result.reference, attempt_id="ch_review").status == status


def test_wrong_credentials_and_check(url: str) -> None:
    with pytest.raises(ConnectorAuthError):
        hub(url, token="sim_invalid").authorize(sale(PaymentSource("card", "x"), "ch_401"))
    with pytest.raises(ConnectorAuthError):
        hub(url, token="sim_invalid").check()
    hub(url).check()


def test_vendor_validation_is_rejected(url: str) -> None:
    request_ = AuthorizeRequest(
        attempt_id="ch_usd", amount=100, currency="usd", source=card(url), capture=True
    )
    with pytest.raises(ConnectorRejected) as info:
        hub(url).authorize(request_)
    assert "Currency" in info.value.message
    with pytest.raises(ConnectorRejected):
        hub(url).authorize(sale(PaymentSource("card", "ffffffffffffffffffffffff"), "ch_nocard"))


def test_webhooks_on_settlement_are_verified_by_read_back() -> None:
    received: list[tuple[dict[str, str], bytes]] = []
    receiver = Flask("receiver")

    @receiver.post("/hook")
    def hook() -> tuple[str, int]:
        received.append((dict(request.headers), request.get_data()))
        return "", 200

    with serving(receiver) as hook_url, serving(create_app(webhook_url=f"{hook_url}/hook")) as url:
        processor = hub(url)
        result = processor.authorize(sale(card(url), "ch_hook", amount=10002))
        assert result.status == AttemptStatus.PROCESSING
        _wait_for(lambda: len(received) == 1)  # the creation notice, sent after the answer
        received.clear()
        control(url, "settle")
        assert len(received) == 1  # settle delivers before it answers
        headers, body = received[0]
        message = processor.parse_webhook(headers, body)
        assert message.type == "charge.settled"
        assert message.reference == result.reference
        note = requests.get(
            f"{url}/notifications/{message.event_id}",
            headers={"X-Hubcash-Code": "sim_code", "X-Hubcash-Token": "sim_token"},
            timeout=5,
        ).json()["Notification"]
        assert note["LastResponseCode"] == 200
        forged = json.loads(body)
        forged["Notification"]["Sale"]["Status"] = 5
        with pytest.raises(WebhookRejected):
            processor.parse_webhook(headers, json.dumps(forged).encode())
        forged["Notification"]["NotificationId"] = "0" * 24
        with pytest.raises(WebhookRejected):
            processor.parse_webhook(headers, json.dumps(forged).encode())


def _wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
