"""The real BlueDog connector against the real BlueDog simulator over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorOutcomeUnknown,
    ConnectorRejected,
    ConnectorUnavailable,
    WebhookRejected,
)
from dealerhub.connectors.processors.base import (
    AttemptStatus,
    AuthorizeRequest,
    BankAccount,
    PaymentSource,
    ProcessorResult,
)
from dealerhub.connectors.processors.bluedog import BlueDogProcessor, vault_id
from dealerhub.simulators.bluedog import create_app
from dealerhub.simulators.server import serving

KEY = "sim_api_key"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    # One server for the module (stopping one takes half a second); each test resets it.
    with serving(create_app()) as base:
        yield base


@pytest.fixture
def url(server: str) -> str:
    requests.post(f"{server}/__simulator__/reset", timeout=5).raise_for_status()
    return server


def gateway(url: str, **kw: Any) -> BlueDogProcessor:
    return BlueDogProcessor({"api_key": KEY, "api_url": url, "environment": "sandbox"}, **kw)


def tokenize(url: str, number: str = "4012000098765439", expiration: str = "12/39") -> str:
    response = requests.post(
        f"{url}/__simulator__/tokenize",
        json={"card": {"number": number, "expiration_date": expiration, "cvc": "999"}},
        headers={"Authorization": "pub_sim_public"},
        timeout=5,
    )
    assert response.status_code == 200
    return response.json()["token"]


def card(url: str, number: str = "4012000098765439", **kw: Any) -> PaymentSource:
    return PaymentSource(type="card", token=tokenize(url, number, **kw))


BANK = PaymentSource(
    type="us_bank_account",
    token="",
    bank=BankAccount(routing_number="490000018", account_number="999999"),
)


def charge(
    attempt: str, amount: int, source: PaymentSource, *, capture: bool = True, **kw: Any
) -> AuthorizeRequest:
    return AuthorizeRequest(
        attempt_id=attempt, amount=amount, currency="usd", source=source, capture=capture, **kw
    )


def reference(result: ProcessorResult) -> str:
    assert result.reference is not None
    return result.reference


def control(url: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = requests.post(f"{url}/__simulator__/{path}", json=body or {}, timeout=5)
    response.raise_for_status()
    return response.json()


def transactions(url: str) -> list[dict[str, Any]]:
    return requests.get(f"{url}/__simulator__/transactions", timeout=5).json()["data"]


def test_sale_and_lookup(url: str) -> None:
    bluedog = gateway(url)
    result = bluedog.authorize(charge("ch_sale1", 2500, card(url)))
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.amount == 2500
    assert result.processor_code == "100"
    assert result.checks == {
        "address_line1_check": "pass",
        "address_postal_code_check": "pass",
        "cvc_check": "pass",
    }
    assert "4012000098765439" not in str(result.raw)
    again = bluedog.sync(result.reference, attempt_id="ch_sale1")
    assert again.status == AttemptStatus.SUCCEEDED
    assert again.reference == result.reference
    bluedog.check()


def test_authorize_partial_capture_settle_and_partial_refunds(url: str) -> None:
    bluedog = gateway(url)
    auth = bluedog.authorize(charge("ch_auth1", 10000, card(url), capture=False))
    assert auth.status == AttemptStatus.AUTHORIZED
    ref = reference(auth)
    captured = bluedog.capture(ref, 6000, attempt_id="ch_auth1")
    assert (captured.status, captured.amount) == (AttemptStatus.SUCCEEDED, 6000)
    # Refunds need a settled transaction (void before settlement).
    with pytest.raises(ConnectorRejected):
        bluedog.refund(ref, 1000, refund_id="re_early")
    assert ref in control(url, "settle")["settled"]
    first = bluedog.refund(ref, 1000, refund_id="re_1")
    second = bluedog.refund(ref, 2000, refund_id="re_2")
    assert (first.status, first.amount) == (AttemptStatus.SUCCEEDED, 1000)
    assert (second.status, second.amount) == (AttemptStatus.SUCCEEDED, 2000)
    assert first.reference != second.reference != ref
    with pytest.raises(ConnectorRejected):
        bluedog.refund(ref, 3001, refund_id="re_3")  # only 3000 left of the 6000 captured
    assert bluedog.sync(ref, attempt_id="ch_auth1").status == AttemptStatus.SUCCEEDED


def test_void_an_authorization(url: str) -> None:
    bluedog = gateway(url)
    auth = bluedog.authorize(charge("ch_void1", 4000, card(url), capture=False))
    assert bluedog.void(reference(auth), attempt_id="ch_void1").status == AttemptStatus.SUCCEEDED
    after = bluedog.sync(auth.reference, attempt_id="ch_void1")
    assert after.status == AttemptStatus.DECLINED
    assert after.failure_code == "payment_intent_canceled"
    with pytest.raises(ConnectorRejected):
        bluedog.void(reference(auth), attempt_id="ch_void1")


def test_void_after_settlement_is_refused(url: str) -> None:
    bluedog = gateway(url)
    sold = bluedog.authorize(charge("ch_void2", 4000, card(url)))
    control(url, "settle")
    with pytest.raises(ConnectorRejected):
        bluedog.void(reference(sold), attempt_id="ch_void2")


def test_bank_debit_settles(url: str) -> None:
    bluedog = gateway(url)
    debit = bluedog.authorize(charge("ch_ach1", 150000, BANK))
    assert debit.status == AttemptStatus.PROCESSING
    assert "999999" not in str(debit.raw)
    assert bluedog.sync(debit.reference, attempt_id="ch_ach1").status == AttemptStatus.PROCESSING
    control(url, "settle")
    assert bluedog.sync(None, attempt_id="ch_ach1").status == AttemptStatus.SUCCEEDED
    refund = bluedog.refund(reference(debit), 50000, refund_id="re_ach1")
    assert refund.status == AttemptStatus.PENDING
    control(url, "settle")
    assert bluedog.sync(refund.reference, attempt_id="re_ach1").status == AttemptStatus.SUCCEEDED


def test_bank_debit_returned(url: str) -> None:
    bluedog = gateway(url)
    debit = bluedog.authorize(charge("ch_ach2", 150000, BANK))
    control(url, "settle", {"return_code": "R01"})
    result = bluedog.sync(debit.reference, attempt_id="ch_ach2")
    assert result.status == AttemptStatus.DECLINED
    assert result.failure_code == "R01"


def test_setup_vaults_and_the_vault_token_charges(url: str) -> None:
    bluedog = gateway(url)
    setup = bluedog.setup(card(url, "4111111111111111"), attempt_id="seti_1")
    assert setup.status == AttemptStatus.SUCCEEDED
    assert setup.vault_token
    saved = PaymentSource(type="card", token=setup.vault_token)
    result = bluedog.authorize(charge("ch_cof1", 1999, saved, off_session=True))
    assert result.status == AttemptStatus.SUCCEEDED
    # A retried setup (same attempt) finds its vault record and its verification.
    again = bluedog.setup(card(url, "4111111111111111"), attempt_id="seti_1")
    assert again.status == AttemptStatus.SUCCEEDED
    assert again.reference == setup.reference
    assert again.vault_token == setup.vault_token


def test_declined_setup_leaves_no_vault_record(url: str) -> None:
    bluedog = gateway(url)
    result = bluedog.setup(card(url, "4000000000009995"), attempt_id="seti_2")
    assert result.status == AttemptStatus.DECLINED
    assert result.decline_code == "insufficient_funds"
    assert result.vault_token is None
    response = requests.get(
        f"{url}/api/vault/{vault_id('seti_2')}", headers={"Authorization": KEY}, timeout=5
    )
    assert response.status_code == 404


def test_bank_setup(url: str) -> None:
    result = gateway(url).setup(BANK, attempt_id="seti_3")
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.vault_token


def test_read_timeout_then_sync_by_attempt_id(url: str) -> None:
    slow = gateway(url, timeout=(2.0, 0.3))
    control(url, "faults", {"faults": [{"delay": 1.0}]})
    with pytest.raises(ConnectorOutcomeUnknown):
        slow.authorize(charge("ch_slow1", 3000, card(url)))
    found = gateway(url).sync(None, attempt_id="ch_slow1")
    assert found.status == AttemptStatus.SUCCEEDED
    assert found.reference
    # Sending the same attempt again is answered from the idempotency key: no second sale.
    again = gateway(url).authorize(charge("ch_slow1", 3000, card(url)))
    assert again.reference == found.reference
    assert len(transactions(url)) == 1


def test_503_before_processing_makes_nothing(url: str) -> None:
    bluedog = gateway(url)
    source = card(url)
    control(url, "faults", {"faults": [{"status": 503}]})
    with pytest.raises(ConnectorUnavailable) as info:
        bluedog.authorize(charge("ch_busy1", 3000, source))
    assert not isinstance(info.value, ConnectorOutcomeUnknown)
    assert transactions(url) == []
    assert bluedog.sync(None, attempt_id="ch_busy1").status == AttemptStatus.UNKNOWN
    # The hub's one retry with the same attempt id goes through.
    assert bluedog.authorize(charge("ch_busy1", 3000, source)).status == AttemptStatus.SUCCEEDED


def test_500_after_processing_is_unknown_and_found_by_sync(url: str) -> None:
    bluedog = gateway(url)
    source = card(url)
    control(url, "faults", {"faults": [{"status": 500, "after": True}]})
    with pytest.raises(ConnectorOutcomeUnknown):
        bluedog.authorize(charge("ch_err1", 3000, source, capture=False))
    assert bluedog.sync(None, attempt_id="ch_err1").status == AttemptStatus.AUTHORIZED


@pytest.mark.parametrize(
    ("amount", "failure", "decline"),
    [
        (5101, "card_declined", "insufficient_funds"),
        (5105, "card_declined", "do_not_honor"),
        (5154, "expired_card", "expired_card"),
        (5182, "incorrect_cvc", "incorrect_cvc"),
        (5159, "card_declined", "fraudulent"),
        (5300, "card_declined", "generic_decline"),
        (5400, "processing_error", "processing_error"),
        (5110, "card_declined", "insufficient_funds"),  # no partial approvals asked for
    ],
)
def test_declines_by_magic_amount(url: str, amount: int, failure: str, decline: str) -> None:
    result = gateway(url).authorize(charge(f"ch_amt{amount}", amount, card(url)))
    assert result.status == AttemptStatus.DECLINED
    assert (result.failure_code, result.decline_code) == (failure, decline)
    assert result.reference


@pytest.mark.parametrize(
    ("number", "decline"),
    [
        ("4000000000000002", "do_not_honor"),
        ("4000000000009995", "insufficient_funds"),
        ("4000000000000069", "expired_card"),
        ("4000000000000127", "incorrect_cvc"),
        ("4000000000009987", "lost_card"),
        ("4000000000009979", "stolen_card"),
    ],
)
def test_declines_by_magic_card(url: str, number: str, decline: str) -> None:
    result = gateway(url).authorize(charge(f"ch_{number}", 1000, card(url, number)))
    assert result.status == AttemptStatus.DECLINED
    assert result.decline_code == decline


def test_expired_date_declines(url: str) -> None:
    result = gateway(url).authorize(charge("ch_exp", 1000, card(url, expiration="01/20")))
    assert result.decline_code == "expired_card"


def test_avs_and_cvv_failures_still_approve(url: str) -> None:
    bluedog = gateway(url)
    avs = bluedog.authorize(charge("ch_avs", 5201, card(url)))
    assert avs.status == AttemptStatus.SUCCEEDED
    assert avs.checks["address_line1_check"] == "fail"
    assert avs.checks["address_postal_code_check"] == "fail"
    zip_only = bluedog.authorize(charge("ch_zip", 1000, card(url, "4000000000000036")))
    assert zip_only.checks["address_line1_check"] == "pass"
    assert zip_only.checks["address_postal_code_check"] == "fail"
    cvc = bluedog.authorize(charge("ch_cvc", 1000, card(url, "4000000000000101")))
    assert cvc.checks["cvc_check"] == "fail"


def test_partial_approval_on_the_wire(url: str) -> None:
    body = {
        "type": "sale",
        "amount": 5110,
        "allow_partial_payment": True,
        "payment_method": {"token": tokenize(url)},
    }
    data = requests.post(
        f"{url}/api/transaction", json=body, headers={"Authorization": KEY}, timeout=5
    ).json()["data"]
    assert data["response_code"] == 110
    assert data["amount_authorized"] == 2555


def test_idempotency_key_repeats_return_the_original(url: str) -> None:
    body = {
        "type": "sale",
        "amount": 700,
        "idempotency_key": "6f1c2a9e-8b3d-4c5e-9f7a-1b2c3d4e5f60",
        "payment_method": {"token": tokenize(url)},
    }
    headers = {"Authorization": KEY}
    first = requests.post(f"{url}/api/transaction", json=body, headers=headers, timeout=5)
    second = requests.post(f"{url}/api/transaction", json=body, headers=headers, timeout=5)
    assert first.json()["data"]["id"] == second.json()["data"]["id"]
    assert len(transactions(url)) == 1


def test_credentials(url: str) -> None:
    for key in ("", "pub_sim_public"):
        response = requests.get(f"{url}/api/user", headers={"Authorization": key}, timeout=5)
        assert response.status_code == 401
        assert response.json() == {"status": "failed", "msg": "unauthorized"}
        assert response.headers["x-correlation-id"]
    with pytest.raises(ConnectorAuthError):
        BlueDogProcessor({"api_key": "pub_sim_public", "api_url": url})


def test_no_webhooks(url: str) -> None:
    bluedog = gateway(url)
    assert not bluedog.capabilities.webhooks
    with pytest.raises(WebhookRejected):
        bluedog.parse_webhook({}, b"{}")


def test_each_app_has_its_own_state(url: str) -> None:
    gateway(url).authorize(charge("ch_mine", 1000, card(url)))
    with serving(create_app()) as other:
        assert transactions(other) == []
        assert gateway(other).sync(None, attempt_id="ch_mine").status == AttemptStatus.UNKNOWN
    assert len(transactions(url)) == 1
