"""Daily purge of cached valuations past their day."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from dealerhub.tasks import flask_app, register
from dealerhub.tradein.service import purge_expired

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "tradein-valuation-cache-purge": {
        "task": "dealerhub.tradein.tasks.purge_expired_valuations",
        "schedule": crontab(hour=3, minute=50),
    },
}


@register
def purge_expired_valuations() -> int:
    with flask_app().extensions["db"].transaction() as session:
        return purge_expired(session)
