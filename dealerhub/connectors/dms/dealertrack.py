"""DealerTrack DMS through OpenTrack: SOAP 1.1 over HTTPS with a WS-Security UsernameToken.

Wire facts (see the reference notes): SOAPAction ``opentrack.dealertrack.com/<Operation>``,
request namespace ``opentrack.dealertrack.com`` (responses may use ``…/transitional``; we
match local names so both parse), a ``Dealer`` block with ``EnterpriseCode``,
``CompanyNumber`` and optional ``ServerName``, and errors returned as ``Errors/Error{Code,
Message}`` *inside HTTP 200 bodies*. Each OpenTrack method (Customers, Deals, …) is enabled
separately at the dealership, so a denial names the method the dealer must enable.

Customers are looked up before they are inserted (stored DMS key, then e-mail, then phone +
last name): a retry, or a worker killed after the insert but before our commit, finds the
customer it created instead of creating a second one.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorRejected,
    ConnectorResponseError,
    ConnectorUnavailable,
)
from dealerhub.connectors.dms.base import DmsContact, DmsDealPush, DmsLeadPush, DmsPushResult
from dealerhub.http import make_session

VENDOR = "dealertrack"
NS = "opentrack.dealertrack.com"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
# The WS-Security token type URI (not a password).
_WSS_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
PASSWORD_TEXT = _WSS_PROFILE + "#PasswordText"
# Which OpenTrack method (as the dealer enables it under Data Exchange → OpenTrack) each
# operation needs, and which .asmx service hosts it.
METHODS = {"Customer": ("Customers", "CustomerAPI.asmx"), "Deal": ("Deals", "DealAPI.asmx")}
_PERMISSION = re.compile(
    r"not (?:enabled|authori[sz]ed|permitted|allowed)|permission|access (?:is )?denied|"
    r"no access|not subscribed|access has expired",
    re.I,
)
_AUTH = re.compile(r"invalid (?:user|username|password|credential|login)|authenticat", re.I)
_TRANSIENT = re.compile(r"timeout|timed out|temporar|unavailable|try again|busy|deadlock", re.I)


@dataclass(frozen=True)
class DealerTrackCredentials:
    api_url: str
    username: str
    password: str = field(repr=False)
    enterprise_code: str = ""
    company_number: str = ""
    server_name: str | None = None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(el: ET.Element, name: str) -> ET.Element | None:
    for node in el.iter():
        if _local(node.tag) == name:
            return node
    return None


def _findtext(el: ET.Element, name: str) -> str | None:
    node = _find(el, name)
    return node.text.strip() if node is not None and node.text and node.text.strip() else None


class DealerTrackDms:
    name = "dealertrack"

    def __init__(
        self,
        credentials: DealerTrackCredentials,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
    ) -> None:
        self.credentials = credentials
        self.timeout = timeout
        # POSTs are never retried by the session: the sync task retries the whole push, whose
        # look-up before insert keeps it from creating a second customer.
        self.http = session or make_session(timeout=timeout)

    # --- envelope -----------------------------------------------------------------------

    def envelope(self, operation: str, body: list[tuple[str, Any]]) -> bytes:
        """``<soap:Envelope>`` with the UsernameToken header and ``<Operation>`` + Dealer."""
        ET.register_namespace("soap", SOAP_NS)
        ET.register_namespace("wsse", WSSE_NS)
        env = ET.Element(f"{{{SOAP_NS}}}Envelope")
        header = ET.SubElement(env, f"{{{SOAP_NS}}}Header")
        security = ET.SubElement(
            header, f"{{{WSSE_NS}}}Security", {f"{{{SOAP_NS}}}mustUnderstand": "1"}
        )
        token = ET.SubElement(security, f"{{{WSSE_NS}}}UsernameToken")
        ET.SubElement(token, f"{{{WSSE_NS}}}Username").text = self.credentials.username
        ET.SubElement(
            token, f"{{{WSSE_NS}}}Password", {"Type": PASSWORD_TEXT}
        ).text = self.credentials.password
        soap_body = ET.SubElement(env, f"{{{SOAP_NS}}}Body")
        op = ET.SubElement(soap_body, f"{{{NS}}}{operation}")
        dealer = ET.SubElement(op, f"{{{NS}}}Dealer")
        ET.SubElement(dealer, f"{{{NS}}}EnterpriseCode").text = self.credentials.enterprise_code
        ET.SubElement(dealer, f"{{{NS}}}CompanyNumber").text = self.credentials.company_number
        if self.credentials.server_name:
            ET.SubElement(dealer, f"{{{NS}}}ServerName").text = self.credentials.server_name
        _build(op, body)
        return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(env)

    def _url(self, service: str) -> str:
        base = self.credentials.api_url.rstrip("/")
        return base if base.lower().endswith(".asmx") else f"{base}/{service}"

    # --- transport ----------------------------------------------------------------------

    def call(self, operation: str, body: list[tuple[str, Any]]) -> ET.Element:
        """POST one operation; return its ``…Result`` element or raise a ConnectorError."""
        prefix = next((p for p in METHODS if operation.startswith(p)), "Customer")
        method, service = METHODS[prefix]
        if not _secure_url(self.credentials.api_url):
            raise ConnectorAuthError(
                "The DealerTrack api_url must use https://.", vendor=VENDOR, vendor_code="config"
            )
        try:
            response = self.http.post(
                self._url(service),
                data=self.envelope(operation, body),
                headers={
                    "Content-Type": "text/xml; charset=utf-8",
                    "SOAPAction": f'"{NS}/{operation}"',
                },
                timeout=self.timeout,
            )
        except requests.Timeout as exc:
            raise ConnectorUnavailable(
                f"DealerTrack {operation} timed out.", vendor=VENDOR, vendor_code="timeout"
            ) from exc
        except requests.RequestException as exc:
            raise ConnectorUnavailable(
                f"DealerTrack {operation} could not connect: {type(exc).__name__}.",
                vendor=VENDOR,
                vendor_code="connection_error",
            ) from exc
        return self._result(operation, method, response)

    def _result(self, operation: str, method: str, response: requests.Response) -> ET.Element:
        status = response.status_code
        root = None
        try:
            root = fromstring(response.content) if response.content else None
        except (ParseError, DefusedXmlException):
            root = None
        fault = _find(root, "Fault") if root is not None else None
        if fault is not None:
            self._raise(
                operation,
                method,
                status,
                _findtext(fault, "faultcode"),
                _findtext(fault, "faultstring") or "SOAP fault",
                soap_fault=True,
            )
        if status in (401, 403):
            self._raise(operation, method, status, str(status), "access denied")
        if status == 429 or status >= 500:
            raise ConnectorUnavailable(
                f"DealerTrack {operation} answered HTTP {status}.",
                vendor=VENDOR,
                http_status=status,
            )
        if status >= 400:
            raise ConnectorRejected(
                f"DealerTrack {operation} answered HTTP {status}.",
                vendor=VENDOR,
                http_status=status,
            )
        if root is None:
            raise ConnectorResponseError(
                f"DealerTrack {operation} returned a body that is not XML.",
                vendor=VENDOR,
                http_status=status,
            )
        result = _find(root, f"{operation}Result")
        if result is None:
            result = _find(root, f"{operation}Response")
        if result is None:
            raise ConnectorResponseError(
                f"DealerTrack {operation} response has no {operation}Result.",
                vendor=VENDOR,
                http_status=status,
            )
        # OpenTrack reports failures inside a 200: Errors/Error{Code, Message}.
        error = _find(result, "Error")
        if error is not None:
            self._raise(
                operation,
                method,
                status,
                _findtext(error, "Code"),
                _findtext(error, "Message") or "error without message",
            )
        return result

    def _raise(
        self,
        operation: str,
        method: str,
        status: int,
        code: str | None,
        message: str,
        *,
        soap_fault: bool = False,
    ) -> None:
        text = " ".join(message.split())[:300]
        kwargs: dict[str, Any] = {"vendor": VENDOR, "http_status": status, "vendor_code": code}
        if _AUTH.search(text):
            raise ConnectorAuthError(
                f"DealerTrack rejected the OpenTrack username or password ({operation}): {text}",
                **kwargs,
            )
        if status == 403 or _PERMISSION.search(text):
            raise ConnectorAuthError(
                f"DealerTrack OpenTrack permission missing: the '{method}' method is not enabled "
                f"for this vendor (needed by {operation}). Ask the dealership to enable it under "
                f"More → Data Exchange → OpenTrack. DealerTrack said: {text}",
                **kwargs,
            )
        if _TRANSIENT.search(text) or (soap_fault and "server" in (code or "").lower()):
            raise ConnectorUnavailable(f"DealerTrack {operation} failed: {text}", **kwargs)
        raise ConnectorRejected(f"DealerTrack {operation} rejected the request: {text}", **kwargs)

    # --- operations ---------------------------------------------------------------------

    def find_customer(self, contact: DmsContact, customer_key: str | None) -> str | None:
        if customer_key:
            try:
                result = self.call("CustomerLookup", [("CustomerNumber", customer_key)])
            except ConnectorRejected:
                result = None  # deleted or merged at the DMS: fall back to a search
            if result is not None and _findtext(result, "CustomerNumber"):
                return _findtext(result, "CustomerNumber")
        searches: list[list[tuple[str, Any]]] = []
        if contact.email:
            searches.append([("Email", contact.email)])
        if contact.phone:
            searches.append([("LastName", contact.last_name), ("PhoneNumber", contact.phone)])
        for parms in searches:
            result = self.call("CustomerSearch", [("SearchParms", parms)])
            number = _findtext(result, "CustomerNumber")
            if number:
                return number
        return None

    def ensure_customer(
        self, reference: str, contact: DmsContact, customer_key: str | None
    ) -> tuple[str, bool]:
        found = self.find_customer(contact, customer_key)
        if found:
            return found, True
        addr = contact.address or {}
        fields: list[tuple[str, Any]] = [
            ("CustomerType", "I"),
            ("FirstName", contact.first_name),
            ("LastName", contact.last_name),
            ("Address1", addr.get("line1")),
            ("Address2", addr.get("line2")),
            ("City", addr.get("city")),
            ("StateCode", addr.get("state")),
            ("ZipCode", addr.get("postal_code")),
            ("Email1", contact.email),
            ("PhoneNumbers", [("Phone", [("Type", "C"), ("Number", contact.phone)])])
            if contact.phone
            else ("PhoneNumbers", None),
            ("ExternalReference", reference),
        ]
        result = self.call("CustomerAdd", [("Customer", fields)])
        number = _findtext(result, "CustomerNumber")
        if not number:
            raise ConnectorResponseError(
                "DealerTrack CustomerAdd returned no CustomerNumber.", vendor=VENDOR
            )
        return number, False

    def push_lead(self, lead: DmsLeadPush) -> DmsPushResult:
        key, matched = self.ensure_customer(lead.reference, lead.contact, lead.customer_key)
        return DmsPushResult(customer_key=key, record_key=key, matched=matched)

    def push_deal(self, deal: DmsDealPush) -> DmsPushResult:
        key, matched = self.ensure_customer(deal.reference, deal.contact, deal.customer_key)
        if deal.deal_key:
            return DmsPushResult(customer_key=key, record_key=deal.deal_key, matched=matched)
        # Look the deal up by our reference first, so a resend never adds a second deal.
        found = self.call("DealSearch", [("SearchParms", [("ExternalReference", deal.reference)])])
        number = _findtext(found, "DealNumber")
        if number:
            return DmsPushResult(customer_key=key, record_key=number, matched=matched)
        f, v, t = deal.finance, deal.vehicle, deal.trade_in or {}
        result = self.call(
            "DealAdd",
            [
                (
                    "Deal",
                    [
                        ("CustomerNumber", key),
                        ("ExternalReference", deal.reference),
                        ("VIN", v.get("vin")),
                        ("StockNumber", v.get("stock_number")),
                        (
                            "SaleType",
                            {"retail": "R", "lease": "L", "cash": "C"}.get(str(f.get("type"))),
                        ),
                        ("CashPrice", _money(v.get("price"))),
                        ("AmountFinanced", _money(f.get("amount_financed"))),
                        ("APR", f.get("apr")),
                        ("Term", f.get("term_months")),
                        ("DownPayment", _money(f.get("down_payment"))),
                        ("MonthlyPayment", _money(f.get("monthly_payment"))),
                        ("TradeVIN", t.get("vin")),
                        ("TradeAllowance", _money(t.get("allowance"))),
                        ("TradePayoff", _money(t.get("payoff"))),
                    ],
                )
            ],
        )
        number = _findtext(result, "DealNumber")
        if not number:
            raise ConnectorResponseError(
                "DealerTrack DealAdd returned no DealNumber.", vendor=VENDOR
            )
        return DmsPushResult(customer_key=key, record_key=number, matched=matched)


def _secure_url(url: str) -> bool:
    """HTTPS only; plain HTTP is allowed to loopback alone (local stubs and benchmarks)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def _money(minor: int | None) -> str | None:
    """OpenTrack carries decimal dollars; we keep integer cents everywhere else."""
    return None if minor is None else f"{minor // 100}.{minor % 100:02d}"


def _build(parent: ET.Element, items: list[tuple[str, Any]]) -> None:
    for tag, value in items:
        if value is None:
            continue
        child = ET.SubElement(parent, f"{{{NS}}}{tag}")
        if isinstance(value, list):
            _build(child, value)
        else:
            child.text = str(value)


def is_permission_error(exc: ConnectorError) -> bool:
    return isinstance(exc, ConnectorAuthError) and "permission" in exc.message.lower()
