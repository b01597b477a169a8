"""Contract tests of the Hubcash connector against the vendor's documented wire format
(seed 002): every operation's method, URL, auth headers and body, and how each answer maps
onto results and errors. Fixtures in tests/fixtures/http/hubcash are copied in shape from
the seed's examples."""

from __future__ import annotations

import copy
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
from dealerhub.connectors.processors.base import (
    AttemptStatus,
    AuthorizeRequest,
    BankAccount,
    PaymentProcessor,
    PaymentSource,
)
from dealerhub.connectors.processors.hubcash import (
    BASE_URLS,
    CONFIG_FIELDS,
    SECRET_FIELDS,
    HubcashProcessor,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/http/hubcash"
BASE = "https://api.hubcash.com/v1"
SALE_ID = "58c040b32d8baf18526217f5"
CARD_ID = "58c040b32d8baf18526217f5"
CODE, TOKEN = "hc_code_123", "hc_token_s3cr3t_456"
CONFIG = {"code": CODE, "token": TOKEN, "environment": "production"}
AUTH = {"X-Hubcash-Code": CODE, "X-Hubcash-Token": TOKEN, "Content-Type": "application/json"}
CARD = PaymentSource(type="card", token=CARD_ID, brand="visa", last4="1234")


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def sale_body(name: str, **changes: object) -> dict[str, Any]:
    body = fixture(name)
    body["Sale"].update(changes)
    return body


def processor(**kw: object) -> HubcashProcessor:
    return HubcashProcessor({**CONFIG, **kw})


def auth_request(capture: bool = True, amount: int = 10000) -> AuthorizeRequest:
    return AuthorizeRequest(
        attempt_id="ch_test_0001", amount=amount, currency="brl", source=CARD, capture=capture
    )


def auth_matcher() -> Any:
    return matchers.header_matcher(AUTH)


# --- configuration ---------------------------------------------------------------------------


def test_module_constants_and_protocol() -> None:
    assert BASE_URLS == {"sandbox": BASE, "production": BASE}  # one host for both key sets
    assert CONFIG_FIELDS == ("code", "token")
    assert frozenset({"token"}) == SECRET_FIELDS
    hub = processor()
    assert isinstance(hub, PaymentProcessor)
    caps = hub.capabilities
    assert (caps.card, caps.manual_capture, caps.setup, caps.webhooks) == (True, True, True, True)
    assert not (caps.partial_capture or caps.partial_refund or caps.multiple_refunds)
    assert not (caps.bank_debit or caps.three_d_secure or caps.void_before_settlement_only)
    assert caps.currencies == frozenset({"brl"})
    assert hub.tokenizer() is None
    assert TOKEN not in repr(hub)


@pytest.mark.parametrize("missing", ["code", "token"])
def test_missing_config_names_the_key_not_the_value(missing: str) -> None:
    config = {k: v for k, v in CONFIG.items() if k != missing}
    with pytest.raises(ConnectorAuthError) as info:
        HubcashProcessor(config)
    assert info.value.vendor_code == "config"
    assert missing in info.value.message
    assert CODE not in info.value.message and TOKEN not in info.value.message


def test_config_rejects_bad_environment_and_plain_http() -> None:
    with pytest.raises(ConnectorAuthError):
        processor(environment="staging")
    with pytest.raises(ConnectorAuthError):
        processor(api_url="http://api.example.com/v1")
    assert processor(api_url="http://127.0.0.1:5000/").base_url == "http://127.0.0.1:5000"
    assert processor(environment="sandbox").base_url == BASE


# --- authorize / sale ------------------------------------------------------------------------


@responses.activate
def test_sale_request_and_approved_result() -> None:
    expected = {
        "Sale": {
            "Ref": "ch_test_0001",
            "Amount": 10000,
            "Currency": "BRL",
            "Method": "Credit",
            "Capture": True,
            "Card": {"CardId": CARD_ID},
        }
    }
    responses.post(
        f"{BASE}/sales",
        json=fixture("sale_approved.json"),
        status=201,
        match=[auth_matcher(), matchers.json_params_matcher(expected, strict_match=True)],
    )
    result = processor().authorize(auth_request())
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.reference == SALE_ID
    assert result.amount == 10000
    assert result.network_status == "approved_by_network"
    assert result.processor_code == "1"
    assert result.checks == {
        "address_line1_check": "unavailable",
        "address_postal_code_check": "unavailable",
        "cvc_check": "unavailable",
    }
    raw = json.dumps(result.raw)
    assert "223.112.333.112" not in raw  # the holder's CPF is masked
    assert TOKEN not in raw


@responses.activate
def test_auth_only_is_capture_false_and_authorized() -> None:
    responses.post(
        f"{BASE}/sales",
        json=fixture("sale_authorized.json"),
        status=201,
        match=[
            auth_matcher(),
            matchers.json_params_matcher({"Sale": {"Capture": False}}, strict_match=False),
        ],
    )
    result = processor().authorize(auth_request(capture=False))
    assert result.status == AttemptStatus.AUTHORIZED
    assert result.amount == 10000


@responses.activate
def test_fraud_analysis_is_processing() -> None:
    responses.post(f"{BASE}/sales", json=fixture("sale_analyzing.json"), status=201)
    result = processor().authorize(auth_request())
    assert result.status == AttemptStatus.PROCESSING
    assert result.processor_code == "2"


@pytest.mark.parametrize(
    ("text", "failure_code", "decline_code"),
    [
        ("Not authorized: insufficient funds", "card_declined", "insufficient_funds"),
        ("Not authorized: do not honor", "card_declined", "do_not_honor"),
        ("Not authorized: expired card", "expired_card", "expired_card"),
        ("Not authorized: security code invalid", "incorrect_cvc", "incorrect_cvc"),
        ("Cartão perdido", "card_declined", "lost_card"),
        ("Stolen card", "card_declined", "stolen_card"),
        ("Processing error, try again", "processing_error", "processing_error"),
        ("Refused", "card_declined", "generic_decline"),
    ],
)
@responses.activate
def test_declines_map_to_stripe_codes(text: str, failure_code: str, decline_code: str) -> None:
    body = fixture("sale_declined.json")
    body["Sale"]["History"][-1]["Action"] = text
    responses.post(f"{BASE}/sales", json=body, status=201)
    result = processor().authorize(auth_request())
    assert result.status == AttemptStatus.DECLINED
    assert (result.failure_code, result.decline_code) == (failure_code, decline_code)
    assert result.network_status == "declined_by_network"
    assert result.processor_code == "5"
    assert result.processor_message == text
    assert result.message
    if decline_code == "incorrect_cvc":
        assert result.checks["cvc_check"] == "fail"


@responses.activate
def test_antifraud_refusal_is_fraudulent_and_not_sent_to_network() -> None:
    body = fixture("sale_declined.json")
    body["Sale"]["Analyze"] = [{"Level": "95", "Description": "Reproved"}]
    body["Sale"]["History"][-1]["Action"] = "Not authorized"
    responses.post(f"{BASE}/sales", json=body, status=201)
    result = processor().authorize(auth_request())
    assert (result.status, result.decline_code) == (AttemptStatus.DECLINED, "fraudulent")
    assert result.network_status == "not_sent_to_network"
    assert result.risk_level == "highest"


@responses.activate
def test_partial_approval_reports_the_vendors_amount() -> None:
    responses.post(f"{BASE}/sales", json=fixture("sale_partial_approval.json"), status=201)
    result = processor().authorize(auth_request(amount=10000))
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.amount == 6000


@responses.activate
def test_avs_mismatch_remark_fails_the_address_checks() -> None:
    responses.post(f"{BASE}/sales", json=fixture("sale_avs_mismatch.json"), status=201)
    result = processor().authorize(auth_request())
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.checks["address_line1_check"] == "fail"
    assert result.checks["address_postal_code_check"] == "fail"
    assert result.checks["cvc_check"] == "unavailable"


@responses.activate
def test_decimal_amount_and_missing_status() -> None:
    body = sale_body("sale_approved.json")
    del body["Sale"]["Status"]  # not in the seed's required list
    responses.post(
        f"{BASE}/sales",
        body=json.dumps(body).replace('"Amount": 10000', '"Amount": 10000.0'),
        status=201,
        content_type="application/json",
    )
    result = processor().authorize(auth_request())
    assert result.status == AttemptStatus.UNKNOWN
    assert result.amount == 10000 and isinstance(result.amount, int)


def test_bank_account_is_not_supported() -> None:
    bank = PaymentSource(
        type="us_bank_account",
        token="",
        bank=BankAccount(routing_number="110000000", account_number="000123456789"),
    )
    request = AuthorizeRequest(
        attempt_id="ch_1", amount=100, currency="brl", source=bank, capture=True
    )
    with pytest.raises(FlowNotSupported) as info:
        processor().authorize(request)
    assert "000123456789" not in info.value.message
    with pytest.raises(FlowNotSupported):
        processor().setup(bank, attempt_id="seti_1")


def test_three_d_secure_is_not_supported() -> None:
    with pytest.raises(FlowNotSupported):
        processor().complete_action(SALE_ID, success=True, capture=True)


# --- transport errors ------------------------------------------------------------------------


@responses.activate
def test_401_is_auth_error_without_credentials_in_message() -> None:
    responses.post(f"{BASE}/sales", json=fixture("error_401.json"), status=401)
    with pytest.raises(ConnectorAuthError) as info:
        processor().authorize(auth_request())
    assert info.value.http_status == 401 and not info.value.retryable
    assert TOKEN not in str(info.value) and CODE not in str(info.value)


@responses.activate
def test_400_is_rejected_with_the_vendor_field() -> None:
    responses.post(f"{BASE}/sales", json=fixture("error_400.json"), status=400)
    with pytest.raises(ConnectorRejected) as info:
        processor().authorize(auth_request())
    assert info.value.vendor_code == "Error"
    assert "Name: Required" in info.value.message


@pytest.mark.parametrize("status", [429, 503])
@responses.activate
def test_429_and_503_are_unavailable(status: int) -> None:
    responses.post(f"{BASE}/sales", json=fixture("error_5xx.json"), status=status)
    with pytest.raises(ConnectorUnavailable) as info:
        processor().authorize(auth_request())
    assert not isinstance(info.value, ConnectorOutcomeUnknown)
    assert info.value.retryable


@pytest.mark.parametrize("status", [500, 502, 504])
@responses.activate
def test_500_502_504_on_a_sale_are_outcome_unknown(status: int) -> None:
    responses.post(f"{BASE}/sales", json=fixture("error_5xx.json"), status=status)
    with pytest.raises(ConnectorOutcomeUnknown):
        processor().authorize(auth_request())


@responses.activate
def test_500_on_a_read_is_only_unavailable() -> None:
    responses.get(f"{BASE}/currencies", json=fixture("error_5xx.json"), status=500)
    with pytest.raises(ConnectorUnavailable) as info:
        processor().check()
    assert not isinstance(info.value, ConnectorOutcomeUnknown)


@responses.activate
def test_malformed_2xx_on_a_sale_is_outcome_unknown() -> None:
    responses.post(
        f"{BASE}/sales",
        body=(FIXTURES / "malformed.json").read_text(),
        status=201,
        content_type="application/json",
    )
    with pytest.raises(ConnectorOutcomeUnknown):
        processor().authorize(auth_request())


@responses.activate
def test_malformed_2xx_on_a_read_is_a_response_error() -> None:
    responses.get(f"{BASE}/currencies", body="<html>oops</html>", status=200)
    with pytest.raises(ConnectorResponseError):
        processor().check()


@responses.activate
def test_read_timeout_is_outcome_unknown() -> None:
    responses.post(f"{BASE}/sales", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(ConnectorOutcomeUnknown) as info:
        processor().authorize(auth_request())
    assert info.value.vendor_code == "read_timeout"  # the same code for every connector


@responses.activate
def test_connect_timeout_is_unavailable() -> None:
    responses.post(f"{BASE}/sales", body=requests.ConnectTimeout("connect timed out"))
    with pytest.raises(ConnectorUnavailable) as info:
        processor().authorize(auth_request())
    assert not isinstance(info.value, ConnectorOutcomeUnknown)


@responses.activate
def test_refused_connection_is_unavailable() -> None:
    refused = MaxRetryError(None, "/v1/sales", NewConnectionError(None, "Connection refused"))  # type: ignore[arg-type]
    responses.post(f"{BASE}/sales", body=requests.ConnectionError(refused))
    with pytest.raises(ConnectorUnavailable) as info:
        processor().authorize(auth_request())
    assert not isinstance(info.value, ConnectorOutcomeUnknown)
    assert info.value.vendor_code == "connection_refused"


@responses.activate
def test_dropped_connection_after_sending_is_outcome_unknown() -> None:
    dropped = ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
    responses.post(f"{BASE}/sales", body=requests.ConnectionError(dropped))
    with pytest.raises(ConnectorOutcomeUnknown) as info:
        processor().authorize(auth_request())
    assert info.value.vendor_code == "connection_dropped"


# --- capture / void / refund -----------------------------------------------------------------


@responses.activate
def test_capture_reads_the_sale_then_puts_capture_without_body() -> None:
    responses.get(
        f"{BASE}/sales/{SALE_ID}", json=fixture("sale_authorized.json"), match=[auth_matcher()]
    )
    responses.put(
        f"{BASE}/sales/capture/{SALE_ID}",
        json=fixture("sale_captured.json"),
        match=[auth_matcher()],
    )
    result = processor().capture(SALE_ID, 10000, attempt_id="ch_test_0001")
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.amount == 10000
    put = responses.calls[1].request
    assert put.method == "PUT" and put.url == f"{BASE}/sales/capture/{SALE_ID}"
    assert not put.body


@responses.activate
def test_capture_repeat_finds_it_done_and_partial_is_not_supported() -> None:
    responses.get(f"{BASE}/sales/{SALE_ID}", json=fixture("sale_captured.json"))
    result = processor().capture(SALE_ID, 10000, attempt_id="ch_test_0001")
    assert result.status == AttemptStatus.SUCCEEDED
    assert len(responses.calls) == 1  # no second PUT
    with pytest.raises(FlowNotSupported):
        processor().capture(SALE_ID, 5000, attempt_id="ch_test_0001")
    with pytest.raises(ConnectorRejected):
        processor().capture(SALE_ID, 20000, attempt_id="ch_test_0001")


@responses.activate
def test_capture_of_a_declined_sale_is_rejected() -> None:
    responses.get(f"{BASE}/sales/{SALE_ID}", json=fixture("sale_declined.json"))
    with pytest.raises(ConnectorRejected) as info:
        processor().capture(SALE_ID, 10000, attempt_id="ch_test_0001")
    assert info.value.vendor_code == "invalid_status"


@responses.activate
def test_capture_read_timeout_on_put_is_outcome_unknown() -> None:
    responses.get(f"{BASE}/sales/{SALE_ID}", json=fixture("sale_authorized.json"))
    responses.put(f"{BASE}/sales/capture/{SALE_ID}", body=requests.ReadTimeout("slow"))
    with pytest.raises(ConnectorOutcomeUnknown):
        processor().capture(SALE_ID, 10000, attempt_id="ch_test_0001")


@responses.activate
def test_void_puts_cancel() -> None:
    responses.get(f"{BASE}/sales/{SALE_ID}", json=fixture("sale_authorized.json"))
    responses.put(
        f"{BASE}/sales/cancel/{SALE_ID}", json=fixture("sale_canceled.json"), match=[auth_matcher()]
    )
    result = processor().void(SALE_ID, attempt_id="ch_test_0001")
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.processor_code == "6"
    put = responses.calls[1].request
    assert (put.method, put.url, put.body) == ("PUT", f"{BASE}/sales/cancel/{SALE_ID}", None)


@responses.activate
def test_void_repeat_is_idempotent() -> None:
    responses.get(f"{BASE}/sales/{SALE_ID}", json=fixture("sale_canceled.json"))
    assert processor().void(SALE_ID, attempt_id="ch_1").status == AttemptStatus.SUCCEEDED
    assert len(responses.calls) == 1


@responses.activate
def test_refund_is_a_full_cancel() -> None:
    responses.get(f"{BASE}/sales/{SALE_ID}", json=fixture("sale_approved.json"))
    responses.put(f"{BASE}/sales/cancel/{SALE_ID}", json=fixture("sale_canceled.json"))
    result = processor().refund(SALE_ID, 10000, refund_id="re_1")
    assert (result.status, result.reference, result.amount) == (
        AttemptStatus.SUCCEEDED,
        SALE_ID,
        10000,
    )


@responses.activate
def test_partial_refund_is_not_supported_and_cancel_refusal_is_rejected() -> None:
    responses.get(f"{BASE}/sales/{SALE_ID}", json=fixture("sale_approved.json"))
    with pytest.raises(FlowNotSupported):
        processor().refund(SALE_ID, 4000, refund_id="re_1")
    responses.put(f"{BASE}/sales/cancel/{SALE_ID}", json=fixture("error_400.json"), status=400)
    with pytest.raises(ConnectorRejected):
        processor().refund(SALE_ID, 10000, refund_id="re_1")


@responses.activate
def test_refund_of_failed_sale_is_rejected() -> None:
    responses.get(f"{BASE}/sales/{SALE_ID}", json=fixture("sale_declined.json"))
    with pytest.raises(ConnectorRejected):
        processor().refund(SALE_ID, 10000, refund_id="re_1")


# --- setup / sync / check --------------------------------------------------------------------


@responses.activate
def test_setup_reads_the_saved_card() -> None:
    responses.get(f"{BASE}/cards/{CARD_ID}", json=fixture("card.json"), match=[auth_matcher()])
    result = processor().setup(CARD, attempt_id="seti_1")
    assert result.status == AttemptStatus.SUCCEEDED
    assert result.vault_token == CARD_ID
    assert "223.112.333.112" not in json.dumps(result.raw)


@responses.activate
def test_setup_of_an_expired_card_is_declined() -> None:
    body = fixture("card.json")
    body["Card"]["ExpYear"] = "2022"  # the seed's own example has expired
    responses.get(f"{BASE}/cards/{CARD_ID}", json=body)
    result = processor().setup(CARD, attempt_id="seti_1")
    assert (result.status, result.failure_code) == (AttemptStatus.DECLINED, "expired_card")
    assert result.vault_token is None


@responses.activate
def test_sync_by_reference() -> None:
    responses.get(
        f"{BASE}/sales/{SALE_ID}", json=fixture("sale_approved.json"), match=[auth_matcher()]
    )
    result = processor().sync(SALE_ID, attempt_id="ch_test_0001")
    assert (result.status, result.reference) == (AttemptStatus.SUCCEEDED, SALE_ID)


@responses.activate
def test_sync_of_a_refund_attempt_reads_the_cancel() -> None:
    responses.get(f"{BASE}/sales/{SALE_ID}", json=fixture("sale_canceled.json"))
    assert processor().sync(SALE_ID, attempt_id="re_1").status == AttemptStatus.SUCCEEDED
    responses.get(f"{BASE}/sales/{SALE_ID}", json=fixture("sale_approved.json"))
    result = processor().sync(SALE_ID, attempt_id="re_1")
    assert result.status == AttemptStatus.DECLINED  # the cancel never took effect


@responses.activate
def test_sync_by_attempt_id_searches_by_ref() -> None:
    responses.get(
        f"{BASE}/sales",
        json=fixture("sales_by_ref.json"),
        match=[
            auth_matcher(),
            matchers.query_param_matcher({"Ref": "ch_test_0001", "offset": "0", "rows": "10"}),
        ],
    )
    result = processor().sync(None, attempt_id="ch_test_0001")
    assert (result.status, result.reference) == (AttemptStatus.SUCCEEDED, SALE_ID)


@responses.activate
def test_sync_by_attempt_id_asks_each_status_when_hubcash_requires_it() -> None:
    responses.get(
        f"{BASE}/sales",
        json=fixture("error_400_status_required.json"),
        status=400,
        match=[matchers.query_param_matcher({"Ref": "ch_test_0001", "offset": "0", "rows": "10"})],
    )
    for status in range(1, 8):
        body = fixture("sales_by_ref.json") if status == 3 else fixture("sales_empty.json")
        if status == 3:
            body["Sales"][0].update(Status=3, Capture=False)
        responses.get(
            f"{BASE}/sales",
            json=body,
            match=[
                matchers.query_param_matcher(
                    {"Ref": "ch_test_0001", "offset": "0", "rows": "10", "Status": str(status)}
                )
            ],
        )
    result = processor().sync(None, attempt_id="ch_test_0001")
    assert result.status == AttemptStatus.AUTHORIZED
    assert len(responses.calls) == 8


@responses.activate
def test_sync_by_attempt_id_with_no_sale_is_declined() -> None:
    responses.get(f"{BASE}/sales", json=fixture("sales_empty.json"))
    result = processor().sync(None, attempt_id="ch_never_sent")
    assert (result.status, result.reference) == (AttemptStatus.DECLINED, None)
    assert result.failure_code == "processing_error"


@responses.activate
def test_sync_read_timeout_is_unavailable() -> None:
    responses.get(f"{BASE}/sales/{SALE_ID}", body=requests.ReadTimeout("slow"))
    with pytest.raises(ConnectorUnavailable) as info:
        processor().sync(SALE_ID, attempt_id="ch_1")
    assert not isinstance(info.value, ConnectorOutcomeUnknown)


@responses.activate
def test_check_gets_currencies() -> None:
    responses.get(f"{BASE}/currencies", json=fixture("currencies.json"), match=[auth_matcher()])
    processor().check()
    responses.get(f"{BASE}/currencies", json=fixture("error_401.json"), status=401)
    with pytest.raises(ConnectorAuthError):
        processor().check()


# --- webhooks --------------------------------------------------------------------------------


def notification_body(**sale: object) -> bytes:
    body = fixture("notification.json")
    body["Notification"]["Sale"].update(sale)
    return json.dumps(body).encode()


@responses.activate
def test_webhook_is_verified_by_reading_it_back() -> None:
    note = fixture("notification.json")
    note_id = note["Notification"]["NotificationId"]
    responses.get(f"{BASE}/notifications/{note_id}", json=note, match=[auth_matcher()])
    message = processor().parse_webhook({}, notification_body())
    assert message.event_id == note_id
    assert message.type == "charge.settled"
    assert message.reference == SALE_ID
    assert message.livemode is True


@responses.activate
def test_webhook_types_follow_the_sale_status() -> None:
    note = fixture("notification.json")
    note_id = note["Notification"]["NotificationId"]
    for status, type_ in [(5, "charge.returned"), (6, "refund.settled"), (3, "charge.updated")]:
        copy_ = copy.deepcopy(note)
        copy_["Notification"]["Sale"]["Status"] = status
        responses.get(f"{BASE}/notifications/{note_id}", json=copy_)
        assert processor().parse_webhook({}, notification_body(Status=status)).type == type_


@responses.activate
def test_forged_or_tampered_webhooks_are_rejected() -> None:
    note = fixture("notification.json")
    note_id = note["Notification"]["NotificationId"]
    responses.get(f"{BASE}/notifications/{note_id}", json=note)
    with pytest.raises(WebhookRejected) as info:
        processor().parse_webhook({}, notification_body(Status=7))  # Hubcash's copy says 1
    assert info.value.vendor_code == "signature_invalid"
    responses.get(
        f"{BASE}/notifications/{note_id}", json={"Errors": [{"Type": "Error"}]}, status=404
    )
    with pytest.raises(WebhookRejected) as info:
        processor().parse_webhook({}, notification_body())
    assert info.value.vendor_code == "signature_invalid"


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        (b"not json", "body_invalid", None),
        (b"[1, 2]", "body_invalid", None),
        (b'{"Other": {}}', "parameter_invalid", "Notification"),
        (
            b'{"Notification": {"Sale": {"SaleId": "x", "Status": 1}}}',
            "parameter_invalid",
            "NotificationId",
        ),
        (
            b'{"Notification": {"NotificationId": "n1", "Sale": {"Status": 1}}}',
            "parameter_invalid",
            "Sale.SaleId",
        ),
        (
            b'{"Notification": {"NotificationId": "n1", "Sale": {"SaleId": "s"}}}',
            "parameter_invalid",
            "Sale.Status",
        ),
    ],
)
def test_malformed_webhooks_are_rejected_before_any_call(
    body: bytes, code: str, param: str | None
) -> None:
    # Inside RequestsMock any HTTP call would fail the test.
    with responses.RequestsMock(), pytest.raises(WebhookRejected) as info:
        processor().parse_webhook({}, body)
    assert (info.value.vendor_code, info.value.param) == (code, param)
