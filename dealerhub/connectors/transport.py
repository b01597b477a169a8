"""One request to a vendor, and what ``requests`` raises turned into connector errors the same
way for every connector. The line that matters is whether the request can have reached the
vendor:

- it certainly did not (connection refused, DNS failure, connect timeout):
  :class:`ConnectorUnavailable`, which the caller may simply try again;
- it may have (read timeout, connection dropped after sending, any other transport failure):
  :class:`ConnectorOutcomeUnknown` when the request could move money, so nobody retries it
  blindly and the outcome is asked for later; :class:`ConnectorUnavailable` for a read.
"""

from __future__ import annotations

from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from dealerhub.connectors.base import ConnectorError, ConnectorOutcomeUnknown, ConnectorUnavailable


def send(
    http: requests.Session,
    method: str,
    url: str,
    *,
    vendor: str,
    label: str,
    what: str,
    moves_money: bool,
    **kwargs: Any,
) -> requests.Response:
    """``http.request(method, url, **kwargs)``; ``label`` names the vendor in messages
    ("BlueDog"), ``what`` the operation ("sale"). Messages never quote the request."""
    try:
        return http.request(method, url, **kwargs)
    except requests.ConnectTimeout as exc:
        raise ConnectorUnavailable(
            f"{label} {what}: could not connect in time.",
            vendor=vendor,
            vendor_code="connect_timeout",
        ) from exc
    except requests.ReadTimeout as exc:
        raise lost(
            f"{label} {what}: no answer in time.", vendor, "read_timeout", moves_money
        ) from exc
    except requests.ConnectionError as exc:
        if never_sent(exc):
            raise ConnectorUnavailable(
                f"{label} {what}: could not connect.",
                vendor=vendor,
                vendor_code="connection_refused",
            ) from exc
        raise lost(
            f"{label} {what}: the connection dropped.", vendor, "connection_dropped", moves_money
        ) from exc
    except requests.RequestException as exc:
        raise lost(
            f"{label} {what} failed ({type(exc).__name__}).", vendor, "transport_error", moves_money
        ) from exc


def lost(message: str, vendor: str, vendor_code: str, moves_money: bool) -> ConnectorError:
    """The error for a request that may have reached the vendor with no usable answer."""
    kind = ConnectorOutcomeUnknown if moves_money else ConnectorUnavailable
    return kind(message, vendor=vendor, vendor_code=vendor_code)


def never_sent(exc: BaseException) -> bool:
    """Whether a connection error happened before the request left (refused, DNS, connect
    timeout), looking through the urllib3 errors ``requests`` wraps."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, NewConnectionError | ConnectTimeoutError | ConnectionRefusedError):
            return True
        if isinstance(item, MaxRetryError):
            stack.append(item.reason)
        stack.extend([*item.args, getattr(item, "reason", None), item.__cause__, item.__context__])
    return False
