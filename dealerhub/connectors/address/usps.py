"""USPS Addresses API v3 (https://developers.usps.com/addressesv3), the live verifier.

Two calls: an OAuth 2.0 client-credentials token from ``POST /oauth2/v3/token`` (JSON body
``client_id``, ``client_secret``, ``grant_type``), kept until shortly before it expires, then
``GET /addresses/v3/address`` with the address as query parameters and the token as a Bearer
header. A 400 or 404 from the address endpoint is USPS's answer about the address ("no match",
"invalid city", "multiple addresses found") and becomes an unverified result; 401 means the
token lapsed early (one new token, one retry); 403 is refused credentials; 429 and 5xx are
the provider being unavailable. Credentials and tokens are never logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from dealerhub.connectors.address.base import AddressQuery, StandardAddress, VerifierAnswer
from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorResponseError,
    ConnectorUnavailable,
)
from dealerhub.http import make_session

log = logging.getLogger(__name__)

VENDOR = "usps"
HOSTS = {
    "production": "https://apis.usps.com",
    # USPS's Testing Environment for Mailers: production credentials, test answers.
    "testing": "https://apis-tem.usps.com",
}
TOKEN_PATH = "/oauth2/v3/token"  # noqa: S105 - a URL path, not a password
ADDRESS_PATH = "/addresses/v3/address"
# A token is renewed this long before USPS says it expires (clock skew, a slow request).
TOKEN_MARGIN = 60.0
# DPV confirmation codes (AddressAdditionalInfo.DPVConfirmation) and what they mean to a user.
DPV_MESSAGES = {
    "D": "The building was confirmed but it needs an apartment or suite number.",
    "S": "The building was confirmed but the apartment or suite number was not.",
    "N": "USPS does not deliver to this address.",
}
# The "Y"/"N" flags of AddressAdditionalInfo, by the name they take in ``components``.
FLAGS = {
    "dpv_cmra": "DPVCMRA",
    "business": "business",
    "central_delivery_point": "centralDeliveryPoint",
    "vacant": "vacant",
}


class UspsVerifier:
    name = "usps"

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        base_url: str,
        timeout: tuple[float, float] = (5.0, 15.0),
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        # Both calls are safe to retry (the token POST creates nothing), so the session's
        # retry policy covers connection errors and 502/503/504 on either.
        self.http = session or make_session(
            timeout=timeout, retry_methods=frozenset({"GET", "POST"}), retries=1
        )
        self._clock = clock
        self._token: str | None = None
        self._token_expires = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the secret
        return f"UspsVerifier(base_url={self.base_url!r}, client_id={self.client_id!r})"

    @classmethod
    def from_config(
        cls, block: Mapping[str, Any], *, timeout: tuple[float, float] = (5.0, 15.0)
    ) -> UspsVerifier:
        """Built from ``/configuration`` ``address_verification.usps`` (checked complete by
        the caller)."""
        environment = block.get("environment") or "production"
        return cls(
            client_id=block["client_id"],
            client_secret=block["client_secret"],
            base_url=block.get("api_url") or HOSTS[environment],
            timeout=timeout,
        )

    # --- OAuth ----------------------------------------------------------------------------

    def token(self) -> str:
        """A valid access token: the cached one, or a new one from ``POST /oauth2/v3/token``."""
        with self._lock:
            if self._token is not None and self._clock() < self._token_expires:
                return self._token
            body = {
                "client_id": self.client_id,
                "client_secret": self._client_secret,
                "grant_type": "client_credentials",
            }
            response = self._send("POST", TOKEN_PATH, json=body)
            if response.status_code in (400, 401, 403):
                raise ConnectorAuthError(
                    "USPS refused the client credentials (check client_id and client_secret).",
                    vendor=VENDOR,
                    http_status=response.status_code,
                    vendor_code=_error(response)[0],
                )
            _raise_unavailable(response)
            data = _json(response)
            token, expires_in = data.get("access_token"), data.get("expires_in")
            try:
                lifetime = float(str(expires_in))  # seconds, sent as a string or a number
            except ValueError:
                lifetime = 0.0
            if not isinstance(token, str) or not token or lifetime <= 0:
                raise ConnectorResponseError(
                    "USPS answered the token request without a usable access token.",
                    vendor=VENDOR,
                    http_status=response.status_code,
                )
            self._token = token
            self._token_expires = self._clock() + max(lifetime - TOKEN_MARGIN, lifetime / 2)
            return token

    def _forget_token(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = None

    # --- the address call -----------------------------------------------------------------

    def verify(self, query: AddressQuery) -> VerifierAnswer:
        given = StandardAddress(
            query.line1, query.line2, query.city, query.state, query.zip5, query.zip4
        )
        # USPS needs a street, a state, and a city or a ZIP code: ask only what it can answer.
        if not query.state:
            return _unverified(given, "The address has no state.")
        if not query.city and not query.zip5:
            return _unverified(given, "The address has no city or ZIP code.")
        wanted = {
            "streetAddress": query.line1,
            "secondaryAddress": query.line2,
            "city": query.city,
            "state": query.state,
            "ZIPCode": query.zip5,
            "ZIPPlus4": query.zip4,
        }
        params = {k: v for k, v in wanted.items() if v}
        token = self.token()
        response = self._get_address(params, token)
        if response.status_code == 401:
            # Revoked or expired before its time: one new token, one more try.
            self._forget_token(token)
            response = self._get_address(params, self.token())
        if response.status_code in (401, 403):
            raise ConnectorAuthError(
                "USPS refused our access token for the Addresses API.",
                vendor=VENDOR,
                http_status=response.status_code,
                vendor_code=_error(response)[0],
            )
        if response.status_code in (400, 404):
            message = _error(response)[1]
            return _unverified(given, message or "USPS found no match for this address.")
        _raise_unavailable(response)
        return _answer(given, _json(response))

    def _get_address(self, params: dict[str, str], token: str) -> requests.Response:
        return self._send(
            "GET",
            ADDRESS_PATH,
            params=params,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        started = time.perf_counter()
        try:
            response = self.http.request(
                method, self.base_url + path, timeout=self.timeout, **kwargs
            )
        except requests.Timeout:
            raise ConnectorUnavailable(
                "USPS did not answer in time.", vendor=VENDOR, vendor_code="timeout"
            ) from None
        except requests.RequestException:
            raise ConnectorUnavailable(
                "Could not reach USPS.", vendor=VENDOR, vendor_code="connection_failed"
            ) from None
        # Path and status only: the query string is the customer's address.
        log.info(
            "usps %s %s responded %s",
            method,
            path,
            response.status_code,
            extra={
                "vendor": VENDOR,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return response


# --- wire format helpers --------------------------------------------------------------------


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ConnectorResponseError(
            "USPS answered with a body that is not a JSON object.",
            vendor=VENDOR,
            http_status=response.status_code,
        )
    return data


def _error(response: requests.Response) -> tuple[str | None, str | None]:
    """``(code, message)`` of a USPS ``ErrorMessage`` body ``{"apiVersion", "error": {"code",
    "message", "errors": [{"title", "detail", …}]}}``; (None, None) when there is none."""
    try:
        data = response.json()
    except ValueError:
        return None, None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None, None
    message = error.get("message") or None
    details = [e for e in error.get("errors") or [] if isinstance(e, dict)]
    if not message and details:
        message = details[0].get("detail") or details[0].get("title")
    code = error.get("code")
    return (str(code) if code is not None else None), (str(message) if message else None)


def _raise_unavailable(response: requests.Response) -> None:
    status = response.status_code
    if status == 429 or status >= 500:
        raise ConnectorUnavailable(
            "USPS is rate limiting our requests." if status == 429 else f"USPS returned {status}.",
            vendor=VENDOR,
            http_status=status,
            vendor_code="rate_limited" if status == 429 else _error(response)[0],
        )
    if status >= 400:
        raise ConnectorError(
            f"USPS returned an unexpected {status}.",
            vendor=VENDOR,
            http_status=status,
            vendor_code=_error(response)[0],
        )


def _unverified(given: StandardAddress, message: str) -> VerifierAnswer:
    return VerifierAnswer(verified=False, address=given, error_message=message)


def _flag(value: Any) -> bool | None:
    return {"Y": True, "N": False}.get(str(value)) if value is not None else None


def _answer(given: StandardAddress, data: dict[str, Any]) -> VerifierAnswer:
    """A 200: the standardised address; verified when USPS confirmed the delivery point
    (DPV ``Y``: the building and, if given, the unit)."""
    address = data.get("address")
    if not isinstance(address, dict) or not address.get("streetAddress"):
        raise ConnectorResponseError("USPS answered without an address.", vendor=VENDOR)
    # The published examples name the block ``addressAdditionalInfo``, the v3 schema
    # ``additionalInfo``: read either.
    info = data.get("additionalInfo") or data.get("addressAdditionalInfo") or {}
    dpv = info.get("DPVConfirmation")
    standard = StandardAddress(
        line1=str(address["streetAddress"]),
        line2=address.get("secondaryAddress") or None,
        city=address.get("city") or None,
        state=address.get("state") or None,
        postal_code=address.get("ZIPCode") or None,
        zip4=address.get("ZIPPlus4") or None,
    )
    details: dict[str, Any] = {
        "dpv_confirmation": dpv,
        "carrier_route": info.get("carrierRoute"),
        "delivery_point": info.get("deliveryPoint"),
        "firm": data.get("firm"),
    }
    details.update({name: _flag(info.get(wire)) for name, wire in FLAGS.items()})
    corrections = data.get("corrections") or data.get("addressCorrections") or []
    details["corrections"] = [
        str(c.get("text")) for c in corrections if isinstance(c, dict) and c.get("text")
    ]
    if dpv == "Y":
        return VerifierAnswer(verified=True, address=standard, details=details)
    message = DPV_MESSAGES.get(str(dpv), "USPS could not confirm this address as deliverable.")
    return VerifierAnswer(
        verified=False,
        address=standard,
        candidates=(standard,) if standard != given else (),
        details=details,
        error_message=message,
    )
