"""CORS for dealer websites, as two request hooks (registered by ``web.area``).

- A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) needs no key: it is
  allowed when the endpoint takes publishable keys and some dealer lists the origin.
- A cross-origin request with a publishable key gets the CORS headers when its dealer lists
  the origin, and is refused (403, nothing runs) when it does not.
- A cross-origin request with a secret key is refused (403): a secret key in a browser is a
  leaked key, and secret-key endpoints never answer cross-origin.
- Same-origin requests (the hub's own example and hosted pages) and requests without
  ``Origin`` (servers, curl) pass untouched.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Response, current_app, g, request

from dealerhub.api import database
from dealerhub.dealers.service import authenticate
from dealerhub.errors import PermissionDenied
from dealerhub.tenancy import Tenant
from dealerhub.web import origins

ALLOWED_HEADERS = frozenset(
    {"authorization", "content-type", "idempotency-key", "x-api-key", "x-correlation-id"}
)
EXPOSED_HEADERS = "Request-Id, x-correlation-id, Idempotent-Replayed, Retry-After"


class OriginNotAllowed(PermissionDenied):
    code = "origin_not_allowed"

    def __init__(self, message: str, **kw: Any) -> None:
        # Raised before the lifecycle's own first hook has named the request: name it here
        # (the same req_ form) so that the envelope and the headers still carry an id.
        if "request_id" not in g:
            g.request_id = "req_" + secrets.token_hex(12)
            g.correlation_id = request.headers.get("x-correlation-id", "")[:200] or g.request_id
        super().__init__(message, **kw)


def _view_allows(flag: str, method: str) -> bool:
    """Whether the matched view (or its ``method`` handler) carries ``flag`` (set by
    ``dealerhub.api.publishable`` / ``public``)."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return False
    if getattr(view, flag, False):
        return True
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, method.lower(), None) if view_class else None
    return bool(getattr(handler, flag, False))


def _raw_key() -> str:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.headers.get("X-Api-Key", "").strip()


def guard() -> Response | None:
    """``before_request``: answer preflights and refuse cross-origin calls nobody allowed."""
    origin = request.headers.get("Origin")
    if not origin or request.endpoint is None or origins.same_origin(origin, request.host_url):
        return None
    wanted = request.headers.get("Access-Control-Request-Method")
    if request.method == "OPTIONS" and wanted:
        return _preflight(origin, wanted)
    if _view_allows("dealerhub_public", request.method):
        return None
    raw = _raw_key()
    if raw.startswith(("sk_test_", "sk_live_")):
        raise OriginNotAllowed(
            "Secret keys cannot be used from a browser (this request came from "
            f"{origin}). Call this endpoint from your server, and roll the key if it was "
            "published in a web page."
        )
    if not raw.startswith(("pk_test_", "pk_live_")):
        return None  # no key or an unknown one: the lifecycle answers 401
    with database().engine.connect() as conn:
        key = authenticate(conn=conn, raw_key=raw)
    if key is None:
        return None
    with database().transaction(write=False) as session:
        allowed = origins.allowed_for(session, Tenant(key.dealer_id, key.livemode))
    if origin not in allowed:
        raise OriginNotAllowed(
            f"The origin {origin} is not in this dealer's web.allowed_origins "
            f"({'test' if not key.livemode else 'live'} mode /configuration).",
            param="Origin",
        )
    g.cors_origin = origin
    return None


def _preflight(origin: str, method: str) -> Response:
    if not _view_allows("dealerhub_publishable", method):
        raise OriginNotAllowed(
            f"{method} {request.path} needs a secret key and never answers cross-origin."
        )
    with database().transaction(write=False) as session:
        allowed = origins.allowed_by_anyone(session, origin)
    if not allowed:
        raise OriginNotAllowed(
            f"The origin {origin} is not in any dealer's web.allowed_origins.", param="Origin"
        )
    asked = {
        h.strip().lower()
        for h in request.headers.get("Access-Control-Request-Headers", "").split(",")
        if h.strip()
    }
    response = Response(status=204)
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Methods"] = method
    response.headers["Access-Control-Allow-Headers"] = ", ".join(sorted(asked & ALLOWED_HEADERS))
    response.headers["Access-Control-Max-Age"] = str(origins.PREFLIGHT_MAX_AGE)
    response.headers["Vary"] = "Origin"
    return response


def headers(response: Response) -> Response:
    """``after_request``: the CORS headers of an allowed cross-origin request, on every
    status (a website must read a 402 decline as well as a 200)."""
    origin = g.get("cors_origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        response.vary.add("Origin")
    return response
