"""The generic ConnectorError hierarchy (same names and fields as ``connectors/base.py`` on the
payments branch; the integrator keeps one copy). Connectors raise these; services map them to
``ProviderError`` and nothing lets a ``requests`` exception escape."""

from __future__ import annotations


class ConnectorError(Exception):
    """A third party failed. ``retryable`` says whether the same call may succeed later."""

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
    """Timeout, connection failure, 5xx: the vendor may be back soon."""

    retryable = True


class ConnectorAuthError(ConnectorError):
    """Our credentials (or client certificate) were refused: a configuration problem."""


class ConnectorRejected(ConnectorError):
    """The vendor understood and refused the request (4xx, business rule)."""


class ConnectorResponseError(ConnectorError):
    """The vendor answered something we cannot parse or did not expect."""
