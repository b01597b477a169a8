"""The real accept.blue connector against the accept.blue simulator over loopback HTTP: the
flows the hub runs, the simulator's magic values, injected faults and signed webhooks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask, Response

from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorOutcomeUnknown,
    ConnectorRejected,
    ConnectorUnavailable,
    WebhookRejected,
)
from dealerhub.connectors.processors.acceptblue import AcceptBlueProcessor
from dealerhub.connectors.processors.base import (
    AttemptStatus,
    AuthorizeRequest,
    BankAccount,
    PaymentSource,
)
from dealerhub.simulators.acceptblue import TEST_PIN, TEST_SOURCE_KEY, create_app
from dealerhub.simulators.server import serving

VISA = "4111111111111111"
BANK = BankAccount("110000000", "000123456789", holder_name="Jo Buyer")


@pytest.fixture
def url() -> Iterator[str]:
    with serving(create_app()) as base:
        yield base


def connector(base: str, **kwargs: Any) -> AcceptBlueProcessor:
    config = {
        "source_key": kwargs.pop("source_key", TEST_SOURCE_KEY),
        "pin": TEST_PIN,
        "public_key": "pk_sim_public_key",
        "environment": "sandbox",
        "api_url": base,
    }
    return AcceptBlueProcessor(config, timeout=kwargs.pop("timeout", (2.0, 5.0)), **kwargs)


def card(base: str, number: str = VISA, year: int = 2030) -> PaymentSource:
    """A card as the browser hands it over: Hosted Tokenization's nonce plus its expiry."""
    answer = requests.post(
        f"{base}/__simulator__/tokenize",
        json={"card": number, "expiry_month": 12, "expiry_year": year, "cvv2": "123"},
        timeout=5,
    ).json()
    return PaymentSource("card", f"{answer['nonce']}|12/{year}", last4=answer["last4"])


def pay(amount: int, source: PaymentSource, attempt: str = "ch_1", capture: bool = True) -> Any:
    return AuthorizeRequest(attempt, amount, "usd", source, capture=capture)


