"""Manager screens for the integrations' plumbing: webhook endpoints with their recent
deliveries and a retry, and the DMS dead letters with a replay. Both actions are the API's
own services (``POST /events/{id}/retry``, ``POST /dms/sync/failures/{id}/replay``)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from sqlmodel import col
from werkzeug.wrappers import Response

from dealerhub.api import session
from dealerhub.dms import sync
from dealerhub.events import service as events
from dealerhub.events.models import Event, WebhookDelivery, WebhookEndpoint
from dealerhub.staff import forms
from dealerhub.staff.desk import audit, render, tenant, view
from dealerhub.staff.roles import Permission
from dealerhub.tenancy import scoped

PAGE = 50


@view("/configuration/webhooks", Permission.CONFIGURATION)
def webhooks(errors: dict[str, str] | None = None, status: int = 200) -> Response:
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
    rows = sync.list_failures(session(), tenant())["data"]
    audit("desk.dead_letters_viewed")
    return render("staff/dead_letters.html", status=status, rows=rows, errors=errors or {})


@view("/configuration/dms/<record_id>/replay", Permission.CONFIGURATION, methods=["POST"])
def dead_letter_replay(record_id: str) -> Response:
    try:
        forms.run(lambda: sync.replay(session(), tenant(), record_id))
    except forms.FormErrors as exc:
        return dead_letters(exc.errors, exc.status)
    audit("dms.replayed", record_id)
    flash(f"{record_id} queued for the DMS again.")
    return redirect(url_for("staff.dead_letters"))
