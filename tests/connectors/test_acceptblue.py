"""Contract tests for the accept.blue connector: every request's method, URL, Basic auth and
body against the vendor's API v2 documentation, and every kind of answer mapped onto a result
or an error. ``responses`` stands in for the gateway; nothing leaves the process."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from responses import matchers
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
from dealerhub.connectors.processors.acceptblue import (
    BASE_URLS,
    CONFIG_FIELDS,
    SECRET_FIELDS,
    TOKENIZER_URLS,
    AcceptBlueProcessor,
    dumps,
)
from dealerhub.connectors.processors.base import (
    AttemptStatus,
    AuthorizeRequest,
    BankAccount,
    PaymentSource,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/http/acceptblue"
SANDBOX = BASE_URLS["sandbox"]
SOURCE_KEY = "SKtestABCDEFGHIJKLMNOP"
PIN = "987654"
CONFIG = {
    "source_key": SOURCE_KEY,
    "pin": PIN,
    "public_key": "pk_test_tokenization",
    "environment": "sandbox",
}
BASIC = "Basic " + base64.b64encode(f"{SOURCE_KEY}:{PIN}".encode()).decode()
NONCE = "nonce-ABCDEFGHIJ0123456789"
CARD = PaymentSource("card", f"{NONCE}|12/2030", brand="visa", last4="1111")
BANK = BankAccount("110000000", "000123456789", holder_name="Jo Buyer")


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return loaded


def mock(method: str, path: str, name: str, **kwargs: Any) -> responses.BaseResponse:
    data = fixture(name)
    text = data["text"] if "text" in data else json.dumps(data["body"])
    return responses.add(
        method,
        SANDBOX + path,
        body=text,
        status=data["http_status"],
        content_type="application/json",
        **kwargs,
    )


def sent(call_index: int = -1) -> tuple[requests.PreparedRequest, dict[str, Any]]:
    request = responses.calls[call_index].request
    body = json.loads(request.body) if request.body else {}
    return request, body


def processor(**kwargs: Any) -> AcceptBlueProcessor:
    return AcceptBlueProcessor(CONFIG, **kwargs)


def sale(
    amount: int = 1234, *, capture: bool = True, source: PaymentSource = CARD
) -> AuthorizeRequest:
    return AuthorizeRequest(
        attempt_id="ch_test_1",
        amount=amount,
        currency="usd",
        source=source,
        capture=capture,
        description="Deposit",
    )


def assert_auth(request: requests.PreparedRequest) -> None:
    assert request.headers["Authorization"] == BASIC
    assert request.headers.get("User-Agent", "").startswith("dealerhub/")


# --- configuration -------------------------------------------------------------------------


def test_module_constants_follow_the_seed() -> None:
    assert BASE_URLS == {
        "sandbox": "https://api.sandbox.micampblue.com/api/v2/",
        "production": "https://api.micampblue.com/api/v2/",
    }
    assert CONFIG_FIELDS == ("source_key", "pin", "public_key")
    assert frozenset({"source_key", "pin"}) == SECRET_FIELDS
    caps = AcceptBlueProcessor.capabilities
    assert caps.manual_capture and caps.partial_capture and caps.bank_debit and caps.setup
    assert caps.void_before_settlement_only and caps.webhooks and caps.multiple_refunds
    assert not caps.three_d_secure
    assert caps.currencies == frozenset({"usd"})


@pytest.mark.parametrize("missing", ["source_key", "pin", "public_key"])
def test_missing_config_names_the_key_never_a_value(missing: str) -> None:
    config = {k: v for k, v in CONFIG.items() if k != missing}
    with pytest.raises(ConnectorAuthError) as info:
        AcceptBlueProcessor(config)
    assert info.value.vendor_code == "config"
    assert missing in info.value.message
    assert SOURCE_KEY not in info.value.message and PIN not in info.value.message


@pytest.mark.parametrize(
    "change",
    [{"environment": "staging"}, {"api_url": "http://gateway.example/api/v2/"}],
)
def test_bad_environment_or_insecure_api_url_is_refused(change: dict[str, str]) -> None:
    with pytest.raises(ConnectorAuthError) as info:
        AcceptBlueProcessor({**CONFIG, **change})
    assert info.value.vendor_code == "config"


@responses.activate
def test_production_is_the_default_environment_and_api_url_overrides_it() -> None:
    config = {k: v for k, v in CONFIG.items() if k != "environment"}
    responses.add("GET", BASE_URLS["production"] + "transactions", json=[])
    AcceptBlueProcessor(config).check()
    responses.add("GET", "http://127.0.0.1:9999/transactions", json=[])
    AcceptBlueProcessor({**CONFIG, "api_url": "http://127.0.0.1:9999"}).check()
    assert [c.request.url for c in responses.calls] == [
        BASE_URLS["production"] + "transactions?limit=1",
        "http://127.0.0.1:9999/transactions?limit=1",
    ]


def test_decimal_amounts_are_exact_json_numbers() -> None:
    from decimal import Decimal

    assert dumps({"amount": Decimal("0.10"), "n": [Decimal("20000000.00")]}) == (
        b'{"amount":0.10,"n":[20000000.00]}'
    )


# --- charge --------------------------------------------------------------------------------


@responses.activate
def test_sale_request_and_approved_result() -> None:
    mock("POST", "transactions/charge", "charge_approved")
    result = processor().authorize(sale())
    request, body = sent()
    assert request.method == "POST"
    assert request.url == SANDBOX + "transactions/charge"
    assert_auth(request)
    assert request.headers["Content-Type"] == "application/json"
    assert b'"amount":12.34' in request.body  # type: ignore[operator]
    assert body == {
        "amount": 12.34,
        "source": NONCE,
        "expiry_month": 12,
        "expiry_year": 2030,
        "transaction_details": {"order_number": "ch_test_1", "description": "Deposit"},
        "capture": True,
        "transaction_flags": {"allow_partial_approval": False, "is_customer_initiated": True},
    }
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.reference == "1001"
    assert result.amount == 1234
    assert result.network_status == "approved_by_network"
    assert result.processor_code == "A"
    assert result.checks == {
        "address_line1_check": "unchecked",
        "address_postal_code_check": "unchecked",
        "cvc_check": "pass",
    }


@responses.activate
def test_auth_only_sends_capture_false_and_is_authorized() -> None:
    mock("POST", "transactions/charge", "charge_auth_approved")
    result = processor().authorize(sale(capture=False))
    assert sent()[1]["capture"] is False
    assert result.status == AttemptStatus.AUTHORIZED
    assert result.amount == 1234


@responses.activate
def test_vault_token_charge_sends_the_token_without_expiry() -> None:
    mock("POST", "transactions/charge", "charge_approved")
    processor().authorize(sale(source=PaymentSource("card", "tkn-SBABCDEFGH123456")))
    body = sent()[1]
    assert body["source"] == "tkn-SBABCDEFGH123456"
    assert "expiry_month" not in body


@responses.activate
def test_declined_charge_is_a_result_with_stripe_codes() -> None:
    mock("POST", "transactions/charge", "charge_declined")
    result = processor().authorize(sale())
    assert result.status == AttemptStatus.DECLINED
    assert result.failure_code == "card_declined"
    assert result.decline_code == "insufficient_funds"
    assert result.network_status == "declined_by_network"
    assert result.processor_code == "51"
    assert result.processor_message == "Insufficient Funds"
    assert result.message == "Your card was declined."


@pytest.mark.parametrize(
    ("status", "code", "message", "failure", "decline"),
    [
        ("D", "05", "Do Not Honor", "card_declined", "do_not_honor"),
        ("D", "54", "Expired Card", "expired_card", "expired_card"),
        ("D", "N7", "CVV2 Mismatch", "incorrect_cvc", "incorrect_cvc"),
        ("D", "41", "Lost Card", "card_declined", "lost_card"),
        ("D", "43", "Stolen Card", "card_declined", "stolen_card"),
        ("D", "59", "Suspected Fraud", "card_declined", "fraudulent"),
        ("D", "14", "Invalid Card Number", "incorrect_number", "incorrect_number"),
        ("D", "", "Insufficient funds in account", "card_declined", "insufficient_funds"),
        ("D", "XYZ", "Declined", "card_declined", "generic_decline"),
        ("E", "96", "System Malfunction", "processing_error", "processing_error"),
    ],
)
@responses.activate
def test_decline_code_mapping(
    status: str, code: str, message: str, failure: str, decline: str
) -> None:
    body = fixture("charge_declined")["body"]
    body.update(status_code=status, error_code=code, error_message=message)
    responses.add("POST", SANDBOX + "transactions/charge", json=body)
    result = processor().authorize(sale())
    assert (result.status, result.failure_code, result.decline_code) == (
        AttemptStatus.DECLINED,
        failure,
        decline,
    )
    assert result.network_status == (
        "not_sent_to_network" if status == "E" else "declined_by_network"
    )
    assert result.risk_level == ("highest" if decline == "fraudulent" else "normal")


@responses.activate
def test_processor_error_status_is_a_processing_error_decline() -> None:
    mock("POST", "transactions/charge", "charge_error")
    result = processor().authorize(sale())
    assert result.status == AttemptStatus.DECLINED
    assert result.failure_code == "processing_error"
    assert result.processor_code == "96"


@responses.activate
def test_partial_approval_reports_the_approved_amount() -> None:
    mock("POST", "transactions/charge", "charge_partial")
    result = processor(allow_partial_approval=True).authorize(sale())
    assert sent()[1]["transaction_flags"]["allow_partial_approval"] is True
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.amount == 617
    assert result.processor_code == "P"


@responses.activate
def test_avs_and_cvv_mismatch_are_checks_on_an_approval() -> None:
    mock("POST", "transactions/charge", "charge_avs_mismatch")
    result = processor().authorize(sale())
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.checks == {
        "address_line1_check": "fail",
        "address_postal_code_check": "fail",
        "cvc_check": "fail",
    }


@responses.activate
def test_bank_debit_sends_the_account_and_is_processing() -> None:
    mock("POST", "transactions/charge", "charge_check_approved")
    result = processor().authorize(
        sale(5000, source=PaymentSource("us_bank_account", "", bank=BANK))
    )
    body = sent()[1]
    assert body == {
        "amount": 50.0,
        "name": "Jo Buyer",
        "routing_number": "110000000",
        "account_number": "000123456789",
        "account_type": "checking",
        "sec_code": "WEB",
        "transaction_details": {"order_number": "ch_test_1", "description": "Deposit"},
    }
    assert result.status == AttemptStatus.PROCESSING
    assert result.reference == "1006"
    assert "000123456789" not in json.dumps(result.raw)


@responses.activate
def test_bank_debit_by_payment_method() -> None:
    mock("POST", "transactions/charge", "charge_check_approved")
    source = PaymentSource("us_bank_account", "pm-77")
    assert processor().authorize(sale(source=source)).status == AttemptStatus.PROCESSING
    assert sent()[1]["source"] == "pm-77"


def test_unsupported_flows_raise_before_any_call() -> None:
    ach = PaymentSource("us_bank_account", "", bank=BANK)
    with pytest.raises(FlowNotSupported):
        processor().authorize(sale(capture=False, source=ach))
    with pytest.raises(FlowNotSupported):
        processor().authorize(
            AuthorizeRequest("ch_1", 100, "eur", CARD, capture=True)  # USD only
        )
    with pytest.raises(FlowNotSupported):
        processor().complete_action("1001", success=True, capture=True)
    with pytest.raises(ConnectorRejected) as info:
        processor().authorize(sale(source=PaymentSource("card", "tok_visa_4242424242424242")))
    assert "4242" not in info.value.message
    with pytest.raises(ConnectorRejected):
        processor().authorize(sale(0))


# --- transport errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("error_401", ConnectorAuthError),
        ("error_403", ConnectorAuthError),
        ("error_400", ConnectorRejected),
        ("error_404", ConnectorRejected),
        ("error_503", ConnectorUnavailable),
        ("error_500", ConnectorOutcomeUnknown),
        ("malformed", ConnectorOutcomeUnknown),
    ],
)
@responses.activate
def test_http_answers_on_a_charge(name: str, error: type[Exception]) -> None:
    mock("POST", "transactions/charge", name)
    with pytest.raises(error) as info:
        processor().authorize(sale())
    exc = info.value
    assert type(exc) is error
    assert SOURCE_KEY not in str(exc) and PIN not in str(exc) and NONCE not in str(exc)
    assert getattr(exc, "vendor", None) == "acceptblue"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, ConnectorUnavailable),
        (502, ConnectorOutcomeUnknown),
        (504, ConnectorOutcomeUnknown),
    ],
)
@responses.activate
def test_other_status_codes(status: int, error: type[Exception]) -> None:
    responses.add("POST", SANDBOX + "transactions/charge", status=status, body="")
    with pytest.raises(error) as info:
        processor().authorize(sale())
    assert type(info.value) is error


@responses.activate
def test_validation_error_keeps_the_vendor_code() -> None:
    mock("POST", "transactions/charge", "error_400")
    with pytest.raises(ConnectorRejected) as info:
        processor().authorize(sale())
    assert info.value.http_status == 400
    assert info.value.vendor_code == "400"


@pytest.mark.parametrize(
    ("raised", "error"),
    [
        (requests.ReadTimeout("read timed out"), ConnectorOutcomeUnknown),
        (requests.ConnectTimeout("connect timed out"), ConnectorUnavailable),
        (
            requests.ConnectionError(
                MaxRetryError(None, "/", NewConnectionError(None, "refused"))  # type: ignore[arg-type]
            ),
            ConnectorUnavailable,
        ),
        (
            requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError())),
            ConnectorOutcomeUnknown,
        ),
    ],
)
@responses.activate
def test_transport_failures(raised: Exception, error: type[Exception]) -> None:
    responses.add("POST", SANDBOX + "transactions/charge", body=raised)
    with pytest.raises(error) as info:
        processor().authorize(sale())
    assert type(info.value) is error


@responses.activate
def test_reads_are_never_unknown_outcomes() -> None:
    responses.add("GET", SANDBOX + "transactions/1001", body=requests.ReadTimeout())
    with pytest.raises(ConnectorUnavailable) as info:
        processor().sync("1001", attempt_id="ch_test_1")
    assert type(info.value) is ConnectorUnavailable
    mock("GET", "transactions/1002", "malformed")
    with pytest.raises(ConnectorResponseError):
        processor().sync("1002", attempt_id="ch_test_1")


# --- capture, void, refund -----------------------------------------------------------------


@responses.activate
def test_full_capture_reads_the_auth_then_captures() -> None:
    mock("GET", "transactions/1001", "transaction_approved")
    mock("POST", "transactions/capture", "capture_approved")
    result = processor().capture("1001", 1234, attempt_id="ch_test_1")
    get, post = responses.calls[0].request, responses.calls[1].request
    assert (get.method, get.url) == ("GET", SANDBOX + "transactions/1001")
    assert (post.method, post.url) == ("POST", SANDBOX + "transactions/capture")
    assert_auth(get)
    assert_auth(post)
    assert json.loads(post.body) == {"reference_number": 1001}  # type: ignore[arg-type]
    assert (result.status, result.reference, result.amount) == (
        AttemptStatus.SUCCEEDED,
        "1001",
        1234,
    )


@responses.activate
def test_partial_capture_is_adjust_and_capture() -> None:
    mock("GET", "transactions/1001", "transaction_approved")
    mock("POST", "transactions/adjust-capture", "adjust_capture_approved")
    result = processor().capture("1001", 1000, attempt_id="ch_test_1")
    request, body = sent()
    assert request.url == SANDBOX + "transactions/adjust-capture"
    assert body == {"reference_number": 1001, "amount": 10.0}
    assert b'"amount":10.00' in request.body  # type: ignore[operator]
    assert (result.status, result.amount) == (AttemptStatus.SUCCEEDED, 1000)


@responses.activate
def test_capture_of_a_captured_auth_is_confirmed_without_a_second_adjust() -> None:
    mock("GET", "transactions/1001", "transaction_captured")
    result = processor().capture("1001", 1234, attempt_id="ch_test_1")
    assert result.status == AttemptStatus.SUCCEEDED
    assert len(responses.calls) == 1
    with pytest.raises(ConnectorRejected):
        processor().capture("1001", 1000, attempt_id="ch_test_1")


@responses.activate
def test_void_request_and_refusal_after_settlement() -> None:
    mock("POST", "transactions/void", "void_approved")
    result = processor().void("1001", attempt_id="ch_test_1")
    request, body = sent()
    assert (request.method, request.url) == ("POST", SANDBOX + "transactions/void")
    assert_auth(request)
    assert body == {"reference_number": 1001}
    assert (result.status, result.reference) == (AttemptStatus.SUCCEEDED, "1001")
    responses.replace("POST", SANDBOX + "transactions/void", json=fixture("void_settled")["body"])
    with pytest.raises(ConnectorRejected) as info:
        processor().void("1001", attempt_id="ch_test_1")
    assert "settled" in info.value.message


@responses.activate
def test_card_refund_request_and_result() -> None:
    mock("GET", "transactions/1001", "transaction_captured")
    mock("POST", "transactions/refund", "refund_approved")
    result = processor().refund("1001", 500, refund_id="re_test_1")
    request, body = sent()
    assert (request.method, request.url) == ("POST", SANDBOX + "transactions/refund")
    assert_auth(request)
    assert body == {
        "reference_number": 1001,
        "amount": 5.0,
        "transaction_details": {"order_number": "re_test_1"},
    }
    assert (result.status, result.reference, result.amount) == (
        AttemptStatus.SUCCEEDED,
        "1010",
        500,
    )


@responses.activate
def test_bank_refund_is_pending_and_unsettled_refund_is_rejected() -> None:
    mock("GET", "transactions/1001", "transaction_check_pending")
    mock("POST", "transactions/refund", "refund_approved")
    assert processor().refund("1001", 500, refund_id="re_1").status == AttemptStatus.PENDING
    responses.replace(
        "POST", SANDBOX + "transactions/refund", json=fixture("refund_unsettled")["body"]
    )
    with pytest.raises(ConnectorRejected) as info:
        processor().refund("1001", 500, refund_id="re_2")
    assert info.value.vendor_code == "not_settled"


def test_a_reference_that_is_not_a_number_is_rejected() -> None:
    with pytest.raises(ConnectorRejected):
        processor().void("ch_abc", attempt_id="ch_1")


# --- setup ---------------------------------------------------------------------------------


@responses.activate
def test_setup_verifies_the_nonce_and_vaults_a_token() -> None:
    mock("POST", "transactions/verify", "verify_approved")
    result = processor().setup(CARD, attempt_id="seti_test_1")
    request, body = sent()
    assert (request.method, request.url) == ("POST", SANDBOX + "transactions/verify")
    assert_auth(request)
    assert body == {
        "source": NONCE,
        "save_card": True,
        "expiry_month": 12,
        "expiry_year": 2030,
        "transaction_details": {"order_number": "seti_test_1"},
    }
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.vault_token == "tkn-SBABCDEFGH123456"
    assert "SBABCDEFGH123456" not in json.dumps(result.raw)


@responses.activate
def test_setup_decline() -> None:
    mock("POST", "transactions/verify", "verify_declined")
    result = processor().setup(CARD, attempt_id="seti_test_1")
    assert (result.status, result.failure_code) == (AttemptStatus.DECLINED, "expired_card")
    assert result.vault_token is None


@responses.activate
def test_setup_of_a_bank_account_creates_a_customer_payment_method() -> None:
    mock("POST", "customers", "customer_created")
    mock("POST", "customers/41/payment-methods", "payment_method_created")
    result = processor().setup(
        PaymentSource("us_bank_account", "", bank=BANK), attempt_id="seti_test_1"
    )
    assert [c.request.url for c in responses.calls] == [
        SANDBOX + "customers",
        SANDBOX + "customers/41/payment-methods",
    ]
    assert sent(0)[1] == {"identifier": "Jo Buyer", "customer_number": "seti_test_1"}
    assert sent(1)[1] == {
        "name": "Jo Buyer",
        "routing_number": "110000000",
        "account_number": "000123456789",
        "account_type": "checking",
    }
    assert (result.status, result.vault_token) == (AttemptStatus.SUCCEEDED, "pm-77")


def test_setup_of_a_vaulted_source_needs_no_call() -> None:
    result = processor().setup(PaymentSource("card", "tkn-SBABCDEFGH123456"), attempt_id="s")
    assert result.vault_token == "tkn-SBABCDEFGH123456"


# --- sync, check, tokenizer ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "failure"),
    [
        ("transaction_captured", AttemptStatus.SUCCEEDED, None),
        ("transaction_approved", AttemptStatus.AUTHORIZED, None),
        ("transaction_check_pending", AttemptStatus.PROCESSING, None),
        ("transaction_check_returned", AttemptStatus.DECLINED, "R01"),
    ],
)
@responses.activate
def test_sync_by_reference(name: str, status: AttemptStatus, failure: str | None) -> None:
    mock("GET", "transactions/1001", name)
    result = processor().sync("1001", attempt_id="ch_test_1")
    request = responses.calls[0].request
    assert (request.method, request.url) == ("GET", SANDBOX + "transactions/1001")
    assert_auth(request)
    assert (result.status, result.failure_code, result.reference) == (status, failure, "1001")
    assert result.amount == 1234


@pytest.mark.parametrize(
    ("lifecycle", "status", "failure"),
    [
        ("settled", AttemptStatus.SUCCEEDED, None),
        ("queued", AttemptStatus.AUTHORIZED, None),
        ("originated", AttemptStatus.PROCESSING, None),
        ("voided", AttemptStatus.DECLINED, "canceled"),
        ("declined", AttemptStatus.DECLINED, "card_declined"),
        ("error", AttemptStatus.DECLINED, "processing_error"),
        ("blocked", AttemptStatus.DECLINED, "card_declined"),
        ("unknown", AttemptStatus.UNKNOWN, None),
    ],
)
@responses.activate
def test_lifecycle_statuses(lifecycle: str, status: AttemptStatus, failure: str | None) -> None:
    body = fixture("transaction_captured")["body"]
    body["status_details"]["status"] = lifecycle
    responses.add("GET", SANDBOX + "transactions/1001", json=body)
    result = processor().sync("1001", attempt_id="ch_test_1")
    assert (result.status, result.failure_code) == (status, failure)


@responses.activate
def test_sync_by_attempt_id_scans_the_newest_transactions() -> None:
    mock(
        "GET",
        "transactions",
        "transactions_list",
        match=[matchers.query_param_matcher({"order": "desc", "limit": "100", "offset": "0"})],
    )
    result = processor().sync(None, attempt_id="ch_test_1")
    assert_auth(responses.calls[0].request)
    assert (result.status, result.reference) == (AttemptStatus.SUCCEEDED, "1001")
    missing = processor().sync(None, attempt_id="ch_never_sent")
    assert (missing.status, missing.failure_code) == (AttemptStatus.UNKNOWN, "resource_missing")


@responses.activate
def test_check_is_one_authenticated_get() -> None:
    mock("GET", "transactions", "transactions_list")
    processor().check()
    request = responses.calls[0].request
    assert (request.method, request.url) == ("GET", SANDBOX + "transactions?limit=1")
    assert_auth(request)
    responses.replace("GET", SANDBOX + "transactions", status=401, json={})
    with pytest.raises(ConnectorAuthError):
        processor().check()


def test_tokenizer_is_hosted_tokenization_for_the_environment() -> None:
    info = processor().tokenizer()
    assert info is not None
    assert info.script_url == TOKENIZER_URLS["sandbox"]
    assert info.public_key == "pk_test_tokenization"


# --- webhooks ------------------------------------------------------------------------------

SECRET = "whsig_test_secret"


def webhook(event: str = "settled", kind: str = "charge", **data: Any) -> bytes:
    payload = {
        "id": "7f1d7a52-1111-4c0b-9d2e-000000000001",
        "type": "transaction",
        "event": event,
        "timestamp": "2024-05-02T06:00:00+00:00",
        "data": {"reference_number": 1001, "transaction_type": kind, "status": event, **data},
    }
    return json.dumps(payload).encode()


def sign(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


@responses.activate
def test_webhook_verified_with_the_registered_signature() -> None:
    mock("GET", "webhooks", "webhooks_list")
    connector = processor()
    body = webhook()
    message = connector.parse_webhook(sign(body), body)
    assert message.type == "charge.settled"
    assert message.reference == "1001"
    assert message.event_id.startswith("7f1d7a52")
    assert message.livemode is False
    refund = webhook("returned", "refund")
    assert connector.parse_webhook(sign(refund), refund).type == "refund.failed"
    assert len(responses.calls) == 1  # the signatures are cached
    assert_auth(responses.calls[0].request)


@pytest.mark.parametrize(
    ("body", "headers", "code", "param"),
    [
        (webhook(), {}, "signature_invalid", None),
        (webhook(), sign(webhook(), "wrong"), "signature_invalid", None),
        (b"not json", sign(b"not json"), "body_invalid", None),
        (b"[1]", sign(b"[1]"), "body_invalid", None),
        (
            b'{"event": "settled", "data": {}}',
            sign(b'{"event": "settled", "data": {}}'),
            "parameter_invalid",
            "id",
        ),
        (
            b'{"id": "e1", "data": {}}',
            sign(b'{"id": "e1", "data": {}}'),
            "parameter_invalid",
            "event",
        ),
    ],
)
@responses.activate
def test_webhook_rejections(
    body: bytes, headers: dict[str, str], code: str, param: str | None
) -> None:
    mock("GET", "webhooks", "webhooks_list")
    with pytest.raises(WebhookRejected) as info:
        processor().parse_webhook(headers, body)
    assert (info.value.vendor_code, info.value.param) == (code, param)
