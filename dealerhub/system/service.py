"""Health checks and worker heartbeats."""

from __future__ import annotations

import logging
from typing import Any

from kombu.exceptions import ChannelError
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.db import Database
from dealerhub.system.models import WorkerHeartbeat

log = logging.getLogger(__name__)

# No heartbeat for this long (and the app older than this) means the workers are silent.
WORKER_SILENT_AFTER = 60


def record_heartbeat(session: Session, name: str, pid: int, now: int) -> None:
    """Stamp worker ``name`` as seen at ``now`` (its row is made on its first beat)."""
    row = session.get(WorkerHeartbeat, name, with_for_update=True)
    if row is None or row.pid != pid:
        if row is not None:
            session.delete(row)
            session.flush()
        session.add(WorkerHeartbeat(name=name, pid=pid, started_at=now, seen_at=now))
        return
    row.seen_at = now


def _queue_depth(conn: Any, queue: str) -> int | None:
    """Messages waiting in ``queue``: a passive declare, which creates nothing. Redis drops
    an empty queue's key, so "no such queue" means none waiting; another failure leaves the
    depth unknown without calling a reachable broker down."""
    try:
        return int(conn.default_channel.queue_declare(queue=queue, passive=True).message_count)
    except ChannelError:
        return 0
    except Exception as exc:  # a transport without passive declares: depth unknown
        log.info("health: queue depth unknown: %s", type(exc).__name__)
        return None


def check_health(
    db: Database, celery: Any, *, now: int, started_at: int, inline_tasks: bool
) -> dict[str, Any]:
    """Probe the database (``SELECT 1``, the latest worker heartbeat) and the broker (one
    short connection that also counts the default queue's waiting messages).

    ``status`` is ``unavailable`` (503) when the database or the broker is down, ``degraded``
    (200) when no worker has been seen for :data:`WORKER_SILENT_AFTER` seconds (the API works;
    background work waits), else ``ok``. With ``inline_tasks`` (tasks run in the request,
    tests and ``DEALERHUB_TASKS_EAGER``) there is no worker to wait for."""
    report: dict[str, Any] = {"database": "ok", "broker": "ok"}
    last_seen: int | None = None
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            last_seen = conn.execute(select(func.max(col(WorkerHeartbeat.seen_at)))).scalar()
    except Exception as exc:  # any driver error means "down"; the detail goes to the log only
        log.warning("health: database unavailable: %s", type(exc).__name__)
        report["database"] = "unavailable"
    depth: int | None = None
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            depth = _queue_depth(conn, celery.conf.task_default_queue)
    except Exception as exc:  # as above
        log.warning("health: broker unavailable: %s", type(exc).__name__)
        report["broker"] = "unavailable"
    if inline_tasks:
        worker = "inline"
    elif last_seen is not None and now - last_seen < WORKER_SILENT_AFTER:
        worker = "ok"
    elif now - started_at < WORKER_SILENT_AFTER:
        worker = "starting"  # give a freshly started worker its first minute
    else:
        worker = "silent"
    report["worker"] = worker
    report["worker_last_seen"] = last_seen
    report["queue_depth"] = depth
    if report["database"] != "ok" or report["broker"] != "ok":
        report["status"] = "unavailable"
    elif worker == "silent":
        report["status"] = "degraded"
    else:
        report["status"] = "ok"
    return report
