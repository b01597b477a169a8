"""Celery tasks of the events area: drain due webhook deliveries in batches, deliver one
webhook, sweep lost deliveries, purge old events, apply inbound processor events."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from celery.schedules import crontab

from dealerhub import db as dbmod
from dealerhub.events import delivery as delivery_service
from dealerhub.events import jobs, pipeline, sender
from dealerhub.events.inbound import apply_inbound_event, sweep_inbound
from dealerhub.events.policy import pipeline_options, retention_days
from dealerhub.events.service import purge_events
from dealerhub.tasks import enqueue_now, flask_app, register

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


# Webhook work has a queue of its own (``dealerhub serve`` gives it a worker of its own), so a
# delivery backlog never holds up payment settlement, DMS sync or the sweeps.
TASK_QUEUES = {jobs.DELIVER: "webhooks", jobs.DRAIN: "webhooks"}


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
    where = delivery_service.check_destination(prepared.url, prepared.livemode, settings)
    if where.refused:
        result = delivery_service.SendResult(None, 0, None, f"blocked: {where.refused}")
    else:
        result = sender.post(prepared, address=where.address)
    with db.transaction() as session:
        return delivery_service.finish_attempt(session, prepared, result, settings)


@register
def drain_deliveries() -> int:
    """A "deliveries are waiting" signal: claim due deliveries in batches, send each batch
    concurrently, write its results back; repeat until nothing is due or the time slice is
    used, then hand the rest to a fresh signal. Returns how many attempts it made."""
    app = flask_app()
    db, settings = app.extensions["db"], app.extensions["settings"]
    options = pipeline_options(settings)
    until = time.monotonic() + options.drain_seconds
    sent = 0
    while True:
        with db.transaction() as session:
            batch = pipeline.claim(session, settings, limit=options.batch_size)
        if not batch:
            return sent
        outcomes = sender.post_many(
            batch,
            max_in_flight=options.max_in_flight,
            destination=lambda p: delivery_service.check_destination(p.url, p.livemode, settings),
        )
        with db.transaction() as session:
            pipeline.finish(session, settings, outcomes)
        sent += len(outcomes)
        if len(batch) < options.batch_size:
            return sent
        if time.monotonic() > until:
            enqueue_now(jobs.DRAIN)  # more is due: another slot (or this one) goes on
            return sent


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
