"""The real Forward connector against the real Forward simulator over loopback HTTP."""

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
    FlowNotSupported,
)
from dealerhub.connectors.processors.base import (
    AttemptStatus,
    AuthorizeRequest,
    PaymentSource,
    ProcessorResult,
)
from dealerhub.connectors.processors.forward import ForwardProcessor
from dealerhub.simulators.forward import SIM_ACCOUNT_ID, SIM_API_KEY, SIM_PUBLIC_KEY, create_app
from dealerhub.simulators.server import serving

VISA = "4242424242424242"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serving(create_app()) as base:
        yield base


@pytest.fixture
def url(server: str) -> str:
    """One server per module (shutting one down costs half a second); each test starts from
    ``/__simulator__/reset``, which forgets intents, payments, methods and idempotent replies."""
    requests.post(f"{server}/__simulator__/reset", timeout=5).raise_for_status()
    return server


def connector(url: str, **kw: Any) -> ForwardProcessor:
    config = {
        "api_key": SIM_API_KEY,
        "public_key": SIM_PUBLIC_KEY,
        "account_id": SIM_ACCOUNT_ID,
        "environment": "sandbox",
        "api_url": url,
        **kw.pop("config", {}),
    }
    return ForwardProcessor(config, **kw)


def tokenize(url: str, number: str = VISA, **extra: Any) -> str:
    body = {"card": {"number": number, "exp_month": "12", "exp_year": "2034"}, **extra}
    response = requests.post(
        f"{url}/__simulator__/payment_methods",
        json=body,
        headers={"x-api-key": SIM_PUBLIC_KEY},
        timeout=5,
    )
    response.raise_for_status()
    return response.json()["id"]


def bank_token(url: str) -> str:
    response = requests.post(
        f"{url}/__simulator__/payment_methods",
        json={"bank": {"routing_number": "021000021", "account_number": "000123456789"}},
        headers={"x-api-key": SIM_PUBLIC_KEY},
        timeout=5,
    )
    response.raise_for_status()
    assert "000123456789" not in response.text
    return response.json()["id"]


def card(url: str, number: str = VISA) -> PaymentSource:
    return PaymentSource(type="card", token=tokenize(url, number), brand="visa", last4=number[-4:])


def charge(
    attempt: str, amount: int, source: PaymentSource, capture: bool = True
) -> AuthorizeRequest:
    return AuthorizeRequest(attempt, amount, "usd", source, capture, description="Deposit")


def ref(result: ProcessorResult) -> str:
    assert result.reference is not None
    return result.reference


def control(url: str, path: str, body: dict | None = None) -> dict:
    response = requests.post(f"{url}/__simulator__/{path}", json=body or {}, timeout=5)
    response.raise_for_status()
    return response.json()


def transactions(url: str) -> list[dict]:
    return requests.get(f"{url}/__simulator__/transactions", timeout=5).json()["data"]


def test_sale(url: str) -> None:
    result = connector(url).authorize(charge("ch_sim_sale_000001", 150000, card(url)))
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.amount == 150000
    assert ref(result).startswith("pi_")
    assert result.checks == {
        "address_line1_check": "pass",
        "address_postal_code_check": "pass",
        "cvc_check": "pass",
    }
    (pi,) = transactions(url)
    assert pi["reference_id"] == "ch_sim_sale_000001"
    assert pi["status"] == "captured"


def test_auth_partial_capture_partial_refunds(url: str) -> None:
    fwd = connector(url)
    auth = fwd.authorize(charge("ch_sim_auth_000001", 100000, card(url), capture=False))
    assert auth.status == AttemptStatus.AUTHORIZED
    captured = fwd.capture(ref(auth), 60000, attempt_id="cap_sim_000001")
    assert (captured.status, captured.amount) == (AttemptStatus.SUCCEEDED, 60000)
    first = fwd.refund(ref(auth), 10000, refund_id="re_sim_refund_0001")
    second = fwd.refund(ref(auth), 20000, refund_id="re_sim_refund_0002")
    assert (first.status, first.amount) == (AttemptStatus.PENDING, 10000)
    assert second.reference != first.reference
    with pytest.raises(ConnectorRejected):  # only 30000 left to refund
        fwd.refund(ref(auth), 40000, refund_id="re_sim_refund_0003")
    control(url, "settle")
    synced = fwd.sync(first.reference, attempt_id="re_sim_refund_0001")
    assert (synced.status, synced.amount) == (AttemptStatus.SUCCEEDED, 10000)
    pi = fwd.sync(auth.reference, attempt_id="ch_sim_auth_000001")
    assert (pi.status, pi.amount) == (AttemptStatus.SUCCEEDED, 60000)


