"""Health checks."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import text

from dealerhub.db import Database

log = logging.getLogger(__name__)


def check_health(db: Database, celery: Any) -> dict[str, str]:
    """Probe the database with ``SELECT 1`` and the broker with one short connection."""
    report = {"database": "ok", "broker": "ok"}
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "down"; the detail goes to the log only
        log.warning("health: database unavailable: %s", type(exc).__name__)
        report["database"] = "unavailable"
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:  # as above
        log.warning("health: broker unavailable: %s", type(exc).__name__)
        report["broker"] = "unavailable"
    report["status"] = "ok" if set(report.values()) == {"ok"} else "unavailable"
    return report
