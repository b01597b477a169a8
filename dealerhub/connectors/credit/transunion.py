"""TransUnion TUNA / NetAccess: one XML POST over mutual TLS per pull.

Request: an ``xmlrequest`` envelope (system id and password) wrapping a ``creditBureau``
document (subscriber block, options, subject indicative data, add-on score model,
permissible purpose). Response: parsed with defusedxml, mapped to the Hubex 1.1.74 shape.
The request body contains the applicant's SSN and is never logged; only the HTTP status and
duration are.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import requests

from dealerhub.configuration.service import ActiveCertificate
from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorRejected,
    ConnectorUnavailable,
)
from dealerhub.connectors.credit.base import CreditReport, CreditRequest
from dealerhub.connectors.credit.tls import mtls_session
from dealerhub.connectors.credit.transunion_xml import build_request, parse_response
from dealerhub.errors import InvalidRequest
from dealerhub.tenancy import Tenant

log = logging.getLogger(__name__)

HOSTS = {
    "production": "https://netaccess.transunion.com",
    "standardTest": "https://netaccess-test.transunion.com",
}
REQUIRED = (
    "system_id",
    "system_password",
    "subscriber_code",
    "subscriber_prefix",
    "subscriber_password",
    "industry_code",
)
VENDOR = "transunion"


class TransUnionBureau:
    name = "transunion"

    def __init__(
        self,
        *,
        tenant: Tenant,
        api_url: str,
        environment: str,
        config: dict[str, Any],
        certificate: ActiveCertificate,
        ca_bundle: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.tenant = tenant
        self.api_url = api_url
        self.environment = environment
        self._config = config
        self._cert = certificate
        self.ca_bundle = ca_bundle
        self.timeout = timeout

    def __repr__(self) -> str:  # the config holds passwords
        return f"TransUnionBureau(api_url={self.api_url!r}, environment={self.environment!r})"

    @classmethod
    def from_config(
        cls,
        tenant: Tenant,
        config: dict[str, Any],
        certificate: ActiveCertificate,
        *,
        ca_bundle: str | None = None,
        timeout: float = 20.0,
    ) -> TransUnionBureau:
        missing = [f for f in REQUIRED if not config.get(f)]
        if missing:
            raise InvalidRequest(
                "The TransUnion configuration is incomplete; set "
                + ", ".join(missing)
                + " with PATCH /configuration.",
                param=f"credit_application.transunion.{missing[0]}",
                code="configuration_incomplete",
            )
        environment = config.get("environment") or "production"
        return cls(
            tenant=tenant,
            api_url=config.get("api_url") or HOSTS[environment],
            environment=environment,
            config=config,
            certificate=certificate,
            ca_bundle=ca_bundle,
            timeout=timeout,
        )

    # --- the call -------------------------------------------------------------------------

    def pull(self, request: CreditRequest) -> CreditReport:
        if time.time() > self._cert.not_after:
            # Checked before every pull: a cached session outlives the upload-time check.
            raise ConnectorAuthError(
                "The TransUnion client certificate has expired; upload a new one.",
                vendor=VENDOR,
                vendor_code="certificate_expired",
            )
        body = build_request(request, self._config, self.environment)
        session = mtls_session(
            (self.tenant.dealer_id, self.tenant.livemode, self._cert.fingerprint_sha256),
            self._cert.p12,
            self._cert.password,
            ca_bundle=self.ca_bundle,
        )
        started = time.perf_counter()
        try:
            response = session.post(
                self.api_url,
                data=body,
                headers={"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml"},
                timeout=(min(5.0, self.timeout), self.timeout),
            )
        except requests.Timeout:
            raise ConnectorUnavailable(
                "TransUnion did not answer in time.", vendor=VENDOR, vendor_code="timeout"
            ) from None
        except requests.exceptions.SSLError:
            raise ConnectorAuthError(
                "The TLS handshake with TransUnion failed: the client certificate was refused "
                "or the server certificate is not trusted.",
                vendor=VENDOR,
                vendor_code="tls_handshake_failed",
            ) from None
        except requests.RequestException as exc:
            if _looks_like_tls_alert(exc):
                raise ConnectorAuthError(
                    "TransUnion refused the client certificate.",
                    vendor=VENDOR,
                    vendor_code="tls_handshake_failed",
                ) from None
            raise ConnectorUnavailable(
                "Could not reach TransUnion.", vendor=VENDOR, vendor_code="connection_failed"
            ) from None
        log.info(
            "transunion responded %s",
            response.status_code,
            extra={
                "vendor": VENDOR,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        if response.status_code >= 500:
            raise ConnectorUnavailable(
                f"TransUnion returned HTTP {response.status_code}.",
                vendor=VENDOR,
                http_status=response.status_code,
            )
        if response.status_code in (401, 403):
            raise ConnectorAuthError(
                "TransUnion refused our credentials.",
                vendor=VENDOR,
                http_status=response.status_code,
            )
        if response.status_code >= 400:
            raise ConnectorRejected(
                f"TransUnion rejected the request (HTTP {response.status_code}).",
                vendor=VENDOR,
                http_status=response.status_code,
            )
        return parse_response(response.content)


def _looks_like_tls_alert(exc: Exception) -> bool:
    text = repr(exc).lower()
    return "alert" in text or "certificate" in text or "sslerror" in text
