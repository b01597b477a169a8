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

from flask import Response, current_app, g, request

from dealerhub.api import database
from dealerhub.errors import PermissionDenied
from dealerhub.tenancy import Tenant
from dealerhub.web import origins

ALLOWED_HEADERS = frozenset(
    {"authorization", "content-type", "idempotency-key", "x-api-key", "x-correlation-id"}
)
EXPOSED_HEADERS = "Request-Id, x-correlation-id, Idempotent-Replayed, Retry-After"


class OriginNotAllowed(PermissionDenied):
    code = "origin_not_allowed"


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


def _cross_origin() -> str | None:
    origin = request.headers.get("Origin")
    if not origin or origins.same_origin(origin, request.host_url):
        return None
    return origin


def preflight() -> Response | None:
    """App ``before_request``, ahead of authentication (a preflight carries no key)."""
    origin = _cross_origin()
    wanted = request.headers.get("Access-Control-Request-Method")
    if origin is None or request.method != "OPTIONS" or not wanted or request.endpoint is None:
        return None
    # The lifecycle names requests in its own first hook, which a preflight never reaches.
    g.request_id = "req_" + secrets.token_hex(12)
    g.correlation_id = request.headers.get("x-correlation-id", "")[:200] or g.request_id
    return _preflight(origin, wanted)


def check_origin() -> None:
    """Blueprint ``before_request`` on the API's blueprints, so after the lifecycle has
    authenticated the key: refuse cross-origin calls the key's dealer did not allow, before
    the view runs (nothing changes)."""
    origin = _cross_origin()
    if origin is None or "key_kind" not in g:
        return  # same origin, a server, or a keyless (@public) view
    if g.key_kind != "publishable":
        raise OriginNotAllowed(
            "Secret keys cannot be used from a browser (this request came from "
            f"{origin}). Call this endpoint from your server, and roll the key if it was "
            "published in a web page."
        )
    tenant: Tenant = g.tenant
    with database().transaction(write=False) as session:
        allowed = origins.allowed_for(session, tenant)
    if origin not in allowed:
        raise OriginNotAllowed(
            f"The origin {origin} is not in this dealer's web.allowed_origins "
            f"({tenant.mode} mode /configuration).",
            param="Origin",
        )
    g.cors_origin = origin


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
    if origin is None and g.get("replayed"):
        # An idempotent replay is answered by the lifecycle's first hook, before the
        # blueprint hooks: check its origin here (the stored answer changes nothing).
        try:
            check_origin()
        except OriginNotAllowed:
            return response
        origin = g.get("cors_origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        response.vary.add("Origin")
    return response
