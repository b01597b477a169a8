"""Hourly sweep of answers past their day (a lookup ignores them anyway; this keeps the table
small and the addresses, even encrypted, no longer than needed)."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from dealerhub.addresses.cache import purge_expired
from dealerhub.db import now
from dealerhub.tasks import flask_app, register

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "addresses-purge-expired-answers": {
        "task": "dealerhub.addresses.tasks.purge_expired_answers",
        "schedule": crontab(minute=23),
    },
}


@register
def purge_expired_answers() -> int:
    with flask_app().extensions["db"].transaction() as session:
        return purge_expired(session, now())
