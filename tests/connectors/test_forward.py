"""Forward connector against recorded vendor shapes (seed 003), with ``responses``: every
operation's method, URL, headers and body, and how each answer maps onto results and errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorOutcomeUnknown,
    ConnectorRejected,
    ConnectorResponseError,
    ConnectorUnavailable,
    FlowNotSupported,
    WebhookRejected,
)
from dealerhub.connectors.processors.base import (
    AttemptStatus,
    AuthorizeRequest,
    BankAccount,
    PaymentProcessor,
    PaymentSource,
)
from dealerhub.connectors.processors.forward import (
    BASE_URLS,
    CONFIG_FIELDS,
    SECRET_FIELDS,
    ForwardProcessor,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/http/forward"
BASE = BASE_URLS["sandbox"]
API_KEY = "fwd_sk_live_9f8e7d6c5b4a3210"
CONFIG = {
    "api_key": API_KEY,
    "public_key": "fwd_pk_live_0123456789",
    "account_id": "acct_12345678",
    "environment": "sandbox",
}
PI = "pi_2SG6ibTHTo4N6Sdx6Oh66IGg3o3"
ATTEMPT = "ch_0lwq3k2a1AbCdEfGhIjKlMnOp"
CARD = PaymentSource(type="card", token="pm_2SG6kq1TVDSo4xJcY0Wq8dfz", brand="visa", last4="4242")
BANK = PaymentSource(type="us_bank_account", token="pm_2SG6m0bank9Yw1qP3cTq7LxV")


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def raw_fixture(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text()


def processor() -> ForwardProcessor:
    return ForwardProcessor(CONFIG)


def sale(
    amount: int = 150000, capture: bool = True, source: PaymentSource = CARD, **kw: Any
) -> AuthorizeRequest:
    return AuthorizeRequest(
        attempt_id=ATTEMPT,
        amount=amount,
        currency="usd",
        source=source,
        capture=capture,
        description="Deposit on stock #A1234",
        metadata={"deal": "D-1001"},
        **kw,
    )


def body_of(call: Any) -> dict:
    return json.loads(call.request.body)


def assert_auth_headers(call: Any, idempotency_key: str | None = None) -> None:
    headers = call.request.headers
    assert headers["x-api-key"] == API_KEY
    assert "Bearer" not in headers["x-api-key"]
    assert headers["x-account-id"] == "acct_12345678"
    if idempotency_key is None:
        assert "x-idempotency-key" not in headers
    else:
        assert headers["x-idempotency-key"] == idempotency_key
        assert len(headers["x-idempotency-key"]) >= 10


def mock_charge(payment_fixture: str, *, status: int = 200) -> None:
    responses.post(f"{BASE}/payment_intents", json=fixture("intent_created"))
    responses.post(
        f"{BASE}/payment_intents/{PI}/payments", json=fixture(payment_fixture), status=status
    )


# --- configuration ------------------------------------------------------------------------


def test_module_constants_and_protocol() -> None:
    assert BASE_URLS == {
        "sandbox": "https://api.sandbox.getfwd.com",
        "production": "https://api.getfwd.com",
    }
    assert CONFIG_FIELDS == ("api_key", "public_key", "account_id")
    assert set(SECRET_FIELDS) == {"api_key"}
    proc = processor()
    assert isinstance(proc, PaymentProcessor)
    assert proc.name == "forward"
    caps = proc.capabilities
    assert (caps.card, caps.manual_capture, caps.partial_capture) == (True, True, True)
    assert (caps.partial_refund, caps.multiple_refunds, caps.bank_debit) == (True, True, True)
    assert (caps.three_d_secure, caps.webhooks, caps.void_before_settlement_only) == (
        False,
        False,
        False,
    )
    assert caps.setup is True
    assert caps.currencies == frozenset({"usd"})


@pytest.mark.parametrize("missing", ["api_key", "public_key", "account_id"])
def test_missing_config_names_the_key_never_the_value(missing: str) -> None:
    config = {k: v for k, v in CONFIG.items() if k != missing}
    with pytest.raises(ConnectorAuthError) as err:
        ForwardProcessor(config)
    assert err.value.vendor_code == "config"
    assert missing in err.value.message
    assert API_KEY not in err.value.message


def test_environment_and_api_url() -> None:
    assert ForwardProcessor({**CONFIG, "environment": "production"}).base_url == (
        "https://api.getfwd.com"
    )
    assert ForwardProcessor({**CONFIG, "api_url": "http://127.0.0.1:9999/"}).base_url == (
        "http://127.0.0.1:9999"
    )
    with pytest.raises(ConnectorAuthError):
        ForwardProcessor({**CONFIG, "environment": "staging"})
    with pytest.raises(ConnectorAuthError):
        ForwardProcessor({**CONFIG, "api_url": "http://api.example.com"})
    assert API_KEY not in repr(processor())


# --- authorize ------------------------------------------------------------------------------


@responses.activate
def test_sale_creates_an_intent_then_a_payment() -> None:
    mock_charge("payment_approved")
    result = processor().authorize(sale())
    create, pay = responses.calls
    assert create.request.method == "POST"
    assert create.request.url == f"{BASE}/payment_intents"
    assert_auth_headers(create, ATTEMPT)
    assert create.request.headers["Content-Type"] == "application/json"
    assert body_of(create) == {
        "amount": 150000,
        "currency": "USD",
        "capture": True,
        "reference_id": ATTEMPT,
        "payment_method_types": ["card"],
        "description": "Deposit on stock #A1234",
        "user_fields": {"deal": "D-1001"},
    }
    assert pay.request.method == "POST"
    assert pay.request.url == f"{BASE}/payment_intents/{PI}/payments"
    assert_auth_headers(pay, f"{ATTEMPT}:payment")
    assert body_of(pay) == {
        "payment_method_id": CARD.token,
        "reference_id": ATTEMPT,
        "description": "Deposit on stock #A1234",
    }
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.reference == PI
    assert result.amount == 150000
    assert result.network_status == "approved_by_network"
    assert result.processor_code == "captured"
    assert result.processor_message == "Approval"
    assert result.checks == {
        "address_line1_check": "pass",
        "address_postal_code_check": "pass",
        "cvc_check": "pass",
    }


@responses.activate
def test_authorize_only_sends_capture_false_and_answers_authorized() -> None:
    mock_charge("payment_authorized")
    result = processor().authorize(sale(capture=False))
    assert body_of(responses.calls[0])["capture"] is False
    assert result.status == AttemptStatus.AUTHORIZED
    assert result.amount == 150000


@responses.activate
def test_off_session_charge_is_marked_merchant_initiated() -> None:
    mock_charge("payment_approved")
    processor().authorize(sale(off_session=True))
    assert body_of(responses.calls[1])["order_details"] == {"initiated_by": "merchant"}


@pytest.mark.parametrize(
    ("name", "failure_code", "decline_code", "text"),
    [
        ("payment_declined", "card_declined", "insufficient_funds", "Insufficient funds"),
        ("payment_declined_do_not_honor", "card_declined", "do_not_honor", "Do not honor"),
        ("payment_declined_expired", "expired_card", "expired_card", "Expired card"),
        ("payment_declined_cvv", "incorrect_cvc", "incorrect_cvc", "CVV mismatch"),
    ],
)
@responses.activate
def test_declines_are_results_not_errors(
    name: str, failure_code: str, decline_code: str, text: str
) -> None:
    mock_charge(name)
    result = processor().authorize(sale())
    assert result.status == AttemptStatus.DECLINED
    assert result.reference == PI
    assert (result.failure_code, result.decline_code) == (failure_code, decline_code)
    assert result.network_status == "declined_by_network"
    assert result.processor_code == "failed"
    assert result.processor_message == text
    assert result.message


@responses.activate
def test_cvv_mismatch_decline_reports_the_failed_check() -> None:
    mock_charge("payment_declined_cvv")
    assert processor().authorize(sale()).checks["cvc_check"] == "fail"


@responses.activate
def test_decline_in_an_error_status_is_still_a_decline() -> None:
    mock_charge("payment_declined", status=402)
    result = processor().authorize(sale())
    assert result.status == AttemptStatus.DECLINED
    assert result.decline_code == "insufficient_funds"


@responses.activate
def test_partial_approval_reports_the_approved_amount() -> None:
    mock_charge("payment_partial_approval")
    result = processor().authorize(sale())
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.amount == 100000
    assert result.processor_message == "Partial Approval"


@responses.activate
def test_avs_mismatch_is_approved_with_failed_address_checks() -> None:
    mock_charge("payment_avs_mismatch")
    result = processor().authorize(sale())
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.checks == {
        "address_line1_check": "fail",
        "address_postal_code_check": "fail",
        "cvc_check": "pass",
    }


@responses.activate
def test_avs_letters_fill_in_when_forward_sends_no_check_fields() -> None:
    payment = fixture("payment_approved")
    payment.update(
        avs="Z", cvv="N", address_line1_check=None, address_postal_code_check=None, cvv_check=None
    )
    responses.post(f"{BASE}/payment_intents", json=fixture("intent_created"))
    responses.post(f"{BASE}/payment_intents/{PI}/payments", json=payment)
    assert processor().authorize(sale()).checks == {
        "address_line1_check": "fail",
        "address_postal_code_check": "pass",
        "cvc_check": "fail",
    }


@responses.activate
def test_raw_is_masked() -> None:
    intent = fixture("intent_created")
    responses.post(f"{BASE}/payment_intents", json=intent)
    responses.post(f"{BASE}/payment_intents/{PI}/payments", json=fixture("payment_approved"))
    result = processor().authorize(sale())
    dumped = json.dumps(result.raw)
    assert API_KEY not in dumped
    assert result.raw["payment_method"]["card"]["last_four_digits"] == "4242"
    responses.get(f"{BASE}/payment_intents/{PI}", json=fixture("intent_captured_partial"))
    synced = processor().sync(PI, attempt_id=ATTEMPT)
    assert synced.raw["client_secret"] == "***"
    assert "_secret_" not in json.dumps(synced.raw)


@responses.activate
def test_bank_debit_is_processing_until_settled() -> None:
    mock_charge("payment_bank_pending")
    result = processor().authorize(sale(source=BANK))
    assert body_of(responses.calls[0])["payment_method_types"] == ["bank"]
    assert body_of(responses.calls[1])["payment_method_id"] == BANK.token
    assert result.status == AttemptStatus.PROCESSING
    assert result.amount == 150000


def test_bank_numbers_without_a_forward_token_are_not_supported() -> None:
    source = PaymentSource(
        type="us_bank_account",
        token="",
        bank=BankAccount(routing_number="110000000", account_number="000123456789"),
    )
    with pytest.raises(FlowNotSupported) as err:
        processor().authorize(sale(source=source))
    assert "000123456789" not in err.value.message


def test_bank_debit_cannot_be_authorized_only() -> None:
    with pytest.raises(FlowNotSupported):
        processor().authorize(sale(source=BANK, capture=False))


def test_other_currencies_are_refused_before_any_call() -> None:
    request = AuthorizeRequest(ATTEMPT, 1000, "cad", CARD, True)
    with pytest.raises(ConnectorRejected) as err:
        processor().authorize(request)
    assert err.value.vendor_code == "currency_not_supported"


def test_no_three_d_secure() -> None:
    with pytest.raises(FlowNotSupported):
        processor().complete_action(PI, success=True, capture=True)


# --- capture, void, refund ------------------------------------------------------------------


@responses.activate
def test_partial_capture() -> None:
    responses.post(f"{BASE}/payment_intents/{PI}/capture", json=fixture("intent_captured_partial"))
    result = processor().capture(PI, 90000, attempt_id="ch_0lwq3k2a1AbCdEfGhIjKlMnOp")
    (call,) = responses.calls
    assert call.request.method == "POST"
    assert call.request.url == f"{BASE}/payment_intents/{PI}/capture"
    assert_auth_headers(call, "ch_0lwq3k2a1AbCdEfGhIjKlMnOp:capture")
    assert body_of(call) == {"amount": 90000}
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.reference == PI
    assert result.amount == 90000


@responses.activate
def test_capture_refused_by_state_is_rejected() -> None:
    responses.post(
        f"{BASE}/payment_intents/{PI}/capture", json=fixture("error_400_state"), status=400
    )
    with pytest.raises(ConnectorRejected) as err:
        processor().capture(PI, 90000, attempt_id="cap_0lwq3k2a1AbCdEfGhIj")
    assert err.value.http_status == 400
    assert err.value.vendor_code == "invalid_state"
    assert "captured" in err.value.message
    assert not err.value.retryable


@responses.activate
def test_void_cancels_the_intent() -> None:
    responses.post(f"{BASE}/payment_intents/{PI}/cancel", json=fixture("intent_cancelled"))
    result = processor().void(PI, attempt_id="ch_0lwq3k2a1AbCdEfGhIjKlMnOp")
    (call,) = responses.calls
    assert call.request.url == f"{BASE}/payment_intents/{PI}/cancel"
    assert_auth_headers(call, "ch_0lwq3k2a1AbCdEfGhIjKlMnOp:cancel")
    assert body_of(call) == {"cancellation_reason": "requested_by_customer"}
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.reference == PI
    assert result.amount == 150000


@responses.activate
def test_refund_is_pending_until_forward_settles_it() -> None:
    responses.post(f"{BASE}/payment_intents/{PI}/refunds", json=fixture("refund_pending"))
    result = processor().refund(PI, 25000, refund_id="re_0lwq3k2a1AbCdEfGhIjKl")
    (call,) = responses.calls
    assert call.request.method == "POST"
    assert call.request.url == f"{BASE}/payment_intents/{PI}/refunds"
    assert_auth_headers(call, "re_0lwq3k2a1AbCdEfGhIjKl")
    assert body_of(call) == {"amount": 25000}
    assert result.status == AttemptStatus.PENDING
    assert result.reference == "re_2SG6q7uKc0ZbYw3ZsMx9Lp2d"
    assert result.amount == 25000


# --- setup, sync, check, tokenizer, webhooks ------------------------------------------------


@responses.activate
def test_setup_reads_the_payment_method_and_vaults_it() -> None:
    responses.get(f"{BASE}/payment_methods/{CARD.token}", json=fixture("payment_method_card"))
    result = processor().setup(CARD, attempt_id="seti_0lwq3k2a1AbCdEfGhIj")
    (call,) = responses.calls
    assert call.request.method == "GET"
    assert_auth_headers(call)
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.vault_token == CARD.token


@responses.activate
def test_setup_refuses_a_single_use_token() -> None:
    method = fixture("payment_method_card")
    method["single_use_token"] = True
    responses.get(f"{BASE}/payment_methods/{CARD.token}", json=method)
    with pytest.raises(ConnectorRejected) as err:
        processor().setup(CARD, attempt_id="seti_0lwq3k2a1AbCdEfGhIj")
    assert err.value.vendor_code == "single_use_token"


@responses.activate
def test_setup_declines_an_expired_card() -> None:
    method = fixture("payment_method_card")
    method["card"]["exp_year"] = "2019"
    responses.get(f"{BASE}/payment_methods/{CARD.token}", json=method)
    result = processor().setup(CARD, attempt_id="seti_0lwq3k2a1AbCdEfGhIj")
    assert result.status == AttemptStatus.DECLINED
    assert result.decline_code == "expired_card"


@responses.activate
def test_sync_by_attempt_id_searches_by_reference_id() -> None:
    responses.post(f"{BASE}/payment_intents/search", json=fixture("search_found"))
    result = processor().sync(None, attempt_id=ATTEMPT)
    (call,) = responses.calls
    assert call.request.method == "POST"
    assert call.request.url == f"{BASE}/payment_intents/search"
    assert_auth_headers(call)
    assert body_of(call) == {"reference_id": ATTEMPT, "limit": 1}
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.reference == PI
    assert result.amount == 150000


@responses.activate
def test_sync_by_attempt_id_finding_nothing_is_not_a_verdict() -> None:
    responses.post(f"{BASE}/payment_intents/search", json=fixture("search_empty"))
    with pytest.raises(ConnectorRejected) as err:
        processor().sync(None, attempt_id=ATTEMPT)
    assert err.value.vendor_code == "not_found"


@responses.activate
def test_sync_of_an_intent_without_a_payment_is_not_charged() -> None:
    responses.post(
        f"{BASE}/payment_intents/search",
        json={"data": [fixture("intent_created")], "meta": {"limit": 1, "page": 1}},
    )
    result = processor().sync(None, attempt_id=ATTEMPT)
    assert result.status == AttemptStatus.DECLINED
    assert result.network_status == "not_sent_to_network"


@responses.activate
def test_sync_by_reference_reads_the_intent() -> None:
    responses.get(f"{BASE}/payment_intents/{PI}", json=fixture("intent_captured_partial"))
    result = processor().sync(PI, attempt_id=ATTEMPT)
    (call,) = responses.calls
    assert call.request.method == "GET"
    assert_auth_headers(call)
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.amount == 90000


@responses.activate
def test_sync_of_a_returned_bank_debit_names_the_return_code() -> None:
    responses.get(f"{BASE}/payment_intents/{PI}", json=fixture("intent_bank_returned"))
    result = processor().sync(PI, attempt_id=ATTEMPT)
    assert result.status == AttemptStatus.DECLINED
    assert result.failure_code == "R01"
    assert result.processor_message == "R01 Insufficient Funds"


@responses.activate
def test_sync_of_a_refund_reads_the_refund() -> None:
    ref = "re_2SG6q7uKc0ZbYw3ZsMx9Lp2d"
    responses.get(f"{BASE}/refunds/{ref}", json=fixture("refund_succeeded"))
    result = processor().sync(ref, attempt_id="re_0lwq3k2a1AbCdEfGhIjKl")
    assert responses.calls[0].request.method == "GET"
    assert_auth_headers(responses.calls[0])
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.amount == 25000


@responses.activate
def test_check_is_one_authenticated_get() -> None:
    responses.get(f"{BASE}/payment_intents", json=fixture("list_intents"))
    processor().check()
    (call,) = responses.calls
    assert call.request.method == "GET"
    assert call.request.url == f"{BASE}/payment_intents?limit=1"
    assert_auth_headers(call)


def test_tokenizer_and_webhooks() -> None:
    assert processor().tokenizer() is None
    with pytest.raises(WebhookRejected) as err:
        processor().parse_webhook({}, b"{}")
    assert err.value.vendor_code == "signature_invalid"


# --- errors ---------------------------------------------------------------------------------


@responses.activate
def test_401_is_an_auth_error_without_secrets() -> None:
    responses.post(f"{BASE}/payment_intents", json=fixture("error_401"), status=401)
    with pytest.raises(ConnectorAuthError) as err:
        processor().authorize(sale())
    assert err.value.http_status == 401
    assert not err.value.retryable
    assert API_KEY not in str(err.value)


@responses.activate
def test_403_is_an_auth_error() -> None:
    responses.get(f"{BASE}/payment_intents", json=fixture("error_401"), status=403)
    with pytest.raises(ConnectorAuthError):
        processor().check()


@pytest.mark.parametrize(("status", "name"), [(503, "error_503"), (429, "error_429")])
@responses.activate
def test_503_and_429_mean_nothing_happened(status: int, name: str) -> None:
    mock_charge(name, status=status)
    with pytest.raises(ConnectorUnavailable) as err:
        processor().authorize(sale())
    assert type(err.value) is ConnectorUnavailable
    assert err.value.retryable
    assert err.value.http_status == status


@pytest.mark.parametrize("status", [500, 502, 504])
@responses.activate
def test_500s_after_sending_are_unknown_outcomes(status: int) -> None:
    mock_charge("error_500", status=status)
    with pytest.raises(ConnectorOutcomeUnknown) as err:
        processor().authorize(sale())
    assert err.value.http_status == status


@responses.activate
def test_malformed_2xx_on_a_money_call_is_an_unknown_outcome() -> None:
    responses.post(f"{BASE}/payment_intents", json=fixture("intent_created"))
    responses.post(f"{BASE}/payment_intents/{PI}/payments", body=raw_fixture("malformed"))
    with pytest.raises(ConnectorOutcomeUnknown):
        processor().authorize(sale())


@responses.activate
def test_malformed_2xx_on_a_read_is_a_response_error() -> None:
    responses.get(f"{BASE}/payment_intents/{PI}", body=raw_fixture("malformed"))
    with pytest.raises(ConnectorResponseError):
        processor().sync(PI, attempt_id=ATTEMPT)


@responses.activate
def test_read_timeout_is_an_unknown_outcome() -> None:
    responses.post(f"{BASE}/payment_intents", json=fixture("intent_created"))
    responses.post(f"{BASE}/payment_intents/{PI}/payments", body=requests.ReadTimeout("slow"))
    with pytest.raises(ConnectorOutcomeUnknown) as err:
        processor().authorize(sale())
    assert err.value.vendor_code == "read_timeout"


@responses.activate
def test_connect_timeout_is_unavailable() -> None:
    responses.post(f"{BASE}/payment_intents", body=requests.ConnectTimeout("no route"))
    with pytest.raises(ConnectorUnavailable) as err:
        processor().authorize(sale())
    assert type(err.value) is ConnectorUnavailable


@responses.activate
def test_refused_connection_is_unavailable() -> None:
    reason = NewConnectionError(None, "refused")  # type: ignore[arg-type]
    refused = requests.ConnectionError(MaxRetryError(None, "/payment_intents", reason))  # type: ignore[arg-type]
    responses.post(f"{BASE}/payment_intents", body=refused)
    with pytest.raises(ConnectorUnavailable) as err:
        processor().authorize(sale())
    assert type(err.value) is ConnectorUnavailable


@responses.activate
def test_connection_dropped_after_sending_is_an_unknown_outcome() -> None:
    dropped = requests.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError("reset by peer"))
    )
    responses.post(f"{BASE}/payment_intents/{PI}/refunds", body=dropped)
    with pytest.raises(ConnectorOutcomeUnknown):
        processor().refund(PI, 25000, refund_id="re_0lwq3k2a1AbCdEfGhIjKl")


@responses.activate
def test_answer_cut_off_mid_body_is_an_unknown_outcome() -> None:
    responses.post(
        f"{BASE}/payment_intents/{PI}/capture", body=requests.exceptions.ChunkedEncodingError("cut")
    )
    with pytest.raises(ConnectorOutcomeUnknown):
        processor().capture(PI, 1000, attempt_id="cap_0lwq3k2a1AbCdEfGhIj")
