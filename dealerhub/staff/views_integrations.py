"""Manager screens for the integrations' plumbing: webhook endpoints (add, disable or enable,
delete) with their recent deliveries and a retry, and the DMS dead letters with a replay.
Every action is the API's own service (``POST /webhook-endpoints``, ``PATCH`` and ``DELETE
/webhook-endpoints/{id}``, ``POST /events/{id}/retry``, ``POST /dms/sync/failures/{id}/replay``),
its body loaded with the API's schema, and audited with the staff user as actor."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, flash, redirect, request, url_for
from sqlmodel import col
from werkzeug.wrappers import Response

from dealerhub.api import session
from dealerhub.dms import failures
from dealerhub.errors import NotFound
from dealerhub.events import endpoints as webhook_endpoints
from dealerhub.events import service as events
from dealerhub.events.catalogue import EVENT_TYPES
from dealerhub.events.models import Event, WebhookDelivery, WebhookEndpoint
from dealerhub.events.schemas import EndpointCreateArgs, EndpointUpdateArgs
from dealerhub.staff import forms
from dealerhub.staff.desk import audit, render, tenant, view
from dealerhub.staff.roles import Permission
from dealerhub.tenancy import scoped

PAGE = 50
_CREATE = EndpointCreateArgs()
_UPDATE = EndpointUpdateArgs()


@view("/configuration/webhooks", Permission.CONFIGURATION)
def webhooks(errors: dict[str, str] | None = None, status: int = 200, **extra: Any) -> Response:
    s = session()
    endpoints = s.scalars(
        scoped(WebhookEndpoint, tenant())
        .where(col(WebhookEndpoint.deleted).is_(False))
        .order_by(col(WebhookEndpoint.created).desc())
    ).all()
    deliveries = s.scalars(
        scoped(WebhookDelivery, tenant()).order_by(col(WebhookDelivery.created).desc()).limit(PAGE)
    ).all()
    types = {
        e.id: e.type
        for e in s.scalars(
            scoped(Event, tenant()).where(col(Event.id).in_({d.event_id for d in deliveries}))
        )
    }
    urls = {e.id: e.url for e in endpoints}
    audit("desk.webhooks_viewed")
    return render(
        "staff/webhooks.html",
        status=status,
        endpoints=endpoints,
        deliveries=deliveries,
        types=types,
        urls=urls,
        errors=errors or {},
        event_types=sorted(EVENT_TYPES),
        **{"form": request.form if request.method == "POST" else {}, **extra},
    )


@view("/configuration/webhooks/events/<event_id>/retry", Permission.CONFIGURATION, methods=["POST"])
def webhook_retry(event_id: str) -> Response:
    try:
        forms.run(lambda: events.retry_event(session(), tenant(), event_id))
    except forms.FormErrors as exc:
        return webhooks(exc.errors, exc.status)
    audit("event.retried", event_id)
    flash(f"Deliveries of {event_id} queued again.")
    return redirect(url_for("staff.webhooks"))


@view("/configuration/dms", Permission.CONFIGURATION)
def dead_letters(errors: dict[str, str] | None = None, status: int = 200) -> Response:
    rows = failures.list_failures(session(), tenant())["data"]
    audit("desk.dead_letters_viewed")
    return render("staff/dead_letters.html", status=status, rows=rows, errors=errors or {})


@view("/configuration/dms/<record_id>/replay", Permission.CONFIGURATION, methods=["POST"])
def dead_letter_replay(record_id: str) -> Response:
    try:
        forms.run(lambda: failures.replay(session(), tenant(), record_id))
    except forms.FormErrors as exc:
        return dead_letters(exc.errors, exc.status)
    audit("dms.replayed", record_id)
    flash(f"{record_id} queued for the DMS again.")
    return redirect(url_for("staff.dead_letters"))


def _settings() -> Any:
    return current_app.extensions["settings"]


def _field(key: str) -> str:
    """``enabled_events.2`` is the events input."""
    return key.split(".")[0] if key.startswith("enabled_events") else key


@view("/configuration/webhooks/endpoints", Permission.CONFIGURATION, methods=["POST"])
def webhook_endpoint_create() -> Response:
    """Add an endpoint. Its signing secret is shown on this one page and never again (it is
    not put in a flash message, which would keep it in the session cookie)."""
    form = request.form
    body = {
        "url": form.get("url", "").strip(),
        "enabled_events": [e for e in re.split(r"[\s,]+", form.get("enabled_events", "")) if e],
        "description": form.get("description", "").strip() or None,
    }
    try:
        args = forms.load(_CREATE, body)
        endpoint = forms.run(
            lambda: webhook_endpoints.create_endpoint(session(), tenant(), _settings(), args)
        )
        session().flush()
    except forms.FormErrors as exc:
        return webhooks({_field(k): v for k, v in exc.errors.items()}, exc.status)
    audit("webhook_endpoint.created", endpoint.id, enabled_events=endpoint.enabled_events)
    return webhooks(created=endpoint, form={})


@view("/configuration/webhooks/endpoints/<endpoint_id>", Permission.CONFIGURATION, methods=["POST"])
def webhook_endpoint_change(endpoint_id: str) -> Response:
    """``action``: disable, enable or delete."""
    action = request.form.get("action", "")
    try:
        if action in ("disable", "enable"):
            args = forms.load(_UPDATE, {"disabled": action == "disable"})
            forms.run(
                lambda: webhook_endpoints.update_endpoint(
                    session(), tenant(), _settings(), endpoint_id, args
                )
            )
        elif action == "delete":
            forms.run(lambda: webhook_endpoints.delete_endpoint(session(), tenant(), endpoint_id))
        else:
            raise forms.FormErrors({"_form": "Unknown action."})
    except forms.FormErrors as exc:
        if exc.status == 404:
            raise NotFound(exc.errors.get("_form") or "No such webhook endpoint.") from None
        return webhooks(exc.errors, exc.status)
    past = {"disable": "disabled", "enable": "enabled", "delete": "deleted"}[action]
    audit(f"webhook_endpoint.{past}", endpoint_id)
    flash(f"Webhook endpoint {endpoint_id} {past}.")
    return redirect(url_for("staff.webhooks"))
