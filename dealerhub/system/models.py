"""Worker heartbeats: each worker process (and the beat's heartbeat task) stamps its row, so
``/healthz`` can tell a silent worker from a live one."""

from __future__ import annotations

from sqlmodel import Field

from dealerhub.rows import Row


class WorkerHeartbeat(Row, table=True):
    __tablename__ = "worker_heartbeats"
    __object_name__ = "worker_heartbeat"

    # Celery's node name (``celery@host``), unique per worker.
    name: str = Field(primary_key=True, max_length=255)
    pid: int = 0
    started_at: int
    seen_at: int = Field(index=True)
