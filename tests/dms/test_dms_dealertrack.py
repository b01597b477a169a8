from __future__ import annotations

import logging
from pathlib import Path

import pytest
import requests
import responses
from defusedxml.ElementTree import fromstring

from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorRejected,
    ConnectorUnavailable,
)
from dealerhub.connectors.dms.base import DmsContact, DmsDealPush, DmsLeadPush
from dealerhub.connectors.dms.dealertrack import (
    PASSWORD_TEXT,
    DealerTrackCredentials,
    DealerTrackDms,
)
from dealerhub.dms.credentials import dealertrack_credentials
from dealerhub.dms.errors import DmsNotConfigured
from dealerhub.dms.models import Lead
from tests.dms.conftest import post_lead

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/http/dealertrack"
BASE = "https://ot.dms.example.com/opentrack"
CUSTOMER_URL = f"{BASE}/CustomerAPI.asmx"
DEAL_URL = f"{BASE}/DealAPI.asmx"
CREDS = DealerTrackCredentials(
    api_url=BASE,
    username="hub-user",
    password="s3cr3t-Pa55",
    enterprise_code="ZE",
    company_number="ZE7",
)
CONTACT = DmsContact(
    first_name="Jane",
    last_name="Doe",
    email="jane.doe@example.com",
    phone="+15550102030",
    address={"line1": "1 Main St", "city": "Austin", "state": "TX", "postal_code": "78701"},
)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def soap(body: str, status: int = 200):
    return {"body": body, "status": status, "content_type": "text/xml; charset=utf-8"}


def local(el):
    return el.tag.rsplit("}", 1)[-1]


def find(root, name):
    return next((e for e in root.iter() if local(e) == name), None)


def test_envelope_carries_ws_security_and_dealer_block():
    xml = DealerTrackDms(CREDS).envelope("CustomerSearch", [("SearchParms", [("Email", "a@b.c")])])
    root = fromstring(xml)
    assert root.tag == "{http://schemas.xmlsoap.org/soap/envelope/}Envelope"
    security = find(root, "Security")
    assert security.tag.startswith("{http://docs.oasis-open.org/wss/2004/01/")
    assert find(security, "Username").text == "hub-user"
    password = find(security, "Password")
    assert password.text == "s3cr3t-Pa55"
    assert password.get("Type") == PASSWORD_TEXT
    op = find(root, "CustomerSearch")
    assert op.tag == "{opentrack.dealertrack.com}CustomerSearch"
    assert find(op, "EnterpriseCode").text == "ZE"
    assert find(op, "CompanyNumber").text == "ZE7"
    assert find(op, "ServerName") is None
    assert find(op, "Email").text == "a@b.c"


@responses.activate
def test_lead_push_looks_up_then_inserts_and_returns_the_dms_key():
    responses.post(CUSTOMER_URL, **soap(fixture("customer_search_empty.xml")))
    responses.post(CUSTOMER_URL, **soap(fixture("customer_search_empty.xml")))
    responses.post(CUSTOMER_URL, **soap(fixture("customer_add_ok.xml")))
    result = DealerTrackDms(CREDS).push_lead(DmsLeadPush(reference="lead_abc", contact=CONTACT))
    assert result.customer_key == "2097152" and result.matched is False
    calls = responses.calls
    assert [c.request.headers["SOAPAction"] for c in calls] == [
        '"opentrack.dealertrack.com/CustomerSearch"',
        '"opentrack.dealertrack.com/CustomerSearch"',
        '"opentrack.dealertrack.com/CustomerAdd"',
    ]
    assert all(c.request.method == "POST" and c.request.url == CUSTOMER_URL for c in calls)
    assert calls[0].request.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert calls[0].request.headers["User-Agent"].startswith("dealerhub/")
    first = fromstring(calls[0].request.body)
    assert find(first, "Email").text == "jane.doe@example.com"
    second = fromstring(calls[1].request.body)
    assert find(second, "LastName").text == "Doe"
    assert find(second, "PhoneNumber").text == "+15550102030"
    add = fromstring(calls[2].request.body)
    assert find(add, "ExternalReference").text == "lead_abc"
    assert find(add, "ZipCode").text == "78701"
    assert find(add, "Number").text == "+15550102030"


