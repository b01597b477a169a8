"""The USPS Addresses API v3 connector against its documented wire format (``responses``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from dealerhub.connectors.address.base import AddressQuery
from dealerhub.connectors.address.usps import HOSTS, UspsVerifier
from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorResponseError,
    ConnectorUnavailable,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures/http/usps"
BASE = HOSTS["production"]
TOKEN_URL = BASE + "/oauth2/v3/token"
ADDRESS_URL = BASE + "/addresses/v3/address"
SECRET = "s3cr3t-consumer-secret"
WHITE_HOUSE = AddressQuery("1600 PENNSYLVANIA AVE NW", None, "WASHINGTON", "DC", "20500")


def payload(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


def verifier(clock: Clock | None = None, base: str = BASE) -> UspsVerifier:
    return UspsVerifier(
        client_id="test-consumer-key",
        client_secret=SECRET,
        base_url=base,
        clock=clock or Clock(),
    )


def query_of(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


@responses.activate
def test_token_then_address_wire_format():
    responses.post(TOKEN_URL, json=payload("token.json"))
    responses.get(ADDRESS_URL, json=payload("address_confirmed.json"))
    answer = verifier().verify(WHITE_HOUSE)

    token_call, address_call = responses.calls
    assert token_call.request.method == "POST"
    assert token_call.request.url == TOKEN_URL
    assert token_call.request.headers["Content-Type"] == "application/json"
    assert json.loads(token_call.request.body) == {
        "client_id": "test-consumer-key",
        "client_secret": SECRET,
        "grant_type": "client_credentials",
    }
    assert address_call.request.method == "GET"
    assert address_call.request.url.startswith(ADDRESS_URL + "?")
    assert address_call.request.headers["Authorization"] == (
        "Bearer eyJraWQiOiJ0ZXN0In0.usps-test-token-1"
    )
    assert address_call.request.headers["Accept"] == "application/json"
    assert address_call.request.body is None
    assert query_of(address_call) == {
        "streetAddress": ["1600 PENNSYLVANIA AVE NW"],
        "city": ["WASHINGTON"],
        "state": ["DC"],
        "ZIPCode": ["20500"],
    }

    assert answer.verified is True
    assert answer.error_message is None
    assert answer.address is not None
    assert answer.address.as_dict() == {
        "line1": "1600 PENNSYLVANIA AVE NW",
        "line2": None,
        "city": "WASHINGTON",
        "state": "DC",
        "postal_code": "20500",
        "zip4": "0005",
        "country": "US",
    }
    assert answer.details["dpv_confirmation"] == "Y"
    assert answer.details["business"] is True and answer.details["vacant"] is False
    assert answer.details["carrier_route"] == "C000"
    assert answer.details["corrections"] == []


@responses.activate
def test_unit_and_zip4_are_sent_and_dpv_d_is_not_verified():
    responses.post(TOKEN_URL, json=payload("token.json"))
    responses.get(ADDRESS_URL, json=payload("address_unit_missing.json"))
    query = AddressQuery("350 5TH AVE", "STE 2", "NEW YORK", "NY", "10118", "0110")
    answer = verifier().verify(query)
    assert query_of(responses.calls[1]) == {
        "streetAddress": ["350 5TH AVE"],
        "secondaryAddress": ["STE 2"],
        "city": ["NEW YORK"],
        "state": ["NY"],
        "ZIPCode": ["10118"],
        "ZIPPlus4": ["0110"],
    }
    assert answer.verified is False
    assert "apartment or suite" in answer.error_message
    # The legacy block names (addressAdditionalInfo, addressCorrections) are read too.
    assert answer.details["dpv_confirmation"] == "D"
    assert answer.details["central_delivery_point"] is True
    assert answer.details["corrections"][0].startswith("Default address")
    assert [c.line1 for c in answer.candidates] == ["350 5TH AVE"]


@responses.activate
def test_token_is_reused_until_it_nearly_expires():
    clock = Clock()
    responses.post(TOKEN_URL, json=payload("token.json"))
    responses.get(ADDRESS_URL, json=payload("address_confirmed.json"))
    usps = verifier(clock)
    usps.verify(WHITE_HOUSE)
    clock.t += 28799 - 61  # just inside the renewal margin
    usps.verify(WHITE_HOUSE)
    assert [c.request.method for c in responses.calls] == ["POST", "GET", "GET"]
    clock.t += 2  # within 60 s of expiry: renewed before use
    usps.verify(WHITE_HOUSE)
    assert [c.request.method for c in responses.calls] == ["POST", "GET", "GET", "POST", "GET"]


@responses.activate
def test_a_401_gets_one_new_token_and_one_retry():
    responses.post(TOKEN_URL, json=payload("token.json"))
    responses.post(TOKEN_URL, json={**payload("token.json"), "access_token": "second-token"})
    responses.get(ADDRESS_URL, json=payload("unauthorized.json"), status=401)
    responses.get(ADDRESS_URL, json=payload("address_confirmed.json"))
    answer = verifier().verify(WHITE_HOUSE)
    assert answer.verified is True
    methods = [c.request.method for c in responses.calls]
    assert methods == ["POST", "GET", "POST", "GET"]
    assert responses.calls[3].request.headers["Authorization"] == "Bearer second-token"


@responses.activate
def test_a_second_401_is_an_auth_error():
    responses.post(TOKEN_URL, json=payload("token.json"))
    responses.get(ADDRESS_URL, json=payload("unauthorized.json"), status=401)
    with pytest.raises(ConnectorAuthError) as err:
        verifier().verify(WHITE_HOUSE)
    assert err.value.retryable is False and err.value.http_status == 401
    assert len(responses.calls) == 4  # token, address, token, address


@responses.activate
def test_refused_client_credentials():
    responses.post(TOKEN_URL, json=payload("token_invalid_client.json"), status=401)
    with pytest.raises(ConnectorAuthError) as err:
        verifier().verify(WHITE_HOUSE)
    assert "client_id" in err.value.message and SECRET not in err.value.message
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    ("status", "fixture", "message"),
    [
        (404, "address_not_found.json", "Address Not Found."),
        (400, "invalid_city.json", "The city in the request is missing or invalid."),
    ],
)
@responses.activate
def test_usps_refusals_are_unverified_answers(status, fixture, message):
    responses.post(TOKEN_URL, json=payload("token.json"))
    responses.get(ADDRESS_URL, json=payload(fixture), status=status)
    answer = verifier().verify(WHITE_HOUSE)
    assert answer.verified is False
    assert answer.error_message == message
    assert answer.address is not None and answer.address.line1 == WHITE_HOUSE.line1
    assert answer.candidates == ()


@pytest.mark.parametrize(("status", "code"), [(429, "rate_limited"), (503, None), (500, None)])
@responses.activate
def test_rate_limits_and_outages_are_retryable(status, code):
    responses.post(TOKEN_URL, json=payload("token.json"))
    responses.get(ADDRESS_URL, json={"error": {"code": str(status)}}, status=status)
    with pytest.raises(ConnectorUnavailable) as err:
        verifier().verify(WHITE_HOUSE)
    assert err.value.retryable is True and err.value.http_status == status
    if code:
        assert err.value.vendor_code == code


@responses.activate
def test_timeout_and_connection_errors():
    responses.post(TOKEN_URL, json=payload("token.json"))
    responses.get(ADDRESS_URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(ConnectorUnavailable) as err:
        verifier().verify(WHITE_HOUSE)
    assert err.value.vendor_code == "timeout"
    responses.replace(responses.GET, ADDRESS_URL, body=requests.ConnectionError("refused"))
    with pytest.raises(ConnectorUnavailable) as err:
        verifier().verify(WHITE_HOUSE)
    assert err.value.vendor_code == "connection_failed"


@responses.activate
def test_unusable_bodies():
    responses.post(TOKEN_URL, json={"token_type": "Bearer"})
    with pytest.raises(ConnectorResponseError):
        verifier().verify(WHITE_HOUSE)
    responses.replace(responses.POST, TOKEN_URL, json=payload("token.json"))
    responses.get(ADDRESS_URL, body="<html>gateway</html>", status=200)
    with pytest.raises(ConnectorResponseError):
        verifier().verify(WHITE_HOUSE)


@responses.activate
def test_what_usps_cannot_answer_is_not_asked():
    assert (
        verifier()
        .verify(AddressQuery("1 MAIN ST", None, "SPRINGFIELD", None, "62701"))
        .error_message
        == "The address has no state."
    )
    assert (
        verifier().verify(AddressQuery("1 MAIN ST", None, None, "IL", None)).error_message
        == "The address has no city or ZIP code."
    )
    assert len(responses.calls) == 0


@responses.activate
def test_testing_environment_host():
    tem = UspsVerifier.from_config(
        {"client_id": "k", "client_secret": "s", "environment": "testing"}
    )
    assert tem.base_url == "https://apis-tem.usps.com"
    responses.post("https://apis-tem.usps.com/oauth2/v3/token", json=payload("token.json"))
    responses.get(
        "https://apis-tem.usps.com/addresses/v3/address", json=payload("address_confirmed.json")
    )
    assert tem.verify(WHITE_HOUSE).verified is True
    assert SECRET not in repr(verifier()) and "s3cr3t" not in repr(verifier())


@responses.activate
def test_logs_carry_neither_credentials_nor_the_address(caplog):
    caplog.set_level(logging.DEBUG)
    responses.post(TOKEN_URL, json=payload("token.json"))
    responses.get(ADDRESS_URL, json=payload("address_confirmed.json"))
    verifier().verify(WHITE_HOUSE)
    text = "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)
    assert "usps GET /addresses/v3/address responded 200" in text
    for secret in (SECRET, "usps-test-token-1", "PENNSYLVANIA"):
        assert secret not in text