def control(base: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return requests.post(f"{base}/__simulator__/{path}", json=body or {}, timeout=10).json()


def ledger(base: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = requests.get(
        f"{base}/__simulator__/transactions", timeout=5
    ).json()["data"]
    return data


def test_sale(url: str) -> None:
    result = connector(url).authorize(pay(1234, card(url)))
    assert (result.status, result.amount) == (AttemptStatus.SUCCEEDED, 1234)
    assert result.checks["cvc_check"] == "pass"
    [txn] = ledger(url)
    assert (txn["status"], txn["order_number"], txn["amount"]) == ("captured", "ch_1", 1234)
    assert "4111111111111111" not in str(txn)


def test_auth_partial_capture_settle_and_refunds(url: str) -> None:
    gateway = connector(url)
    auth = gateway.authorize(pay(10000, card(url), capture=False))
    assert auth.status == AttemptStatus.AUTHORIZED
    assert auth.reference is not None
    captured = gateway.capture(auth.reference, 7500, attempt_id="ch_1")
    assert (captured.status, captured.amount) == (AttemptStatus.SUCCEEDED, 7500)
    # A retried capture after an unknown outcome confirms instead of adjusting twice.
    assert gateway.capture(auth.reference, 7500, attempt_id="ch_1").status == (
        AttemptStatus.SUCCEEDED
    )
    with pytest.raises(ConnectorRejected):
        gateway.refund(auth.reference, 1000, refund_id="re_early")  # not settled yet
    assert control(url, "settle")["settled"] == [auth.reference]
    first = gateway.refund(auth.reference, 2500, refund_id="re_1")
    second = gateway.refund(auth.reference, 5000, refund_id="re_2")
    assert (first.status, first.amount) == (AttemptStatus.SUCCEEDED, 2500)
    assert second.status == AttemptStatus.SUCCEEDED and second.reference != first.reference
    with pytest.raises(ConnectorRejected):
        gateway.refund(auth.reference, 1, refund_id="re_3")  # nothing left
    assert gateway.sync(None, attempt_id="re_1").reference == first.reference
    assert gateway.sync(auth.reference, attempt_id="ch_1").status == AttemptStatus.SUCCEEDED


def test_void_before_settlement_only(url: str) -> None:
    gateway = connector(url)
    auth = gateway.authorize(pay(5000, card(url), capture=False))
    assert auth.reference is not None
    assert gateway.void(auth.reference, attempt_id="ch_1").status == AttemptStatus.SUCCEEDED
    assert gateway.sync(auth.reference, attempt_id="ch_1").failure_code == "canceled"
    sale = gateway.authorize(pay(5000, card(url), attempt="ch_2"))
    assert sale.reference is not None
    control(url, "settle")
    with pytest.raises(ConnectorRejected) as info:
        gateway.void(sale.reference, attempt_id="ch_2")
    assert "settled" in info.value.message


@pytest.mark.parametrize(
    ("return_code", "status"), [(None, AttemptStatus.SUCCEEDED), ("R01", AttemptStatus.DECLINED)]
)
def test_bank_debit_settles_or_returns(
    url: str, return_code: str | None, status: AttemptStatus
) -> None:
    gateway = connector(url)
    debit = gateway.authorize(pay(25000, PaymentSource("us_bank_account", "", bank=BANK)))
    assert debit.status == AttemptStatus.PROCESSING
    assert gateway.sync(debit.reference, attempt_id="ch_1").status == AttemptStatus.PROCESSING
    control(url, "settle", {"return_code": return_code} if return_code else {})
    result = gateway.sync(debit.reference, attempt_id="ch_1")
    assert result.status == status
    if return_code:
        assert result.failure_code == "R01"
    else:
        refund = gateway.refund(debit.reference or "", 1000, refund_id="re_1")
        assert refund.status == AttemptStatus.PENDING  # ACH refunds settle later too


def test_setup_vaults_cards_and_bank_accounts(url: str) -> None:
    gateway = connector(url)
    nonce = card(url)
    setup = gateway.setup(nonce, attempt_id="seti_1")
    assert setup.status == AttemptStatus.SUCCEEDED
    assert setup.vault_token is not None and setup.vault_token.startswith("tkn-")
    with pytest.raises(ConnectorRejected):
        gateway.setup(nonce, attempt_id="seti_2")  # a nonce is single-use
    later = gateway.authorize(
        pay(4200, PaymentSource("card", setup.vault_token), attempt="ch_off", capture=True)
    )
    assert (later.status, later.amount) == (AttemptStatus.SUCCEEDED, 4200)
    declined = gateway.setup(card(url, "4000000000000069"), attempt_id="seti_3")
    assert (declined.status, declined.failure_code) == (AttemptStatus.DECLINED, "expired_card")
    bank = gateway.setup(PaymentSource("us_bank_account", "", bank=BANK), attempt_id="seti_4")
    assert bank.vault_token is not None and bank.vault_token.startswith("pm-")
    debit = gateway.authorize(
        pay(900, PaymentSource("us_bank_account", bank.vault_token), attempt="ch_pm")
    )
    assert debit.status == AttemptStatus.PROCESSING


def test_read_timeout_then_sync_by_attempt_id(url: str) -> None:
    control(url, "faults", {"faults": [{"delay": 1.0}]})
    gateway = connector(url, timeout=(2.0, 0.3))
    with pytest.raises(ConnectorOutcomeUnknown):
        gateway.authorize(pay(3100, card(url), attempt="ch_lost"))
    found = gateway.sync(None, attempt_id="ch_lost")
    assert (found.status, found.amount) == (AttemptStatus.SUCCEEDED, 3100)
    assert found.reference is not None
    assert gateway.sync(found.reference, attempt_id="ch_lost").status == AttemptStatus.SUCCEEDED


def test_503_before_processing_makes_no_transaction(url: str) -> None:
    control(url, "faults", {"faults": [{"status": 503}]})
    gateway = connector(url)
    source = card(url)
    with pytest.raises(ConnectorUnavailable) as info:
        gateway.authorize(pay(1500, source, attempt="ch_retry"))
    assert type(info.value) is ConnectorUnavailable
    assert ledger(url) == []
    # The hub retries once with the same attempt id; the nonce was never consumed.
    assert gateway.authorize(pay(1500, source, attempt="ch_retry")).status == (
        AttemptStatus.SUCCEEDED
    )
    assert len(ledger(url)) == 1


def test_500_after_processing_is_an_unknown_outcome(url: str) -> None:
    control(url, "faults", {"faults": [{"status": 500, "after": True}]})
    gateway = connector(url)
    with pytest.raises(ConnectorOutcomeUnknown):
        gateway.authorize(pay(1600, card(url), attempt="ch_500"))
    assert gateway.sync(None, attempt_id="ch_500").status == AttemptStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("number", "amount", "failure", "decline"),
    [
        ("4000000000009995", 1000, "card_declined", "insufficient_funds"),
        ("4000000000000002", 1000, "card_declined", "do_not_honor"),
        ("4000000000000069", 1000, "expired_card", "expired_card"),
        ("4000000000000127", 1000, "incorrect_cvc", "incorrect_cvc"),
        ("4000000000009987", 1000, "card_declined", "lost_card"),
        ("4100000000000019", 1000, "card_declined", "fraudulent"),
        ("4000000000000119", 1000, "processing_error", "processing_error"),
        (VISA, 501, "card_declined", "insufficient_funds"),
        (VISA, 505, "card_declined", "do_not_honor"),
        (VISA, 554, "expired_card", "expired_card"),
        (VISA, 582, "incorrect_cvc", "incorrect_cvc"),
        (VISA, 543, "card_declined", "stolen_card"),
        (VISA, 596, "processing_error", "processing_error"),
    ],
)
def test_declines(url: str, number: str, amount: int, failure: str, decline: str) -> None:
    gateway = connector(url)
    result = gateway.authorize(pay(amount, card(url, number)))
    assert (result.status, result.failure_code, result.decline_code) == (
        AttemptStatus.DECLINED,
        failure,
        decline,
    )
    assert gateway.sync(None, attempt_id="ch_1").status == AttemptStatus.DECLINED


def test_expired_by_date_avs_mismatch_and_partial_approval(url: str) -> None:
    gateway = connector(url)
    assert gateway.authorize(pay(1000, card(url, year=2021))).failure_code == "expired_card"
    avs = gateway.authorize(pay(777, card(url), attempt="ch_avs"))
    assert avs.status == AttemptStatus.SUCCEEDED
    assert avs.checks["address_line1_check"] == "fail"
    assert avs.checks["address_postal_code_check"] == "fail"
    avs_card = gateway.authorize(pay(1000, card(url, "4000000000000010"), attempt="ch_avs2"))
    assert avs_card.checks["address_postal_code_check"] == "fail"
    refused = gateway.authorize(pay(888, card(url), attempt="ch_partial_off"))
    assert refused.decline_code == "insufficient_funds"
    partial = connector(url, allow_partial_approval=True).authorize(
        pay(888, card(url), attempt="ch_partial")
    )
    assert (partial.status, partial.amount, partial.processor_code) == (
        AttemptStatus.SUCCEEDED,
        444,
        "P",
    )


def test_credentials_and_health_check(url: str) -> None:
    connector(url).check()
    with pytest.raises(ConnectorAuthError):
        connector(url, source_key="sim_invalid").check()
    with pytest.raises(ConnectorAuthError):
        connector(url, source_key="sim_invalid").authorize(pay(100, card(url)))
    assert ledger(url) == []


def test_gateway_down_is_unavailable() -> None:
    with serving(create_app()) as base:
        gateway = connector(base)
    with pytest.raises(ConnectorUnavailable) as info:
        gateway.check()
    assert type(info.value) is ConnectorUnavailable


def test_settlement_webhooks_are_signed_and_verified() -> None:
    received: list[tuple[dict[str, str], bytes]] = []
    receiver = Flask("receiver")

    @receiver.post("/hook")
    def hook() -> Response:
        from flask import request

        received.append((dict(request.headers), request.get_data()))
        return Response("", 204)

    with serving(receiver) as hooks:
        app = create_app(webhook_url=f"{hooks}/hook", webhook_secret="whsig_sim")
        with serving(app) as base:
            gateway = connector(base)
            sale = gateway.authorize(pay(2000, card(base)))
            debit = gateway.authorize(
                pay(3000, PaymentSource("us_bank_account", "", bank=BANK), attempt="ch_ach")
            )
            control(base, "settle")
            assert len(received) == 2
            messages = [gateway.parse_webhook(headers, body) for headers, body in received]
            assert {m.type for m in messages} == {"charge.settled"}
            assert {m.reference for m in messages} == {sale.reference, debit.reference}
            headers, body = received[0]
            with pytest.raises(WebhookRejected) as info:
                gateway.parse_webhook(headers, body.replace(b"settled", b"returned"))
            assert info.value.vendor_code == "signature_invalid"