@responses.activate
def test_existing_customer_is_found_not_inserted_again():
    # A transitional-namespace response parses the same way.
    responses.post(CUSTOMER_URL, **soap(fixture("customer_search_found.xml")))
    result = DealerTrackDms(CREDS).push_lead(DmsLeadPush(reference="lead_abc", contact=CONTACT))
    assert result.customer_key == "1048576" and result.matched is True
    assert len(responses.calls) == 1


@responses.activate
def test_error_inside_a_200_body_is_a_permanent_rejection():
    responses.post(CUSTOMER_URL, **soap(fixture("customer_search_empty.xml")))
    responses.post(CUSTOMER_URL, **soap(fixture("customer_search_empty.xml")))
    responses.post(CUSTOMER_URL, **soap(fixture("customer_add_error.xml")))
    with pytest.raises(ConnectorRejected) as info:
        DealerTrackDms(CREDS).push_lead(DmsLeadPush(reference="lead_abc", contact=CONTACT))
    err = info.value
    assert err.vendor == "dealertrack" and err.vendor_code == "CUS0012"
    assert err.http_status == 200 and err.retryable is False
    assert "ZipCode is invalid" in err.message


@responses.activate
def test_missing_opentrack_permission_is_named_plainly():
    responses.post(CUSTOMER_URL, **soap(fixture("permission_denied.xml")))
    with pytest.raises(ConnectorAuthError) as info:
        DealerTrackDms(CREDS).push_lead(DmsLeadPush(reference="lead_abc", contact=CONTACT))
    message = info.value.message
    assert "'Customers' method is not enabled" in message
    assert "Data Exchange → OpenTrack" in message
    assert info.value.retryable is False


@responses.activate
def test_bad_credentials_soap_fault():
    responses.post(CUSTOMER_URL, **soap(fixture("auth_fault.xml"), status=500))
    with pytest.raises(ConnectorAuthError) as info:
        DealerTrackDms(CREDS).find_customer(CONTACT, None)
    assert "username or password" in info.value.message
    assert "s3cr3t" not in str(info.value)


@responses.activate
@pytest.mark.parametrize("status", [502, 503, 429])
def test_outages_are_retryable(status):
    responses.post(CUSTOMER_URL, body="<html>bad gateway</html>", status=status)
    with pytest.raises(ConnectorUnavailable) as info:
        DealerTrackDms(CREDS).find_customer(CONTACT, None)
    assert info.value.retryable is True and info.value.http_status == status


@responses.activate
def test_timeouts_and_connection_errors_never_leak_requests_exceptions():
    responses.post(CUSTOMER_URL, body=requests.ConnectTimeout("slow"))
    with pytest.raises(ConnectorUnavailable):
        DealerTrackDms(CREDS).find_customer(CONTACT, None)
    responses.replace(responses.POST, CUSTOMER_URL, body=requests.ConnectionError("refused"))
    with pytest.raises(ConnectorUnavailable):
        DealerTrackDms(CREDS).find_customer(CONTACT, None)


def test_plain_http_endpoint_is_refused():
    creds = DealerTrackCredentials("http://ot.example.com", "u", "p", "ZE", "ZE7")
    with pytest.raises(ConnectorAuthError):
        DealerTrackDms(creds).find_customer(CONTACT, None)


def test_password_is_not_in_repr():
    assert "s3cr3t" not in repr(CREDS)
    assert "jane" not in repr(CONTACT).lower()


