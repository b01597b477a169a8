"""Daily purge of raw bureau responses past the retention window."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from dealerhub.credit.service import purge_raw_responses
from dealerhub.tasks import flask_app, register

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "credit-raw-response-retention": {
        "task": "dealerhub.credit.tasks.purge_expired_raw_responses",
        "schedule": crontab(hour=3, minute=35),
    },
}


@register
def purge_expired_raw_responses() -> int:
    app = flask_app()
    days = int(app.extensions["settings"].option("CREDIT_RAW_RETENTION_DAYS", "90"))
    with app.extensions["db"].transaction() as session:
        return purge_raw_responses(session, days)
