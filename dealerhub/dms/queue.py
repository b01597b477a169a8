"""Handing leads and deals to the sync job: the services mark a record changed, and a
"records are waiting" signal (``dealerhub.dms.tasks.drain``, enqueued by name after the
commit) has a worker claim due records in batches and send them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dealerhub.db import now
from dealerhub.dms.models import Lead
from dealerhub.tasks import enqueue_after_commit

DRAIN = "dealerhub.dms.tasks.drain"


def kind_of(record: Any) -> str:
    return "lead" if isinstance(record, Lead) else "deal"


def enqueue(session: Session, record: Any) -> None:
    """Send ``record`` to the DMS once ``session`` commits (the sweep covers a lost signal)."""
    enqueue_after_commit(session, DRAIN)


def mark_changed(session: Session, record: Any) -> None:
    """A created or changed record must be (re)sent: bump its version and enqueue after commit."""
    record.sync_version += 1
    record.sync_status = "pending"
    record.sync_attempts = 0
    record.sync_retry_at = None
    record.updated = now()
    enqueue(session, record)
