"""PEN's rating service (``DSIRating.svc``): SOAP 1.1 with a WS-Security UsernameToken.

Wire facts, from a public PEN client generated from the service's WSDL (no PEN document is
public; see ../shared/reference/dealer-domain.md §4):

* endpoints ``https://servicesv3.provexchnet.com/DSIRating.svc/Basic`` (production) and
  ``https://servicesv3.qa.provexchnet.com/DSIRating.svc/Basic`` (QA), SOAP 1.1;
* the operation ``SetDealer`` takes one ``request`` (``DSISetDealerRequest``) whose members are
  Action, Address1, Address2, City, ContactName, DealerID, DealershipName, Email, Fax,
  IsTestDealer, ObservesDayLightSaving, Phone, State, TimeZone, WebSite, ZipCode: in that
  (alphabetical) order, which WCF's DataContractSerializer expects;
* the answer ``SetDealerResult`` carries DealerID, Success and Error{DSILogId, Description,
  ErrorCode} (the ``a:`` prefixed names that early Hubex versions passed through);
* the header is a ``wsse:Security`` UsernameToken (Username, Password, Nonce, wsu:Created).

The service and data-contract namespaces are WCF's defaults, an inference: both are
constructor arguments so that the values of PEN's WSDL can replace them without a code change.
We add a ``wsu:Timestamp``, which WCF's message security expects by default.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from urllib3.exceptions import NewConnectionError

from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorOutcomeUnknown,
    ConnectorRejected,
    ConnectorResponseError,
    ConnectorUnavailable,
)
from dealerhub.connectors.pen.base import PenError, SetDealerRequest, SetDealerResult
from dealerhub.errors import InvalidRequest
from dealerhub.http import make_session

log = logging.getLogger(__name__)

VENDOR = "pen"
HOSTS = {
    "production": "https://servicesv3.provexchnet.com/DSIRating.svc/Basic",
    "qa": "https://servicesv3.qa.provexchnet.com/DSIRating.svc/Basic",
}
REQUIRED = ("username", "password")
SERVICE_NS = "http://tempuri.org/"
CONTRACT = "IDSIRating"
DATA_NS = "http://schemas.datacontract.org/2004/07/DSI.Rating"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
# Token and encoding type URIs of the WS-Security profiles (identifiers, not secrets).
_WSS_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
PASSWORD_TEXT = _WSS_PROFILE + "#PasswordText"
BASE64_BINARY = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)
TIMESTAMP_TTL = 300  # seconds a message stays valid for PEN
_AUTH_FAULTS = ("security", "authenticat", "unauthori")


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(root: ET.Element, name: str) -> ET.Element | None:
    return next((node for node in root.iter() if _local(node.tag) == name), None)


def _text(root: ET.Element, name: str) -> str | None:
    node = _find(root, name)
    if node is None or node.get(f"{{{XSI_NS}}}nil") == "true":
        return None
    value = (node.text or "").strip()
    return value or None


def _secure_url(url: str) -> bool:
    """HTTPS only; plain HTTP only to this machine (a local stub or simulator)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


