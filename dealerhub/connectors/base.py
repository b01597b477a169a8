"""What every connector shares: the ConnectorError hierarchy. Each capability's Protocol and
DTOs live beside its implementations (``connectors/processors/base.py``,
``connectors/credit/base.py``, ``connectors/dms/base.py``); services depend on those, never on
a vendor module."""

from __future__ import annotations

# --- errors -------------------------------------------------------------------------------


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


class ConnectorOutcomeUnknown(ConnectorUnavailable):
    """The request was sent but no usable answer came back (a read timeout, a dropped
    connection, a 5xx after the body went out): the vendor may have acted on it. Never read
    as success or failure; the caller records an unknown outcome and asks the vendor later."""


class ConnectorAuthError(ConnectorError):
    """Our credentials were refused (401/403): a configuration problem, not retryable."""


class ConnectorRejected(ConnectorError):
    """The vendor understood and refused the request (4xx, business rule)."""


class ConnectorResponseError(ConnectorError):
    """The vendor answered something we cannot parse or did not expect."""


class FlowNotSupported(ConnectorError):
    """The connector cannot do this flow at all (see its capabilities)."""


class WebhookRejected(ConnectorError):
    """An inbound vendor webhook is not genuine or not well formed. ``vendor_code`` is the
    error code the caller answers with (``signature_invalid``, ``body_invalid`` or
    ``parameter_invalid``); ``param`` names the offending field."""

    def __init__(self, message: str, *, vendor: str, code: str, param: str | None = None) -> None:
        super().__init__(message, vendor=vendor, vendor_code=code)
        self.param = param
