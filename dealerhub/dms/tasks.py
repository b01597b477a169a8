"""Celery tasks of the DMS area: per-record sync, the sweep, and the workflow tick."""

from __future__ import annotations

import logging
from typing import Any

from celery.schedules import crontab

from dealerhub.dms import sync, workflows
from dealerhub.dms.errors import SyncRetryableFailure
from dealerhub.tasks import flask_app, register

log = logging.getLogger(__name__)


def max_attempts() -> int:
    return int(flask_app().extensions["settings"].option("DMS_SYNC_MAX_ATTEMPTS", "5"))


@register
def sync_record(kind: str, record_id: str) -> str:
    """Send one lead or deal; a retryable failure raises so the task base retries it with
    exponential backoff (the record itself goes ``dead`` once its attempts run out)."""
    app = flask_app()
    outcome = sync.run(
        app.extensions["db"],
        kind,
        record_id,
        connector_factory=app.extensions["connectors"].dms,
        max_attempts=max_attempts(),
    )
    if outcome.status == "failed":
        # Ids only: vendor messages can echo contact data, and Celery logs this on retry.
        # The full reason is on the record (dms_sync.last_error).
        raise SyncRetryableFailure(f"{kind} {record_id}: retryable DMS failure")
    return outcome.status


@register
def sweep() -> int:
    """Re-enqueue records that were never handed to the broker or whose worker died."""
    return sync.sweep(flask_app().extensions["db"])


@register
def workflows_tick() -> list[str]:
    """Every minute: run the workflows/*.yml whose cron schedule fires now. Files are read
    (and validated) at each tick, so editing a workflow needs no beat restart."""
    app = flask_app()
    try:
        return workflows.run_due(
            app.extensions["db"],
            app.extensions["settings"],
            connector_factory=app.extensions["connectors"].dms,
        )
    except workflows.WorkflowError as exc:
        log.error("%s", exc)
        return []


@register
def run_workflow(name: str, dealer_id: str | None = None) -> dict[str, Any]:
    app = flask_app()
    wf = workflows.load(workflows.workflows_dir(app.extensions["settings"]))[name]
    runs = workflows.run(
        app.extensions["db"],
        wf,
        connector_factory=app.extensions["connectors"].dms,
        dealer_id=dealer_id,
        trigger="schedule",
    )
    return {r.id: r.counts for r in runs}


BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "dms-sync-sweep": {"task": "dealerhub.dms.tasks.sweep", "schedule": crontab()},
    "dms-workflows-tick": {"task": "dealerhub.dms.tasks.workflows_tick", "schedule": crontab()},
}
