"""Celery tasks of the events area: deliver one webhook, sweep lost deliveries, purge old
events, apply inbound processor events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery.schedules import crontab

from dealerhub import db as dbmod
from dealerhub.events import delivery as delivery_service
from dealerhub.events import sender
from dealerhub.events.inbound import apply_inbound_event, sweep_inbound
from dealerhub.events.policy import retention_days
from dealerhub.events.service import purge_events
from dealerhub.tasks import flask_app, register

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "events-sweep-deliveries": {
        "task": "dealerhub.events.tasks.sweep_deliveries",
        "schedule": timedelta(seconds=30),
    },
    "events-purge": {
        "task": "dealerhub.events.tasks.purge_old_events",
        "schedule": crontab(minute=41, hour=3),
    },
}


@register
def deliver(delivery_id: str) -> str:
    """Send one delivery attempt. Idempotent: a delivery that is delivered, leased by
    another worker or not yet due is skipped."""
    app = flask_app()
    db, settings = app.extensions["db"], app.extensions["settings"]
    with db.transaction() as session:
        prepared = delivery_service.start_attempt(session, delivery_id, settings)
    if prepared is None:
        return "skipped"
    refused = delivery_service.check_destination(prepared.url, prepared.livemode, settings)
    if refused:
        result = delivery_service.SendResult(None, 0, None, f"blocked: {refused}")
    else:
        result = sender.post(prepared)
    with db.transaction() as session:
        return delivery_service.finish_attempt(session, prepared, result, settings)


@register
def sweep_deliveries() -> int:
    app = flask_app()
    settings = app.extensions["settings"]
    with app.extensions["db"].transaction() as session:
        count = len(delivery_service.sweep(session, settings))
        return count + len(sweep_inbound(session, settings))


@register
def purge_old_events() -> int:
    app = flask_app()
    cutoff = dbmod.now() - retention_days(app.extensions["settings"]) * 86400
    with app.extensions["db"].transaction() as session:
        return purge_events(session, cutoff)


@register
def apply_inbound(inbound_id: str) -> str:
    app = flask_app()
    with app.extensions["db"].transaction() as session:
        return apply_inbound_event(session, inbound_id)
