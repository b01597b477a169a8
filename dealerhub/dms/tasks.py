"""Celery tasks of the DMS area: the sync drain, the sweep, and the workflow tick."""

from __future__ import annotations

import logging
from typing import Any

from celery.schedules import crontab

from dealerhub.dms import sync, workflows
from dealerhub.tasks import flask_app, register

log = logging.getLogger(__name__)


@register
def drain() -> dict[str, int]:
    """A "records are waiting" signal: claim due leads and deals in batches, push each batch
    concurrently, record the outcomes; retries are signalled for when they fall due."""
    app = flask_app()
    return dict(
        sync.drain(
            app.extensions["db"],
            connector_factory=app.extensions["connectors"].dms,
            options=sync.options_from(app.extensions["settings"]),
        )
    )


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
