"""The generic connector error hierarchy (minimal; reconciled with connectors/base.py at merge).

Every third-party client raises one of these and never lets a ``requests`` exception escape.
``retryable`` tells the caller whether sending the same request again may succeed.
"""

from __future__ import annotations


class ConnectorError(Exception):
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        http_status: int | None = None,
        vendor_code: str | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.http_status = http_status
        self.vendor_code = vendor_code
        self.request_id = request_id
        if retryable is not None:
            self.retryable = retryable


class ConnectorUnavailable(ConnectorError):
    """Timeout, connection error, 5xx, or a vendor-declared outage: worth retrying."""

    retryable = True


class ConnectorAuthError(ConnectorError):
    """Bad credentials or a permission the vendor account lacks: fix configuration first."""


class ConnectorRejected(ConnectorError):
    """The vendor refused this request on its merits: sending it again will not help."""


class ConnectorResponseError(ConnectorError):
    """The vendor answered with something we cannot parse."""

    retryable = True
