"""gunicorn's threaded worker, answering the requests gunicorn itself refuses (a request line
past 4,094 bytes, too many or too large headers, a malformed request line) with the API's JSON
error envelope instead of gunicorn's HTML page. Everything else is gunicorn's own."""

from __future__ import annotations

import contextlib
import json
import secrets
from typing import Any

from gunicorn.http.errors import (
    InvalidHeader,
    InvalidHeaderName,
    InvalidHTTPVersion,
    InvalidRequestLine,
    InvalidRequestMethod,
    LimitRequestHeaders,
    LimitRequestLine,
)
from gunicorn.workers.gthread import ThreadWorker

# exception → (status, reason, code, message); the exception's own text may quote the request.
_REFUSALS: tuple[tuple[type[Exception], int, str, str, str], ...] = (
    (LimitRequestLine, 414, "URI Too Long", "uri_too_long", "The request line is too long."),
    (
        LimitRequestHeaders,
        431,
        "Request Header Fields Too Large",
        "headers_too_large",
        "The request has too many or too large headers.",
    ),
    (InvalidRequestLine, 400, "Bad Request", "request_invalid", "The request line is malformed."),
    (InvalidRequestMethod, 400, "Bad Request", "request_invalid", "The method is not valid."),
    (InvalidHTTPVersion, 400, "Bad Request", "request_invalid", "The HTTP version is not valid."),
    (InvalidHeader, 400, "Bad Request", "request_invalid", "A header is malformed."),
    (InvalidHeaderName, 400, "Bad Request", "request_invalid", "A header name is malformed."),
)


def error_response(exc: Exception) -> bytes | None:
    """The raw HTTP response for a request gunicorn refused, or ``None`` for other errors."""
    for kind, status, reason, code, message in _REFUSALS:
        if isinstance(exc, kind):
            body = json.dumps(
                {
                    "error": {
                        "type": "invalid_request_error",
                        "code": code,
                        "message": message,
                        "request_id": f"req_{secrets.token_hex(12)}",
                    }
                }
            ).encode()
            head = (
                f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            return head.encode("latin-1") + body
    return None


class JsonErrorWorker(ThreadWorker):
    def handle_error(self, req: Any, client: Any, addr: Any, exc: Exception) -> None:
        response = error_response(exc)
        if response is None:
            super().handle_error(req, client, addr, exc)
            return
        with contextlib.suppress(OSError):  # the client went away: nothing to tell it
            client.sendall(response)
