"""The real PEN connector's wire format (SOAP 1.1 + WS-Security UsernameToken), driven with
``responses``: the envelope we send, and how each kind of answer is read."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from sqlalchemy import select

from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorOutcomeUnknown,
    ConnectorRejected,
    ConnectorResponseError,
    ConnectorUnavailable,
)
from dealerhub.connectors.pen.base import DealerProfile, SetDealerRequest
from dealerhub.connectors.pen.soap import HOSTS, PASSWORD_TEXT, PenSoapClient
from dealerhub.errors import InvalidRequest
from dealerhub.events.models import Event
from dealerhub.pen.models import PenRegistration
from tests.conftest import assert_error
from tests.pen.conftest import dealer_body

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/http/pen"
QA = HOSTS["qa"]
SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"
WSSE = "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}"
WSU = "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd}"
TEM = "{http://tempuri.org/}"
DATA = "{http://schemas.datacontract.org/2004/07/DSI.Rating}"
NOW = 1_796_000_000.0  # 2026-11-30T00:53:20Z
NONCE = b"0123456789abcdef"
PROFILE = DealerProfile(
    dealership_name="Sunrise Motors",
    address1="1200 Harbor Blvd",
    address2=None,
    city="Costa Mesa",
    state="CA",
    zip_code="92626",
    phone="7145550142",
    fax=None,
    email="fi@sunrisemotors.example",
    web_site="https://sunrisemotors.example",
    contact_name="Dana Whitfield",
    time_zone="Pacific",
    observes_daylight_saving=True,
    is_test_dealer=False,
)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def soap(body: str, status: int = 200) -> dict[str, Any]:
    return {"body": body, "status": status, "content_type": "text/xml; charset=utf-8"}


def client(**kw: Any) -> PenSoapClient:
    return PenSoapClient(
        api_url=QA,
        username="dealerhub-partner",
        password="s3cret-pw",
        clock=lambda: NOW,
        nonce=lambda: NONCE,
        **kw,
    )


@responses.activate
def test_register_envelope_is_soap_with_ws_security_and_ordered_members():
    responses.post(QA, **soap(fixture("set_dealer_registered.xml")))
    result = client().set_dealer(SetDealerRequest("REGISTER", 0, PROFILE))
    assert result.success is True and result.pen_dealer_id == 48213 and result.error is None

    (call,) = responses.calls
    assert call.request.method == "POST" and call.request.url == QA
    assert call.request.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert call.request.headers["SOAPAction"] == '"http://tempuri.org/IDSIRating/SetDealer"'
    root = ET.fromstring(call.request.body)
    assert root.tag == f"{SOAP}Envelope"
    security = root.find(f"{SOAP}Header/{WSSE}Security")
    assert security is not None and security.get(f"{SOAP}mustUnderstand") == "1"
    created = security.findtext(f"{WSU}Timestamp/{WSU}Created")
    expires = security.findtext(f"{WSU}Timestamp/{WSU}Expires")
    assert (created, expires) == ("2026-11-30T00:53:20.000Z", "2026-11-30T00:58:20.000Z")
    token = security.find(f"{WSSE}UsernameToken")
    assert token.findtext(f"{WSSE}Username") == "dealerhub-partner"
    password = token.find(f"{WSSE}Password")
    assert password.text == "s3cret-pw" and password.get("Type") == PASSWORD_TEXT
    assert base64.b64decode(token.findtext(f"{WSSE}Nonce")) == NONCE
    assert token.findtext(f"{WSU}Created") == created

    request = root.find(f"{SOAP}Body/{TEM}SetDealer/{TEM}request")
    members = [(child.tag.removeprefix(DATA), child.text) for child in request]
    # WCF's DataContractSerializer reads members in alphabetical order; None is left out.
    assert members == [
        ("Action", "REGISTER"),
        ("Address1", "1200 Harbor Blvd"),
        ("City", "Costa Mesa"),
        ("ContactName", "Dana Whitfield"),
        ("DealerID", "0"),
        ("DealershipName", "Sunrise Motors"),
        ("Email", "fi@sunrisemotors.example"),
        ("IsTestDealer", "false"),
        ("ObservesDayLightSaving", "true"),
        ("Phone", "7145550142"),
        ("State", "CA"),
        ("TimeZone", "Pacific"),
        ("WebSite", "https://sunrisemotors.example"),
        ("ZipCode", "92626"),
    ]


@responses.activate
def test_unregister_sends_the_id_and_only_what_was_given():
    responses.post(QA, **soap(fixture("set_dealer_registered.xml").replace("48213", "48999")))
    result = client().set_dealer(SetDealerRequest("UNREGISTER", 48999, DealerProfile()))
    assert result.success and result.pen_dealer_id == 48999
    request = ET.fromstring(responses.calls[0].request.body).find(
        f"{SOAP}Body/{TEM}SetDealer/{TEM}request"
    )
    assert [(c.tag.removeprefix(DATA), c.text) for c in request] == [
        ("Action", "UNREGISTER"),
        ("DealerID", "48999"),
    ]


@responses.activate
def test_a_refusal_is_an_answer_with_pens_error():
    responses.post(QA, **soap(fixture("set_dealer_refused.xml")))
    result = client().set_dealer(SetDealerRequest("UPDATE", 48999, PROFILE))
    assert result.success is False and result.pen_dealer_id == 0
    assert result.error is not None
    assert result.error.dsi_log_id == "88120457"
    assert result.error.error_code == "1003"
    assert result.error.description == (
        "Dealer 48999 does not exist or is not associated with this account."
    )


@pytest.mark.parametrize(
    ("name", "status", "kind"),
    [
        ("fault_security.xml", 500, ConnectorAuthError),
        ("fault_client.xml", 500, ConnectorRejected),
    ],
)
@responses.activate
def test_soap_faults(name, status, kind):
    responses.post(QA, **soap(fixture(name), status))
    with pytest.raises(kind) as info:
        client().set_dealer(SetDealerRequest("REGISTER", 0, PROFILE))
    assert info.value.retryable is False
    assert "s3cret" not in info.value.message


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (401, "", ConnectorAuthError),
        (403, "", ConnectorAuthError),
        (429, "", ConnectorUnavailable),
        (503, "<html>down</html>", ConnectorUnavailable),
        (500, "", ConnectorOutcomeUnknown),
        (400, "", ConnectorRejected),
        (200, "<html>not soap</html>", ConnectorResponseError),
        (200, "not xml at all", ConnectorResponseError),
    ],
)
@responses.activate
def test_http_answers_map_to_connector_errors(status, body, kind):
    responses.post(QA, body=body, status=status)
    with pytest.raises(kind):
        client().set_dealer(SetDealerRequest("REGISTER", 0, PROFILE))


@responses.activate
def test_a_non_numeric_dealer_id_is_unreadable():
    responses.post(QA, **soap(fixture("set_dealer_registered.xml").replace("48213", "abc")))
    with pytest.raises(ConnectorResponseError):
        client().set_dealer(SetDealerRequest("REGISTER", 0, PROFILE))


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (requests.ConnectTimeout("connect timed out"), ConnectorUnavailable),
        (requests.ReadTimeout("read timed out"), ConnectorOutcomeUnknown),
        (requests.ConnectionError("connection reset by peer"), ConnectorOutcomeUnknown),
    ],
)
@responses.activate
def test_transport_failures_never_leak_requests_exceptions(exc, kind):
    responses.post(QA, body=exc)
    with pytest.raises(kind) as info:
        client().set_dealer(SetDealerRequest("REGISTER", 0, PROFILE))
    assert not isinstance(info.value, requests.RequestException)


def test_plain_http_is_refused_except_to_this_machine():
    with pytest.raises(ConnectorAuthError):
        PenSoapClient(
            api_url="http://pen.example/DSIRating.svc/Basic", username="u", password="p"
        ).set_dealer(SetDealerRequest("REGISTER", 0, PROFILE))


def test_password_is_not_in_repr():
    assert "s3cret-pw" not in repr(client())


def test_from_config_picks_the_host_and_names_missing_fields():
    assert (
        PenSoapClient.from_config({"username": "u", "password": "p"}).api_url == HOSTS["production"]
    )
    qa = PenSoapClient.from_config({"username": "u", "password": "p", "environment": "qa"})
    assert qa.api_url == HOSTS["qa"]
    with pytest.raises(InvalidRequest) as info:
        PenSoapClient.from_config({"username": "u"})
    assert info.value.param == "pen.password"


# --- live mode through the API ---------------------------------------------------------------


@responses.activate
def test_live_register_uses_the_configured_credentials_and_stores_pens_id(
    live_api, db, dealer, caplog
):
    tree = {"pen": {"environment": "qa", "username": "dealerhub-partner", "password": "s3cret-pw"}}
    assert live_api.post("/configuration", json=tree).status_code == 200
    responses.post(QA, **soap(fixture("set_dealer_registered.xml")))
    body = live_api.post("/set-dealer", json=dealer_body(isTestDealer=False)).get_json()
    assert body == {"dealer_id": "48213", "success": "Success", "error": None}
    sent = responses.calls[0].request.body.decode()
    assert "<wsse:Username>dealerhub-partner</wsse:Username>" in sent
    assert ">s3cret-pw</wsse:Password>" in sent
    with db.transaction() as s:
        reg = s.scalars(
            select(PenRegistration).where(
                PenRegistration.dealer_id == dealer.id, PenRegistration.livemode.is_(True)
            )
        ).one()
        assert reg.pen_dealer_id == 48213
        event = s.scalars(
            select(Event).where(Event.dealer_id == dealer.id, Event.type == "pen.dealer_registered")
        ).one()
        assert event.livemode is True
    conf = live_api.get("/configuration").get_json()
    assert conf["pen"]["registration"]["pen_dealer_id"] == 48213
    assert conf["pen"]["password"] == "********"
    logged = caplog.text + json.dumps([r.getMessage() for r in caplog.records])
    assert "s3cret-pw" not in logged and "7145550142" not in logged


@responses.activate
def test_live_refusal_by_pen_is_a_200_failed_with_pens_error(live_api, db, dealer):
    tree = {"pen": {"username": "dealerhub-partner", "password": "s3cret-pw"}}
    live_api.post("/configuration", json=tree)
    responses.post(HOSTS["production"], **soap(fixture("set_dealer_refused.xml")))
    response = live_api.post("/set-dealer", json=dealer_body())
    assert response.status_code == 200
    assert response.get_json() == {
        "dealer_id": "0",
        "success": "Failed",
        "error": {
            "dsi_log_id": "88120457",
            "description": "Dealer 48999 does not exist or is not associated with this account.",
            "error_code": "1003",
        },
    }
    with db.transaction() as s:
        assert (
            s.scalars(select(PenRegistration).where(PenRegistration.dealer_id == dealer.id)).first()
            is None
        )


@responses.activate
def test_live_security_fault_is_a_502_that_is_not_retryable(live_api):
    live_api.post("/configuration", json={"pen": {"username": "u", "password": "wrong"}})
    responses.post(HOSTS["production"], **soap(fixture("fault_security.xml"), 500))
    err = assert_error(
        live_api.post("/set-dealer", json=dealer_body()),
        502,
        "provider_error",
        "pen_authentication_failed",
    )
    assert err["retryable"] is False