def test_capture_twice_is_rejected(url: str) -> None:
    fwd = connector(url)
    auth = fwd.authorize(charge("ch_sim_auth_000002", 5000, card(url), capture=False))
    fwd.capture(ref(auth), 5000, attempt_id="cap_sim_000002")
    with pytest.raises(ConnectorRejected) as err:
        fwd.capture(ref(auth), 5000, attempt_id="cap_sim_000003")
    assert err.value.vendor_code == "invalid_state"


def test_void(url: str) -> None:
    fwd = connector(url)
    auth = fwd.authorize(charge("ch_sim_void_000001", 25000, card(url), capture=False))
    voided = fwd.void(ref(auth), attempt_id="void_sim_000001")
    assert (voided.status, voided.amount) == (AttemptStatus.SUCCEEDED, 25000)
    with pytest.raises(ConnectorRejected):
        fwd.capture(ref(auth), 25000, attempt_id="cap_sim_000004")


def test_bank_debit_settles(url: str) -> None:
    fwd = connector(url)
    bank = PaymentSource(type="us_bank_account", token=bank_token(url))
    result = fwd.authorize(charge("ch_sim_bank_000001", 80000, bank))
    assert result.status == AttemptStatus.PROCESSING
    with pytest.raises(ConnectorRejected):  # not refundable before it settles
        fwd.refund(ref(result), 1000, refund_id="re_sim_bank_00001")
    assert fwd.sync(result.reference, attempt_id="ch_sim_bank_000001").status == (
        AttemptStatus.PROCESSING
    )
    assert result.reference in control(url, "settle")["settled"]
    settled = fwd.sync(result.reference, attempt_id="ch_sim_bank_000001")
    assert (settled.status, settled.amount) == (AttemptStatus.SUCCEEDED, 80000)


def test_bank_debit_returned(url: str) -> None:
    fwd = connector(url)
    bank = PaymentSource(type="us_bank_account", token=bank_token(url))
    result = fwd.authorize(charge("ch_sim_bank_000002", 80000, bank))
    control(url, "settle", {"return_code": "R01"})
    returned = fwd.sync(None, attempt_id="ch_sim_bank_000002")
    assert returned.status == AttemptStatus.DECLINED
    assert returned.failure_code == "R01"
    assert returned.reference == result.reference


def test_bank_debit_cannot_be_authorized_only(url: str) -> None:
    bank = PaymentSource(type="us_bank_account", token=bank_token(url))
    with pytest.raises(FlowNotSupported):
        connector(url).authorize(charge("ch_sim_bank_000003", 80000, bank, capture=False))


def test_setup_vaults_a_reusable_method(url: str) -> None:
    fwd = connector(url)
    token = tokenize(url)
    result = fwd.setup(PaymentSource(type="card", token=token), attempt_id="seti_sim_00001")
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.vault_token == token
    again = fwd.authorize(charge("ch_sim_vault_00001", 3000, PaymentSource("card", token)))
    assert again.status == AttemptStatus.SUCCEEDED
    single = tokenize(url, single_use=True)
    with pytest.raises(ConnectorRejected):
        fwd.setup(PaymentSource(type="card", token=single), attempt_id="seti_sim_00002")


def test_read_timeout_then_sync_by_attempt_id_and_reference(url: str) -> None:
    slow = connector(url, timeout=(2.0, 0.5))
    control(url, "faults", {"faults": [{"delay": 1.5}]})
    with pytest.raises(ConnectorOutcomeUnknown):
        slow.authorize(charge("ch_sim_slow_000001", 42000, card(url)))
    fwd = connector(url)
    found = fwd.sync(None, attempt_id="ch_sim_slow_000001")
    assert (found.status, found.amount) == (AttemptStatus.SUCCEEDED, 42000)
    by_reference = fwd.sync(found.reference, attempt_id="ch_sim_slow_000001")
    assert by_reference.status == AttemptStatus.SUCCEEDED
    assert by_reference.reference == found.reference


def test_magic_timeout_amount(url: str) -> None:
    slow = connector(url, timeout=(2.0, 0.5))
    with pytest.raises(ConnectorOutcomeUnknown):
        slow.authorize(charge("ch_sim_slow_000002", 5408, card(url)))
    assert connector(url).sync(None, attempt_id="ch_sim_slow_000002").status == (
        AttemptStatus.SUCCEEDED
    )


