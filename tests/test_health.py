"""/healthz reports the worker heartbeat and the queue depth, and says degraded when no
worker has been seen for a minute."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete

from dealerhub import db as dbmod
from dealerhub.app import create_app
from dealerhub.system import tasks as system_tasks
from dealerhub.system.models import WorkerHeartbeat
from dealerhub.system.service import WORKER_SILENT_AFTER, record_heartbeat
from dealerhub.tasks import drop_connections, enqueue_now
from tests.conftest import bind_tasks_to


@pytest.fixture
def queued_app(app, base_settings, tmp_path) -> Iterator[Any]:
    """An app whose tasks go to a real (embedded) broker, with no worker running."""
    settings = base_settings.with_overrides(
        tasks_eager=False,
        broker_url=f"filesystem://{tmp_path / 'broker'}",
        extra={"TASK_QUEUE": f"health-{uuid.uuid4().hex[:8]}"},
    )
    drop_connections()
    queued = create_app(settings)
    yield queued
    queued.extensions["db"].dispose()
    drop_connections()
    bind_tasks_to(app)


def test_no_worker_for_a_minute_is_degraded_not_down(queued_app):
    client = queued_app.test_client()
    with queued_app.extensions["db"].transaction() as session:
        session.execute(delete(WorkerHeartbeat))  # other tests' workers beat in this database
    queued_app.extensions["started_at"] = dbmod.now() - WORKER_SILENT_AFTER - 1
    for _ in range(3):
        assert enqueue_now("dealerhub.system.tasks.heartbeat")  # nobody consumes them
    body = client.get("/healthz")
    assert body.status_code == 200
    report = body.get_json()
    assert report["status"] == "degraded" and report["worker"] == "silent"
    assert report["queue_depth"] == 3
    # A worker beats: healthy again, and the time it was seen is reported.
    with queued_app.extensions["db"].transaction() as session:
        record_heartbeat(session, "celery@test", 4242, dbmod.now())
    report = client.get("/healthz").get_json()
    assert report["status"] == "ok" and report["worker"] == "ok"
    assert report["worker_last_seen"] >= dbmod.now() - 1


def test_a_fresh_server_gets_a_minute_before_degraded(queued_app):
    report = queued_app.test_client().get("/healthz").get_json()
    if report["worker_last_seen"] is None:
        assert report["worker"] == "starting"
    assert report["status"] == "ok"


def test_the_heartbeat_task_stamps_its_worker(app, db, monkeypatch):
    stamped: list[Any] = []
    monkeypatch.setattr(system_tasks, "record_heartbeat", lambda *a: stamped.append(a[1:3]))
    name = system_tasks.heartbeat()
    assert stamped and stamped[0][0] == name


def test_a_worker_restarted_under_the_same_name_starts_a_new_row(app, db):
    with db.transaction() as session:
        record_heartbeat(session, "celery@restart", 1, 100)
    with db.transaction() as session:
        record_heartbeat(session, "celery@restart", 1, 160)
        record_heartbeat(session, "celery@restart", 2, 200)
    with db.transaction() as session:
        row = session.get(WorkerHeartbeat, "celery@restart")
        assert (row.pid, row.started_at, row.seen_at) == (2, 200, 200)
