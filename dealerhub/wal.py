"""SQLite WAL checkpoints off the request path.

Left to itself, SQLite checkpoints inside the COMMIT that takes the WAL past 1,000 pages: that
writer copies about 4 MB into the database file and fsyncs it while it still holds the write
lock, so every writer queued behind it waits. A create+confirm dirties about 30 pages (rows
and index entries in five tables), so one request in every 30 or so paid for a checkpoint.

Instead, each process that writes runs one background thread that checkpoints every
:data:`INTERVAL` seconds in PASSIVE mode (it never waits for, nor blocks, readers and writers;
pysqlite releases the GIL for it), and the request connections keep SQLite's automatic
checkpoint only as a backstop at :data:`AUTOCHECKPOINT_PAGES`, should no thread run. Durability
is unchanged: a transaction is in the WAL when its COMMIT returns, checkpointed or not.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import weakref
from typing import Any

log = logging.getLogger(__name__)

INTERVAL = 0.5
# SQLite's default is 1,000 pages; the backstop lets the WAL reach about 40 MB.
AUTOCHECKPOINT_PAGES = 10_000


class Checkpointer:
    """One per database file and process; :meth:`ensure_running` is cheap to call often."""

    def __init__(self, db_file: str, interval: float = INTERVAL) -> None:
        self.db_file = db_file
        self.interval = interval
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._pid: int | None = None  # the process whose thread runs: a fork starts another
        self.thread: threading.Thread | None = None

    def ensure_running(self) -> None:
        if self._pid == os.getpid() or self.stopped.is_set():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            # The thread holds the checkpointer weakly: once its engine is gone, it ends.
            args = (weakref.ref(self), self.db_file, self.interval, self.stopped)
            self.thread = threading.Thread(
                target=_run, args=args, name="sqlite-checkpoint", daemon=True
            )
            self.thread.start()

    def stop(self) -> None:
        self.stopped.set()


# Each SQLite engine's checkpointer, so that disposing of the engine stops its thread.
_BY_ENGINE: weakref.WeakKeyDictionary[Any, Checkpointer] = weakref.WeakKeyDictionary()


def attach(engine: Any, db_file: str) -> Checkpointer:
    checkpointer = _BY_ENGINE[engine] = Checkpointer(db_file)
    return checkpointer


def of(engine: Any) -> Checkpointer | None:
    return _BY_ENGINE.get(engine)


def stop(engine: Any) -> None:
    checkpointer = _BY_ENGINE.pop(engine, None)
    if checkpointer is not None:
        checkpointer.stop()


def _run(
    owner: weakref.ref[Checkpointer], db_file: str, interval: float, stopped: threading.Event
) -> None:
    conn = sqlite3.connect(db_file, check_same_thread=False, isolation_level=None)
    try:
        while not stopped.wait(interval) and owner() is not None and os.path.exists(db_file):
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as exc:  # the backstop covers it meanwhile
                log.warning("sqlite checkpoint failed: %s", exc)
    finally:
        conn.close()
