"""Where a 3-D Secure page may send the customer back to: the hub itself, or an origin the
dealer lists in ``web.allowed_origins`` (anything else would make the page an open
redirect). The intent's id and client secret ride along, as Stripe's return URLs carry them,
so the page can read the outcome with ``retrievePaymentIntent``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy.orm import Session

from dealerhub.errors import InvalidRequest
from dealerhub.tenancy import Tenant
from dealerhub.web import origins


def check(session: Session, tenant: Tenant, return_url: str, host_url: str) -> None:
    """Refuse a return URL off the hub and off the dealer's sites (before anything changes)."""
    parts = urlsplit(return_url)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    allowed = parts.scheme in ("http", "https") and (
        origins.same_origin(origin, host_url) or origin in origins.allowed_for(session, tenant)
    )
    if not allowed:
        raise InvalidRequest(
            f"return_url must be on the hub or an origin in web.allowed_origins, not {origin}.",
            param="return_url",
        )


def with_intent(return_url: str, intent: Any) -> str:
    kind = "setup_intent" if intent.id.startswith("seti_") else "payment_intent"
    query = urlencode({kind: intent.id, f"{kind}_client_secret": intent.client_secret})
    return return_url + ("&" if urlsplit(return_url).query else "?") + query
