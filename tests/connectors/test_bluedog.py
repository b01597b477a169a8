"""Contract tests for the BlueDog (FluidPay) connector against the seed's wire format: every
operation's method, URL, Authorization header and body, and how each vendor answer maps
onto results and errors. ``responses`` stands in for the vendor; nothing leaves the box."""

from __future__ import annotations

import json
import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from urllib3 import HTTPConnectionPool
from urllib3.connection import HTTPConnection
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorError,
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
from dealerhub.connectors.processors.bluedog import (
    BASE_URLS,
    CONFIG_FIELDS,
    SECRET_FIELDS,
    VAULT_PREFIX,
    BlueDogProcessor,
    idempotency_key,
    order_reference,
    vault_id,
)
from dealerhub.connectors.processors.bluedog_codes import checks_for, decline_for, mask

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/http/bluedog"
BASE = BASE_URLS["sandbox"]
API_KEY = "api_2hQIG638fYIq0KiP96k3XDZXrLJ"
CONFIG = {"api_key": API_KEY, "environment": "sandbox"}
TXN = "b7kgflt1tlv51er0fts0"
ATTEMPT = "ch_0lx3k9a2bQw8rT5yZp1mN4cVd"
CARD = PaymentSource(type="card", token="3c1f7a2e-1d4b-4e8a-9b0c-5d6e7f8a9b0c", last4="5439")
BANK = PaymentSource(
    type="us_bank_account",
    token="",
    bank=BankAccount(routing_number="490000018", account_number="123456789012"),
)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def processor(**config: str) -> BlueDogProcessor:
    return BlueDogProcessor({**CONFIG, **config})


def sale(
    amount: int = 1112, *, capture: bool = True, source: PaymentSource = CARD, **kw: Any
) -> AuthorizeRequest:
    return AuthorizeRequest(
        attempt_id=ATTEMPT,
        amount=amount,
        currency="usd",
        source=source,
        capture=capture,
        **kw,
    )


def sent(call: Any) -> dict[str, Any]:
    return json.loads(call.request.body)


def assert_headers(call: Any) -> None:
    # The raw private key, no "Bearer" (seed: "Authorization: { API Key }").
    assert call.request.headers["Authorization"] == API_KEY
    assert call.request.headers["Content-Type"] == "application/json"


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


# --- configuration -------------------------------------------------------------------------


def test_module_constants_and_capabilities() -> None:
    assert CONFIG_FIELDS == ("api_key",)
    assert sorted(SECRET_FIELDS) == ["api_key"]
    assert BASE_URLS["sandbox"] == "https://sandbox.bluedogpayments.com"
    assert BASE_URLS["production"].startswith("https://")
    caps = BlueDogProcessor.capabilities
    assert caps.card and caps.manual_capture and caps.partial_capture
    assert caps.partial_refund and caps.multiple_refunds
    assert caps.bank_debit and caps.setup and caps.void_before_settlement_only
    assert not caps.three_d_secure and not caps.webhooks
    assert caps.currencies == frozenset({"usd"})
    assert isinstance(processor(), PaymentProcessor)
    assert processor().name == "bluedog"


def test_missing_api_key_names_the_key() -> None:
    with pytest.raises(ConnectorAuthError) as info:
        BlueDogProcessor({"environment": "sandbox", "processor_id": "p1"})
    assert info.value.vendor_code == "config"
    assert "api_key" in info.value.message


@pytest.mark.parametrize(
    ("config", "word"),
    [
        ({"api_key": "pub_secretish"}, "api_key"),
        ({"api_key": API_KEY, "public_key": "api_leakme"}, "public_key"),
        ({"api_key": API_KEY, "environment": "staging"}, "environment"),
        ({"api_key": API_KEY, "api_url": "http://gateway.example.com"}, "api_url"),
    ],
)
def test_bad_configuration_is_refused_without_echoing_values(
    config: dict[str, str], word: str
) -> None:
    with pytest.raises(ConnectorAuthError) as info:
        BlueDogProcessor(config)
    assert info.value.vendor_code == "config"
    assert word in info.value.message
    assert "secretish" not in str(info.value) and "leakme" not in str(info.value)


