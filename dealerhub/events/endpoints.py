"""Webhook endpoints: create (secret shown once), list, get, update, delete, roll secret."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub import db as dbmod
from dealerhub.config import Settings
from dealerhub.db import new_id
from dealerhub.errors import NotFound
from dealerhub.events.models import EndpointStatus, WebhookEndpoint
from dealerhub.events.schemas import ENDPOINT
from dealerhub.events.service import record_event
from dealerhub.events.urls import check_url
from dealerhub.pagination import paginate
from dealerhub.tenancy import Tenant, get_owned, scoped


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _check(url: str, tenant: Tenant, settings: Settings) -> None:
    check_url(url, livemode=tenant.livemode, allow_private=settings.webhook_allow_private)


def create_endpoint(
    session: Session, tenant: Tenant, settings: Settings, args: Mapping[str, Any]
) -> WebhookEndpoint:
    _check(args["url"], tenant, settings)
    endpoint = WebhookEndpoint(
        id=new_id("we"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        created=dbmod.now(),
        url=args["url"],
        enabled_events=list(dict.fromkeys(args["enabled_events"])),
        description=args.get("description"),
        metadata_=dict(args.get("metadata") or {}),
        secret=new_secret(),
    )
    session.add(endpoint)
    return endpoint


def list_endpoints(
    session: Session, tenant: Tenant, args: Mapping[str, Any], *, url: str
) -> dict[str, Any]:
    stmt = scoped(WebhookEndpoint, tenant).where(col(WebhookEndpoint.deleted).is_(False))
    return paginate(session, stmt, WebhookEndpoint, args, url=url)


def get_endpoint(
    session: Session, tenant: Tenant, endpoint_id: str, *, for_update: bool = False
) -> WebhookEndpoint:
    endpoint = get_owned(session, WebhookEndpoint, endpoint_id, tenant, for_update=for_update)
    if endpoint.deleted:
        raise NotFound(f"No such webhook_endpoint: '{endpoint_id}'")
    return endpoint


def update_endpoint(
    session: Session,
    tenant: Tenant,
    settings: Settings,
    endpoint_id: str,
    args: Mapping[str, Any],
) -> WebhookEndpoint:
    endpoint = get_endpoint(session, tenant, endpoint_id, for_update=True)
    if "url" in args:
        _check(args["url"], tenant, settings)
        endpoint.url = args["url"]
    if "enabled_events" in args:
        endpoint.enabled_events = list(dict.fromkeys(args["enabled_events"]))
    if "description" in args:
        endpoint.description = args["description"]
    if "metadata" in args:
        merged = {**endpoint.metadata_, **(args["metadata"] or {})}
        endpoint.metadata_ = {k: v for k, v in merged.items() if v not in ("", None)}
    if "disabled" in args:
        status = EndpointStatus.DISABLED if args["disabled"] else EndpointStatus.ENABLED
        endpoint.status = status.value
        if not args["disabled"]:
            endpoint.failing_since = None
    return endpoint


def delete_endpoint(session: Session, tenant: Tenant, endpoint_id: str) -> dict[str, Any]:
    endpoint = get_endpoint(session, tenant, endpoint_id, for_update=True)
    # Soft delete: pending deliveries find the flag and stop; the row keeps delivery history
    # readable.
    endpoint.deleted = True
    endpoint.status = EndpointStatus.DISABLED.value
    return {"id": endpoint.id, "object": "webhook_endpoint", "deleted": True}


def roll_secret(
    session: Session, tenant: Tenant, endpoint_id: str, overlap: int = 0
) -> WebhookEndpoint:
    """Issue a new secret. With ``overlap`` seconds, the old one keeps signing alongside it
    (two ``v1`` signatures) until the overlap ends, so receivers can switch without a gap."""
    endpoint = get_endpoint(session, tenant, endpoint_id, for_update=True)
    if overlap > 0:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires = dbmod.now() + overlap
    else:
        endpoint.previous_secret = None
        endpoint.previous_secret_expires = None
    endpoint.secret = new_secret()
    return endpoint


def signing_secrets(endpoint: WebhookEndpoint, now: int) -> list[str]:
    found = [endpoint.secret]
    expires = endpoint.previous_secret_expires
    if endpoint.previous_secret and expires is not None and now < expires:
        found.append(endpoint.previous_secret)
    return found


def disable_for_failures(session: Session, endpoint: WebhookEndpoint) -> None:
    """Disable an endpoint that kept failing and tell the dealer with an event."""
    endpoint.status = EndpointStatus.DISABLED.value
    tenant = Tenant(endpoint.dealer_id, endpoint.livemode)
    snapshot = ENDPOINT.dump(endpoint)
    record_event(
        session,
        tenant,
        "webhook_endpoint.disabled",
        snapshot,
        previous_attributes={"status": EndpointStatus.ENABLED.value},
    )