class PenSoapClient:
    name = "pen"

    def __init__(
        self,
        *,
        api_url: str,
        username: str,
        password: str,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        service_ns: str = SERVICE_NS,
        data_ns: str = DATA_NS,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], bytes] = lambda: os.urandom(16),
    ) -> None:
        self.api_url = api_url
        self.username = username
        self._password = password
        self.timeout = timeout
        self.service_ns = service_ns
        self.data_ns = data_ns
        self.clock = clock
        self.nonce = nonce
        # POSTs are never retried by the session: a REGISTER sent twice registers twice.
        self.http = session or make_session(timeout=timeout)

    def __repr__(self) -> str:  # never the password
        return f"PenSoapClient(api_url={self.api_url!r}, username={self.username!r})"

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], *, timeout: tuple[float, float] = (5.0, 30.0)
    ) -> PenSoapClient:
        """Build from the dealer's ``/configuration`` ``pen`` block (live mode)."""
        missing = [f for f in REQUIRED if not config.get(f)]
        if missing:
            raise InvalidRequest(
                "PEN is not configured for live mode; set "
                + ", ".join(f"pen.{f}" for f in missing)
                + " with PATCH /configuration.",
                param=f"pen.{missing[0]}",
                code="configuration_incomplete",
            )
        environment = config.get("environment") or "production"
        return cls(
            api_url=config.get("api_url") or HOSTS[environment],
            username=config["username"],
            password=config["password"],
            timeout=timeout,
        )

    # --- envelope -----------------------------------------------------------------------

    def envelope(self, request: SetDealerRequest) -> bytes:
        """The SetDealer envelope: WS-Security header, then the ``DSISetDealerRequest``."""
        ET.register_namespace("s", SOAP_NS)
        ET.register_namespace("wsse", WSSE_NS)
        ET.register_namespace("wsu", WSU_NS)
        ET.register_namespace("tem", self.service_ns)
        ET.register_namespace("a", self.data_ns)
        env = ET.Element(f"{{{SOAP_NS}}}Envelope")
        header = ET.SubElement(env, f"{{{SOAP_NS}}}Header")
        self._security(header)
        body = ET.SubElement(env, f"{{{SOAP_NS}}}Body")
        op = ET.SubElement(body, f"{{{self.service_ns}}}SetDealer")
        req = ET.SubElement(op, f"{{{self.service_ns}}}request")
        for tag, value in _members(request):
            if value is not None:
                ET.SubElement(req, f"{{{self.data_ns}}}{tag}").text = value
        return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(env)

    def _security(self, header: ET.Element) -> None:
        at = self.clock()
        security = ET.SubElement(
            header, f"{{{WSSE_NS}}}Security", {f"{{{SOAP_NS}}}mustUnderstand": "1"}
        )
        stamp = ET.SubElement(security, f"{{{WSU_NS}}}Timestamp", {f"{{{WSU_NS}}}Id": "TS-1"})
        ET.SubElement(stamp, f"{{{WSU_NS}}}Created").text = _iso(at)
        ET.SubElement(stamp, f"{{{WSU_NS}}}Expires").text = _iso(at + TIMESTAMP_TTL)
        token = ET.SubElement(
            security, f"{{{WSSE_NS}}}UsernameToken", {f"{{{WSU_NS}}}Id": "UsernameToken-1"}
        )
        ET.SubElement(token, f"{{{WSSE_NS}}}Username").text = self.username
        ET.SubElement(
            token, f"{{{WSSE_NS}}}Password", {"Type": PASSWORD_TEXT}
        ).text = self._password
        ET.SubElement(
            token, f"{{{WSSE_NS}}}Nonce", {"EncodingType": BASE64_BINARY}
        ).text = base64.b64encode(self.nonce()).decode()
        ET.SubElement(token, f"{{{WSU_NS}}}Created").text = _iso(at)

    # --- the call -----------------------------------------------------------------------

    def set_dealer(self, request: SetDealerRequest) -> SetDealerResult:
        """PEN ``SetDealer`` (DSIRating.svc): register, update or unregister a dealer."""
        if not _secure_url(self.api_url):
            raise ConnectorAuthError(
                "The PEN api_url must use https://.", vendor=VENDOR, vendor_code="config"
            )
        try:
            response = self.http.post(
                self.api_url,
                data=self.envelope(request),
                headers={
                    "Content-Type": "text/xml; charset=utf-8",
                    "SOAPAction": f'"{self.service_ns}{CONTRACT}/SetDealer"',
                },
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            if _never_sent(exc):
                raise ConnectorUnavailable(
                    f"PEN SetDealer could not connect: {type(exc).__name__}.",
                    vendor=VENDOR,
                    vendor_code="connection_error",
                ) from exc
            # A read timeout or a dropped connection: PEN may have acted on the request.
            raise ConnectorOutcomeUnknown(
                f"PEN SetDealer {request.action} got no answer ({type(exc).__name__}); PEN "
                "may have applied it.",
                vendor=VENDOR,
                vendor_code="timeout",
            ) from exc
        log.info("pen SetDealer %s -> HTTP %s", request.action, response.status_code)
        return self._result(response)

    def _result(self, response: requests.Response) -> SetDealerResult:
        status = response.status_code
        try:
            root = fromstring(response.content) if response.content else None
        except (ParseError, DefusedXmlException):
            root = None
        fault = _find(root, "Fault") if root is not None else None
        if fault is not None:
            raise _fault_error(fault, status)
        if status in (401, 403):
            raise ConnectorAuthError(
                f"PEN refused our credentials (HTTP {status}).", vendor=VENDOR, http_status=status
            )
        if status in (429, 502, 503, 504):
            raise ConnectorUnavailable(
                f"PEN answered HTTP {status}.", vendor=VENDOR, http_status=status
            )
        if status >= 500:
            raise ConnectorOutcomeUnknown(
                f"PEN answered HTTP {status} without a SOAP fault.",
                vendor=VENDOR,
                http_status=status,
            )
        if status >= 400:
            raise ConnectorRejected(
                f"PEN answered HTTP {status}.", vendor=VENDOR, http_status=status
            )
        result = _find(root, "SetDealerResult") if root is not None else None
        success = _text(result, "Success") if result is not None else None
        if result is None or success not in ("true", "false"):
            raise ConnectorResponseError(
                "PEN SetDealer answered without a readable SetDealerResult.",
                vendor=VENDOR,
                http_status=status,
            )
        dealer_id = _text(result, "DealerID") or "0"
        if not dealer_id.isdigit():
            raise ConnectorResponseError(
                "PEN SetDealer returned a DealerID that is not a number.",
                vendor=VENDOR,
                http_status=status,
            )
        error_node = _find(result, "Error")
        error = None
        if error_node is not None and error_node.get(f"{{{XSI_NS}}}nil") != "true":
            error = PenError(
                dsi_log_id=_text(error_node, "DSILogId"),
                description=" ".join((_text(error_node, "Description") or "").split())[:500],
                error_code=_text(error_node, "ErrorCode") or "UNKNOWN",
            )
        if success == "false" and error is None:
            error = PenError(None, "PEN refused the request without an error.", "UNKNOWN")
        return SetDealerResult(
            success=success == "true",
            pen_dealer_id=int(dealer_id),
            error=error if success == "false" else None,
        )


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request certainly never reached PEN (no connection was made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3 wraps it in MaxRetryError
    return isinstance(reason, NewConnectionError)


def _fault_error(fault: ET.Element, status: int) -> Exception:
    code = _text(fault, "faultcode") or ""
    text = " ".join((_text(fault, "faultstring") or "SOAP fault").split())[:300]
    kwargs: dict[str, Any] = {"vendor": VENDOR, "http_status": status, "vendor_code": code}
    if any(word in f"{code} {text}".lower() for word in _AUTH_FAULTS):
        return ConnectorAuthError(f"PEN refused our WS-Security credentials: {text}", **kwargs)
    # A fault is PEN failing to process the message: it did not apply the change.
    return ConnectorRejected(f"PEN SetDealer failed: {text}", **kwargs)


def _bool(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


def _members(request: SetDealerRequest) -> list[tuple[str, str | None]]:
    """``DSISetDealerRequest`` members in the order of the data contract (alphabetical)."""
    p = request.profile
    return [
        ("Action", request.action),
        ("Address1", p.address1),
        ("Address2", p.address2),
        ("City", p.city),
        ("ContactName", p.contact_name),
        ("DealerID", str(request.pen_dealer_id)),
        ("DealershipName", p.dealership_name),
        ("Email", p.email),
        ("Fax", p.fax),
        ("IsTestDealer", _bool(p.is_test_dealer)),
        ("ObservesDayLightSaving", _bool(p.observes_daylight_saving)),
        ("Phone", p.phone),
        ("State", p.state),
        ("TimeZone", p.time_zone),
        ("WebSite", p.web_site),
        ("ZipCode", p.zip_code),
    ]