@responses.activate
def test_deal_push_searches_by_reference_then_adds_in_dollars():
    responses.post(CUSTOMER_URL, **soap(fixture("customer_search_found.xml")))
    responses.post(DEAL_URL, **soap(fixture("deal_search_empty.xml")))
    responses.post(DEAL_URL, **soap(fixture("deal_add_ok.xml")))
    deal = DmsDealPush(
        reference="deal_1",
        contact=CONTACT,
        vehicle={"vin": "1HGCM82633A004352", "price": 2_500_000},
        finance={"type": "retail", "amount_financed": 2_000_005, "apr": "6.9", "term_months": 60},
    )
    result = DealerTrackDms(CREDS).push_deal(deal)
    assert result.record_key == "D-77001" and result.customer_key == "1048576"
    add = fromstring(responses.calls[2].request.body)
    assert responses.calls[2].request.headers["SOAPAction"] == (
        '"opentrack.dealertrack.com/DealAdd"'
    )
    assert find(add, "AmountFinanced").text == "20000.05"
    assert find(add, "CashPrice").text == "25000.00"
    assert find(add, "SaleType").text == "R"
    assert find(add, "CustomerNumber").text == "1048576"


@responses.activate
def test_deals_permission_names_the_deals_method():
    responses.post(CUSTOMER_URL, **soap(fixture("customer_search_found.xml")))
    body = fixture("permission_denied.xml").replace("CustomerSearch", "DealSearch")
    responses.post(DEAL_URL, **soap(body))
    deal = DmsDealPush(reference="deal_1", contact=CONTACT, finance={"type": "cash"})
    with pytest.raises(ConnectorAuthError) as info:
        DealerTrackDms(CREDS).push_deal(deal)
    assert "'Deals' method is not enabled" in info.value.message


@responses.activate
def test_live_lead_syncs_through_dealertrack_and_stores_the_key(
    live_api, db, dealer, caplog, swap_connectors
):
    caplog.set_level(logging.DEBUG)
    responses.post(CUSTOMER_URL, **soap(fixture("customer_search_empty.xml")))
    responses.post(CUSTOMER_URL, **soap(fixture("customer_search_empty.xml")))
    responses.post(CUSTOMER_URL, **soap(fixture("customer_add_ok.xml")))
    swap_connectors(dms_override=lambda _s, _t: DealerTrackDms(CREDS))
    lead = post_lead(live_api).get_json()
    with db.transaction() as s:
        row = s.get(Lead, lead["id"])
    assert row.sync_status == "synced"
    assert row.dms_customer_key == "2097152"
    assert "s3cr3t-Pa55" not in caplog.text


def test_credentials_come_from_the_configuration_tree():
    tree = {
        "dealer_management_system": {
            "dealer_track": {
                "dms": {
                    "api_url": BASE,
                    "username": "u",
                    "password": "p",
                    "enterprise_code": "ZE",
                    "company_number": "ZE7",
                }
            }
        }
    }
    creds = dealertrack_credentials(tree)
    assert creds.enterprise_code == "ZE" and creds.api_url == BASE


def test_missing_configuration_is_a_clear_non_retryable_error():
    tree = {"dealer_management_system": {"dealer_track": {"dms": {"api_url": BASE}}}}
    with pytest.raises(DmsNotConfigured) as info:
        dealertrack_credentials(tree)
    assert "dealer_management_system.dealer_track.dms.username" in info.value.message
    assert info.value.retryable is False
    with pytest.raises(DmsNotConfigured):
        dealertrack_credentials({})


@responses.activate
def test_live_lead_uses_credentials_from_the_configuration_api(live_api, db, caplog):
    caplog.set_level(logging.DEBUG)
    tree = {
        "dealer_management_system": {
            "dealer_track": {
                "dms": {
                    "api_url": "https://ot.dms.dealertrack.com",
                    "username": "dtuser",
                    "password": "dt-pass-1",
                    "enterprise_code": "ZE",
                    "company_number": "ZE7",
                }
            }
        }
    }
    assert live_api.post("/configuration", json=tree).status_code in (200, 201)
    url = "https://ot.dms.dealertrack.com/CustomerAPI.asmx"
    responses.post(url, **soap(fixture("customer_search_found.xml")))
    lead = post_lead(live_api).get_json()
    with db.transaction() as s:
        row = s.get(Lead, lead["id"])
    assert row.sync_status == "synced" and row.dms_customer_key == "1048576"
    sent = fromstring(responses.calls[0].request.body)
    assert find(sent, "Username").text == "dtuser"
    assert find(sent, "CompanyNumber").text == "ZE7"
    assert "dt-pass-1" not in caplog.text
