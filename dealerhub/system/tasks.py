"""The worker heartbeat: stamped when a worker starts and every 15 s by a beat task, so a
silent worker (dead, stuck, or no beat scheduling anything) shows in ``/healthz``."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

from celery.signals import worker_ready

from dealerhub import db as dbmod
from dealerhub.system.service import record_heartbeat
from dealerhub.tasks import celery, flask_app, register

log = logging.getLogger(__name__)

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "system-heartbeat": {
        "task": "dealerhub.system.tasks.heartbeat",
        "schedule": timedelta(seconds=15),
        # A heartbeat older than the next one is worthless: never let them pile up.
        "options": {"expires": 14},
    },
}


def _stamp(name: str) -> None:
    with flask_app().extensions["db"].transaction() as session:
        record_heartbeat(session, name, os.getpid(), dbmod.now())


@register
def heartbeat() -> str:
    """Through the broker to a worker: proves the beat schedules, the broker carries and a
    worker runs tasks."""
    task = celery.current_task
    name = (task.request.hostname if task is not None else None) or f"pid-{os.getpid()}"
    _stamp(name)
    return name


@worker_ready.connect
def _on_worker_ready(sender: Any = None, **_kwargs: Any) -> None:
    try:
        _stamp(getattr(sender, "hostname", None) or f"pid-{os.getpid()}")
    except Exception:  # a heartbeat must never stop a worker from starting
        log.warning("could not record the worker heartbeat", exc_info=True)