def test_503_before_processing_then_retry_with_the_same_attempt(url: str) -> None:
    fwd = connector(url)
    source = card(url)
    control(url, "faults", {"faults": [{"status": 503}]})
    with pytest.raises(ConnectorUnavailable) as err:
        fwd.authorize(charge("ch_sim_503_0000001", 12000, source))
    assert type(err.value) is ConnectorUnavailable
    (pi,) = transactions(url)
    assert pi["status"] == "created"  # no payment was made
    assert pi["latest_payment"] is None
    # The hub's one retry, same attempt id: the intent is replayed, not made twice.
    retried = fwd.authorize(charge("ch_sim_503_0000001", 12000, source))
    assert retried.status == AttemptStatus.SUCCEEDED
    assert retried.reference == pi["id"]
    assert len(transactions(url)) == 1


def test_500_after_processing_is_unknown_and_the_payment_exists(url: str) -> None:
    fwd = connector(url)
    with pytest.raises(ConnectorOutcomeUnknown):
        fwd.authorize(charge("ch_sim_500_0000001", 5500, card(url)))
    assert fwd.sync(None, attempt_id="ch_sim_500_0000001").status == AttemptStatus.SUCCEEDED


def test_idempotent_replay_of_a_payment(url: str) -> None:
    fwd = connector(url)
    source = card(url)
    first = fwd.authorize(charge("ch_sim_idem_000001", 7000, source))
    second = fwd.authorize(charge("ch_sim_idem_000001", 7000, source))
    assert second.reference == first.reference
    assert len(transactions(url)) == 1


@pytest.mark.parametrize(
    ("number", "amount", "failure_code", "decline_code"),
    [
        ("4112912498587255", 1000, "card_declined", "insufficient_funds"),
        ("4867094332104873", 1000, "card_declined", "do_not_honor"),
        ("4000000000000069", 1000, "expired_card", "expired_card"),
        ("4000000000000127", 1000, "incorrect_cvc", "incorrect_cvc"),
        ("4000000000000002", 1000, "card_declined", "generic_decline"),
        (VISA, 5101, "card_declined", "insufficient_funds"),
        (VISA, 5102, "card_declined", "do_not_honor"),
        (VISA, 5103, "expired_card", "expired_card"),
        (VISA, 5104, "incorrect_cvc", "incorrect_cvc"),
    ],
)
def test_declines_by_magic_card_and_amount(
    url: str, number: str, amount: int, failure_code: str, decline_code: str
) -> None:
    result = connector(url).authorize(charge("ch_sim_decline_001", amount, card(url, number)))
    assert result.status == AttemptStatus.DECLINED
    assert (result.failure_code, result.decline_code) == (failure_code, decline_code)
    assert result.processor_code == "failed"


@pytest.mark.parametrize(("number", "amount"), [("4208475663072763", 1000), (VISA, 5105)])
def test_avs_mismatch(url: str, number: str, amount: int) -> None:
    result = connector(url).authorize(charge("ch_sim_avs_0000001", amount, card(url, number)))
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.checks["address_line1_check"] == "fail"
    assert result.checks["address_postal_code_check"] == "fail"


def test_partial_approval(url: str) -> None:
    result = connector(url).authorize(charge("ch_sim_partial_001", 5150, card(url)))
    assert (result.status, result.amount) == (AttemptStatus.SUCCEEDED, 5000)


def test_wrong_credentials_and_check(url: str) -> None:
    connector(url).check()
    bad = connector(url, config={"api_key": "sim_invalid_key"})
    with pytest.raises(ConnectorAuthError):
        bad.check()
    with pytest.raises(ConnectorAuthError):
        bad.authorize(charge("ch_sim_badkey_0001", 1000, card(url)))
    assert transactions(url) == []


def test_another_accounts_intent_is_not_found(url: str) -> None:
    fwd = connector(url)
    sold = fwd.authorize(charge("ch_sim_acct_000001", 1000, card(url)))
    other = connector(url, config={"account_id": "acct_other"})
    with pytest.raises(ConnectorRejected):
        other.sync(sold.reference, attempt_id="ch_sim_acct_000001")


def test_reset_forgets_payment_methods_and_replays(url: str) -> None:
    token = tokenize(url)
    connector(url).authorize(charge("ch_sim_reset_00001", 1000, PaymentSource("card", token)))
    control(url, "reset")
    assert transactions(url) == []
    with pytest.raises(ConnectorRejected):  # the method is gone, and nothing is replayed
        connector(url).authorize(charge("ch_sim_reset_00001", 1000, PaymentSource("card", token)))


def test_refused_connection_is_unavailable() -> None:
    with serving(create_app()) as gone:
        pass
    with pytest.raises(ConnectorUnavailable) as err:
        connector(gone).check()
    assert type(err.value) is ConnectorUnavailable
