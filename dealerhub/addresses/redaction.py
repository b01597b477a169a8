"""Keep customers' addresses out of the access log.

The address travels in the URL path (Hubex's ``/api/verify-address/{address}``), and the
request lifecycle logs every request's path. A filter on that logger replaces what follows the
route prefix before the record reaches a handler, so the log still shows the route, status and
duration of each verification, never the address.
"""

from __future__ import annotations

import logging

PREFIX = "/api/verify-address/"
REDACTED = PREFIX + "********"


class AddressPathFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        path = getattr(record, "path", None)
        if isinstance(path, str) and path.startswith(PREFIX):
            message = record.getMessage()
            record.msg = message.replace(path, REDACTED)
            record.args = None
            record.path = REDACTED
        return True


def install(logger: logging.Logger) -> None:
    """Attach the filter to ``logger`` once (apps built again in one process reuse it)."""
    if not any(isinstance(f, AddressPathFilter) for f in logger.filters):
        logger.addFilter(AddressPathFilter())