def test_environment_and_api_url_choose_the_host() -> None:
    assert BlueDogProcessor({"api_key": API_KEY}).base_url == BASE_URLS["production"]
    assert processor().base_url == BASE
    assert processor(api_url="http://127.0.0.1:9999/").base_url == "http://127.0.0.1:9999"
    assert API_KEY not in repr(processor())


# --- derived references --------------------------------------------------------------------


def test_order_id_and_idempotency_key_fit_the_seed_and_are_stable() -> None:
    ref = order_reference(ATTEMPT)
    assert re.fullmatch(r"[a-z0-9]{15}", ref)  # "up to 15 alphanumeric characters"
    assert ref == order_reference(ATTEMPT) != order_reference(ATTEMPT + "x")
    key = idempotency_key(ATTEMPT)
    assert str(uuid.UUID(key)) == key  # "uint(uuid format)"
    assert key == idempotency_key(ATTEMPT)
    assert vault_id("seti_0lx3k9a2bQw8rT5yZp1mN4cVd") == "seti0lx3k9a2bQw8rT5yZp1mN4cVd"
    assert len(vault_id("x_" * 40)) == 40


# --- sale and authorization ----------------------------------------------------------------


def test_sale_request_and_approval(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction", json=fixture("sale_approved.json"))
    result = processor(processor_id="b7kgflt1tlv51er0f1sg").authorize(
        sale(description="Deposit on stock 4411")
    )
    (call,) = rsps.calls
    assert call.request.method == "POST"
    assert call.request.url == f"{BASE}/api/transaction"
    assert_headers(call)
    assert sent(call) == {
        "type": "sale",
        "amount": 1112,
        "currency": "USD",
        "order_id": order_reference(ATTEMPT),
        "idempotency_key": idempotency_key(ATTEMPT),
        "allow_partial_payment": False,
        "initiated_by": "customer",
        "payment_method": {"token": CARD.token},
        "processor_id": "b7kgflt1tlv51er0f1sg",
        "description": "Deposit on stock 4411",
    }
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.reference == TXN
    assert result.amount == 1112
    assert result.network_status == "approved_by_network"
    assert result.processor_code == "100"
    assert result.processor_message == "APPROVAL TAS731"
    assert result.checks == {
        "address_line1_check": "unavailable",
        "address_postal_code_check": "unavailable",
        "cvc_check": "pass",
    }
    assert result.raw["id"] == TXN


def test_authorize_only(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction", json=fixture("authorize_approved.json"))
    result = processor().authorize(sale(capture=False, off_session=True))
    body = sent(rsps.calls[0])
    assert body["type"] == "authorize"
    assert body["initiated_by"] == "merchant"
    assert "processor_id" not in body
    assert result.status == AttemptStatus.AUTHORIZED
    assert result.amount == 1112


def test_vaulted_card_is_charged_as_a_customer(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction", json=fixture("sale_approved.json"))
    source = PaymentSource(type="card", token=VAULT_PREFIX + "seti0abc")
    processor().authorize(sale(source=source, off_session=True))
    body = sent(rsps.calls[0])
    assert body["payment_method"] == {"customer": {"id": "seti0abc"}}
    assert body["card_on_file_indicator"] == "C"
    assert body["stored_credential_indicator"] == "used"


@pytest.mark.parametrize(
    ("name", "failure", "decline", "network", "code", "text"),
    [
        (
            "sale_declined.json",
            "card_declined",
            "insufficient_funds",
            "declined_by_network",
            "202",
            "INSUFFICIENT FUNDS",
        ),
        (
            "sale_declined_cvv.json",
            "incorrect_cvc",
            "incorrect_cvc",
            "declined_by_network",
            "225",
            "CVV2 MISMATCH",
        ),
        (
            "sale_declined_gateway.json",
            "card_declined",
            "generic_decline",
            "not_sent_to_network",
            "300",
            "REJECTED BY GATEWAY",
        ),
    ],
)
def test_declines_are_results_not_errors(
    rsps: responses.RequestsMock,
    name: str,
    failure: str,
    decline: str,
    network: str,
    code: Any,
    text: str,
) -> None:
    rsps.post(f"{BASE}/api/transaction", json=fixture(name))
    result = processor().authorize(sale())
    assert result.status == AttemptStatus.DECLINED
    assert result.reference == TXN
    assert (result.failure_code, result.decline_code) == (failure, decline)
    assert result.network_status == network
    assert (result.processor_code, result.processor_message) == (code, text)
    assert result.message


def test_decline_delivered_with_a_4xx_status_is_still_a_decline(
    rsps: responses.RequestsMock,
) -> None:
    rsps.post(f"{BASE}/api/transaction", json=fixture("sale_declined.json"), status=400)
    result = processor().authorize(sale())
    assert result.status == AttemptStatus.DECLINED
    assert result.decline_code == "insufficient_funds"


def test_partial_approval_reports_the_approved_amount(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction", json=fixture("sale_partial_approval.json"))
    result = processor().authorize(sale(5000))
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.amount == 2500
    assert result.processor_code == "110"


def test_avs_and_cvv_mismatch_on_an_approval(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction", json=fixture("sale_avs_mismatch.json"))
    result = processor().authorize(sale())
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.checks == {
        "address_line1_check": "fail",
        "address_postal_code_check": "fail",
        "cvc_check": "fail",
    }


@pytest.mark.parametrize(
    ("code", "iso", "expected"),
    [
        (201, "05", ("card_declined", "do_not_honor")),
        (200, "51", ("card_declined", "insufficient_funds")),
        (None, "54", ("expired_card", "expired_card")),
        (223, None, ("expired_card", "expired_card")),
        (251, "41", ("card_declined", "lost_card")),
        (252, "43", ("card_declined", "stolen_card")),
        (253, "59", ("card_declined", "fraudulent")),
        (299, None, ("card_declined", "generic_decline")),
        (399, None, ("card_declined", "generic_decline")),
        (420, None, ("processing_error", "processing_error")),
        (None, None, ("card_declined", "generic_decline")),
    ],
)
def test_response_code_table(code: Any, iso: str | None, expected: tuple[str, str]) -> None:
    decline = decline_for(code, iso)
    assert (decline.failure_code, decline.decline_code) == expected


@pytest.mark.parametrize(
    ("avs", "cvv", "line1", "postal", "cvc"),
    [
        ("Y", "M", "pass", "pass", "pass"),
        ("X", "N", "pass", "pass", "fail"),
        ("A", "P", "pass", "fail", "unavailable"),
        ("Z", "", "fail", "pass", "unchecked"),
        ("N", None, "fail", "fail", "unchecked"),
        ("U", "S", "unavailable", "unavailable", "unavailable"),
        ("0", "U", "unavailable", "unavailable", "unavailable"),
        (None, None, "unchecked", "unchecked", "unchecked"),
    ],
)
def test_avs_and_cvv_tables(
    avs: str | None, cvv: str | None, line1: str, postal: str, cvc: str
) -> None:
    assert checks_for(avs, cvv) == {
        "address_line1_check": line1,
        "address_postal_code_check": postal,
        "cvc_check": cvc,
    }


# --- bank debits ---------------------------------------------------------------------------


def test_ach_sale_is_processing_and_masked(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction", json=fixture("ach_sale_pending.json"))
    result = processor().authorize(sale(source=BANK))
    body = sent(rsps.calls[0])
    assert body["type"] == "sale"
    assert body["payment_method"] == {
        "ach": {
            "routing_number": "490000018",
            "account_number": "123456789012",
            "account_type": "checking",
            "sec_code": "web",
        }
    }
    assert result.status == AttemptStatus.PROCESSING
    assert result.checks == {}
    assert "490000018" not in json.dumps(result.raw)


def test_company_bank_account_uses_ccd(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction", json=fixture("ach_sale_pending.json"))
    bank = BankAccount("490000018", "999999", account_type="savings", holder_type="company")
    processor().authorize(sale(source=PaymentSource(type="us_bank_account", token="", bank=bank)))
    ach = sent(rsps.calls[0])["payment_method"]["ach"]
    assert (ach["sec_code"], ach["account_type"]) == ("ccd", "savings")


def test_ach_cannot_be_authorized_only() -> None:
    with pytest.raises(FlowNotSupported):
        processor().authorize(sale(capture=False, source=BANK))


def test_ach_return_reads_as_a_decline_with_the_return_code(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{BASE}/api/transaction/{TXN}", json=fixture("ach_sale_returned.json"))
    result = processor().sync(TXN, attempt_id=ATTEMPT)
    assert result.status == AttemptStatus.DECLINED
    assert result.failure_code == "R01"


# --- capture, void, refund -----------------------------------------------------------------


def test_capture(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction/{TXN}/capture", json=fixture("capture_approved.json"))
    result = processor().capture(TXN, 600, attempt_id=ATTEMPT)
    (call,) = rsps.calls
    assert call.request.url == f"{BASE}/api/transaction/{TXN}/capture"
    assert_headers(call)
    assert sent(call) == {"amount": 600}
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.amount == 600


def test_capture_with_an_empty_success_envelope(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction/{TXN}/capture", json=fixture("void_success.json"))
    result = processor().capture(TXN, 600, attempt_id=ATTEMPT)
    assert (result.status, result.amount, result.reference) == (AttemptStatus.SUCCEEDED, 600, TXN)


def test_void(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction/{TXN}/void", json=fixture("void_success.json"))
    result = processor().void(TXN, attempt_id=ATTEMPT)
    (call,) = rsps.calls
    assert call.request.method == "POST"
    assert call.request.headers["Authorization"] == API_KEY
    assert call.request.body is None
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.reference == TXN


def test_void_after_settlement_is_rejected(rsps: responses.RequestsMock) -> None:
    rsps.post(
        f"{BASE}/api/transaction/{TXN}/void",
        json={"status": "failed", "msg": "bad request error: transaction can not be voided"},
        status=400,
    )
    with pytest.raises(ConnectorRejected) as info:
        processor().void(TXN, attempt_id=ATTEMPT)
    assert info.value.http_status == 400
    assert "can not be voided" in info.value.message


def test_refund(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction/{TXN}/refund", json=fixture("refund_approved.json"))
    result = processor().refund(TXN, 500, refund_id="re_0lx3k9a2bQw8rT5yZp1mN4cVd")
    (call,) = rsps.calls
    assert call.request.url == f"{BASE}/api/transaction/{TXN}/refund"
    assert_headers(call)
    assert sent(call) == {"amount": 500}
    assert result.status == AttemptStatus.SUCCEEDED
    assert (result.reference, result.amount) == ("b7kgflt1tlv51er0frf0", 500)


def test_refund_of_an_unsettled_sale_is_rejected(rsps: responses.RequestsMock) -> None:
    rsps.post(
        f"{BASE}/api/transaction/{TXN}/refund", json=fixture("refund_unsettled.json"), status=400
    )
    with pytest.raises(ConnectorRejected) as info:
        processor().refund(TXN, 500, refund_id="re_1")
    assert "settled" in info.value.message


def test_refund_without_a_body_looks_at_the_original_for_ach(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction/{TXN}/refund", json=fixture("void_success.json"))
    original = fixture("ach_sale_pending.json")
    original["data"] = [original["data"]]
    rsps.get(f"{BASE}/api/transaction/{TXN}", json=original)
    result = processor().refund(TXN, 500, refund_id="re_1")
    assert result.status == AttemptStatus.PENDING
    assert result.amount == 500


def test_unsafe_reference_never_reaches_the_url() -> None:
    with pytest.raises(ConnectorRejected):
        processor().void("../user", attempt_id=ATTEMPT)


# --- setup (verification + vault) ----------------------------------------------------------


SETUP = "seti_0lx3k9a2bQw8rT5yZp1mN4cVd"


def test_setup_vaults_then_verifies(rsps: responses.RequestsMock) -> None:
    customer = vault_id(SETUP)
    rsps.post(f"{BASE}/api/vault/customer", json=fixture("vault_customer.json"))
    rsps.post(f"{BASE}/api/transaction", json=fixture("verification_approved.json"))
    result = processor().setup(CARD, attempt_id=SETUP)
    vault_call, verify_call = rsps.calls
    assert vault_call.request.url == f"{BASE}/api/vault/customer"
    assert_headers(vault_call)
    assert sent(vault_call) == {
        "id": customer,
        "description": f"dealerhub {SETUP}",
        "default_payment": {"token": CARD.token},
    }
    body = sent(verify_call)
    assert body["type"] == "verification"
    assert body["amount"] == 0
    assert body["payment_method"] == {"customer": {"id": customer}}
    assert body["order_id"] == order_reference(SETUP)
    assert body["idempotency_key"] == idempotency_key(SETUP)
    assert body["stored_credential_indicator"] == "stored"
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.vault_token == VAULT_PREFIX + customer
    assert result.reference == "b7kgflt1tlv51er0fva0"


def test_declined_setup_removes_the_vault_record(rsps: responses.RequestsMock) -> None:
    customer = vault_id(SETUP)
    rsps.post(f"{BASE}/api/vault/customer", json=fixture("vault_customer.json"))
    rsps.post(f"{BASE}/api/transaction", json=fixture("sale_declined.json"))
    rsps.delete(f"{BASE}/api/vault/{customer}", json={"status": "success", "msg": "success"})
    result = processor().setup(CARD, attempt_id=SETUP)
    assert result.status == AttemptStatus.DECLINED
    assert result.vault_token is None
    assert rsps.calls[2].request.method == "DELETE"


def test_retried_setup_reuses_its_vault_record(rsps: responses.RequestsMock) -> None:
    customer = vault_id(SETUP)
    rsps.post(
        f"{BASE}/api/vault/customer",
        json={"status": "failed", "msg": "bad request error: customer id already exists"},
        status=400,
    )
    rsps.get(f"{BASE}/api/vault/{customer}", json=fixture("vault_customer.json"))
    rsps.post(f"{BASE}/api/transaction", json=fixture("verification_approved.json"))
    result = processor().setup(CARD, attempt_id=SETUP)
    assert result.status == AttemptStatus.SUCCEEDED
    assert [c.request.method for c in rsps.calls] == ["POST", "GET", "POST"]


def test_bank_setup_vaults_the_account_numbers(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/vault/customer", json=fixture("vault_customer.json"))
    result = processor().setup(BANK, attempt_id=SETUP)
    payment = sent(rsps.calls[0])["default_payment"]
    assert payment["ach"]["account_number"] == "123456789012"
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.vault_token == VAULT_PREFIX + vault_id(SETUP)


# --- sync ----------------------------------------------------------------------------------


def test_sync_by_reference_reads_the_seed_example(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{BASE}/api/transaction/{TXN}", json=fixture("transaction_get.json"))
    result = processor().sync(TXN, attempt_id=ATTEMPT)
    (call,) = rsps.calls
    assert call.request.method == "GET"
    assert call.request.headers["Authorization"] == API_KEY
    # No response_code in the seed's example: the statuses decide, the ISO code is kept.
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.processor_code == "00"
    assert result.amount == 1112
    assert "4.2.2.2" in json.dumps(result.raw)


def test_sync_by_attempt_id_searches_the_order_id(rsps: responses.RequestsMock) -> None:
    found = fixture("search_found.json")
    refund = {**found["data"][0], "id": "b7kgflt1tlv51er0frf0", "type": "refund"}
    found["data"].insert(0, refund)
    rsps.post(f"{BASE}/api/transaction/search", json=found)
    result = processor().sync(None, attempt_id=ATTEMPT)
    (call,) = rsps.calls
    assert_headers(call)
    assert sent(call) == {
        "order_id": {"operator": "=", "value": order_reference(ATTEMPT)},
        "limit": 10,
        "offset": 0,
    }
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.reference == TXN


def test_sync_finds_nothing_yet(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction/search", json=fixture("search_empty.json"))
    result = processor().sync(None, attempt_id=ATTEMPT)
    assert result.status == AttemptStatus.UNKNOWN
    assert result.reference is None


def test_sync_of_a_verification_names_the_vault_token(rsps: responses.RequestsMock) -> None:
    found = fixture("verification_approved.json")
    found["data"] = [found["data"]]
    rsps.post(f"{BASE}/api/transaction/search", json=found)
    result = processor().sync(None, attempt_id=SETUP)
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.vault_token == VAULT_PREFIX + vault_id(SETUP)


# --- check, tokenizer, 3-D Secure, webhooks ------------------------------------------------


def test_check_reads_the_current_user(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{BASE}/api/user", json=fixture("user.json"))
    processor().check()
    (call,) = rsps.calls
    assert call.request.method == "GET"
    assert call.request.headers["Authorization"] == API_KEY


def test_check_with_a_refused_key(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{BASE}/api/user", json=fixture("unauthorized.json"), status=401)
    with pytest.raises(ConnectorAuthError) as info:
        processor().check()
    assert info.value.http_status == 401
    assert API_KEY not in str(info.value)


def test_tokenizer() -> None:
    assert processor().tokenizer() is None
    info = processor(public_key="pub_2hQIG638fYIq0KiP96k3XDZ").tokenizer()
    assert info is not None
    assert info.script_url == f"{BASE}/tokenizer/tokenizer.js"
    assert info.public_key == "pub_2hQIG638fYIq0KiP96k3XDZ"


def test_no_three_d_secure_and_no_webhooks() -> None:
    with pytest.raises(FlowNotSupported):
        processor().complete_action(TXN, success=True, capture=True)
    with pytest.raises(WebhookRejected) as info:
        processor().parse_webhook({"Content-Type": "application/json"}, b"{}")
    assert info.value.vendor_code == "signature_invalid"


# --- transport and HTTP errors -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "name", "error", "not_error"),
    [
        (401, "unauthorized.json", ConnectorAuthError, None),
        (403, "unauthorized.json", ConnectorAuthError, None),
        (400, "bad_request.json", ConnectorRejected, None),
        (404, "bad_request.json", ConnectorRejected, None),
        (429, "server_error.json", ConnectorUnavailable, ConnectorOutcomeUnknown),
        (503, "server_error.json", ConnectorUnavailable, ConnectorOutcomeUnknown),
        (500, "server_error.json", ConnectorOutcomeUnknown, None),
        (502, "server_error.json", ConnectorOutcomeUnknown, None),
        (504, "server_error.json", ConnectorOutcomeUnknown, None),
    ],
)
def test_http_errors_on_a_sale(
    rsps: responses.RequestsMock,
    status: int,
    name: str,
    error: type[ConnectorError],
    not_error: type[ConnectorError] | None,
) -> None:
    rsps.post(
        f"{BASE}/api/transaction",
        json=fixture(name),
        status=status,
        headers={"x-correlation-id": "corr-123"},
    )
    with pytest.raises(error) as info:
        processor().authorize(sale())
    if not_error is not None:
        assert not isinstance(info.value, not_error)
    assert info.value.vendor == "bluedog"
    assert info.value.http_status == status
    assert info.value.request_id == "corr-123"
    assert API_KEY not in str(info.value)


def test_failed_envelope_with_200_is_rejected(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction", json=fixture("bad_request.json"))
    with pytest.raises(ConnectorRejected) as info:
        processor().authorize(sale())
    assert "invalid Postal Code" in info.value.message


def test_malformed_body_on_a_sale_is_an_unknown_outcome(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction", body=(FIXTURES / "malformed.json").read_text())
    with pytest.raises(ConnectorOutcomeUnknown):
        processor().authorize(sale())


def test_success_without_a_transaction_is_an_unknown_outcome(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction", json=fixture("void_success.json"))
    with pytest.raises(ConnectorOutcomeUnknown):
        processor().authorize(sale())


def test_malformed_body_on_a_read_is_a_response_error(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{BASE}/api/user", body="<html>oops</html>")
    with pytest.raises(ConnectorResponseError):
        processor().check()


def test_read_timeout_on_a_sale_is_an_unknown_outcome(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(ConnectorOutcomeUnknown) as info:
        processor().authorize(sale())
    assert info.value.vendor_code == "read_timeout"


def test_read_timeout_on_a_lookup_is_only_unavailable(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{BASE}/api/transaction/{TXN}", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(ConnectorUnavailable) as info:
        processor().sync(TXN, attempt_id=ATTEMPT)
    assert not isinstance(info.value, ConnectorOutcomeUnknown)


def test_connect_timeout_is_unavailable(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/api/transaction", body=requests.ConnectTimeout("connect timed out"))
    with pytest.raises(ConnectorUnavailable) as info:
        processor().authorize(sale())
    assert not isinstance(info.value, ConnectorOutcomeUnknown)


def test_refused_new_connection_is_unavailable(rsps: responses.RequestsMock) -> None:
    refused = NewConnectionError(
        HTTPConnection("gateway.invalid"), "Failed to establish a new connection: refused"
    )
    rsps.post(
        f"{BASE}/api/transaction",
        body=requests.ConnectionError(
            MaxRetryError(HTTPConnectionPool("gateway.invalid"), f"{BASE}/api/transaction", refused)
        ),
    )
    with pytest.raises(ConnectorUnavailable) as info:
        processor().authorize(sale())
    assert not isinstance(info.value, ConnectorOutcomeUnknown)


def test_connection_dropped_after_sending_is_an_unknown_outcome(
    rsps: responses.RequestsMock,
) -> None:
    dropped = ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
    rsps.post(f"{BASE}/api/transaction", body=requests.ConnectionError(dropped))
    with pytest.raises(ConnectorOutcomeUnknown) as info:
        processor().authorize(sale())
    assert info.value.vendor_code == "connection_dropped"


def test_real_refused_connection_on_loopback_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gateway = processor(api_url=f"http://127.0.0.1:{port}")
    with pytest.raises(ConnectorUnavailable) as info:
        gateway.authorize(sale())
    assert not isinstance(info.value, ConnectorOutcomeUnknown)


def test_mask_hides_numbers_tokens_and_keys() -> None:
    masked = mask(
        {
            "number": "4012000098765439",
            "nested": [{"account_number": "123456789012", "token": "abcdef123456"}],
            "api_key": API_KEY,
            "note": "card 4012000098765439 on file",
            "masked_card": "401200******5439",
        }
    )
    text = json.dumps(masked)
    for secret in ("4012000098765439", "123456789012", "abcdef123456", API_KEY):
        assert secret not in text
    assert masked["masked_card"] == "401200******5439"
    assert masked["number"].endswith("5439")
