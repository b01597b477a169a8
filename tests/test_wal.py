"""SQLite checkpoints run in a background thread, not inside a request's COMMIT."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

from dealerhub import wal
from dealerhub.db import Database
from tests.conftest import wait_until


def test_the_background_thread_checkpoints_what_commits_leave_in_the_wal(tmp_path: Path) -> None:
    db_file = tmp_path / "c.db"
    db = Database(f"sqlite:///{db_file}")
    try:
        with db.transaction() as session:  # a write transaction: the process starts its thread
            # The backstop is far above this test's 300 pages: only the thread checkpoints.
            assert session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 10_000
            session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"))
            session.execute(text("INSERT INTO t (body) VALUES (:b)"), [{"b": "x" * 4000}] * 300)
        assert os.path.getsize(f"{db_file}-wal") > 1_000_000
        # Checkpointed pages land in the database file itself.
        assert wait_until(lambda: os.path.getsize(db_file) > 1_000_000)
        checkpointer = wal.of(db.write_engine)
        assert checkpointer is not None and checkpointer.thread is not None
        assert checkpointer.thread.is_alive()
    finally:
        db.dispose()


def test_a_process_that_only_reads_runs_no_thread(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    with db.transaction(write=False) as session:
        session.execute(text("SELECT 1"))
    checkpointer = wal.of(db.write_engine)
    assert checkpointer is not None and checkpointer.thread is None
    db.dispose()


def test_the_thread_ends_with_its_engine(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'd.db'}")
    with db.transaction() as session:
        session.execute(text("SELECT 1"))
    checkpointer = wal.of(db.write_engine)
    assert checkpointer is not None and checkpointer.thread is not None
    db.dispose()
    checkpointer.thread.join(timeout=5)
    assert not checkpointer.thread.is_alive()
