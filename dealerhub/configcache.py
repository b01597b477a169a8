"""A per-process cache of what nearly every request reads and almost nothing writes (API key
identities, webhook-endpoint lists), on PostgreSQL, kept true by the database itself.

Triggers on ``api_keys`` and ``webhook_endpoints`` (migration 0020) ``NOTIFY`` the
``dealerhub_config`` channel with the table's name on every change, whoever makes it (the API,
the CLI, the staff desk, a hand-written UPDATE). Each process runs one listener thread on a
connection of its own; a notification empties that table's entries. Entries are served only
while the listener is connected: before its ``LISTEN`` and after any error on its connection
every lookup goes to the database, as if there were no cache, and nothing read before the
listener was (re)connected is kept. A load that began before a notification is not stored
(a generation counter), so a change can never be overwritten by what was read before it.

A change reaches every process as fast as PostgreSQL delivers its notification (well under a
millisecond on an idle machine): a key revoked this instant may still pass a request that
another process is authenticating at the same instant, as it could before the cache. An entry
older than ``max_age`` seconds is read again anyway, in case a broken connection went unseen.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

CHANNEL = "dealerhub_config"
APPLICATION_NAME = "dealerhub-config-listener"  # how the listener shows in pg_stat_activity
TABLES = frozenset({"api_keys", "webhook_endpoints"})  # whose changes the triggers announce
_TRIGGERS = tuple(f"{table}_config_changed" for table in sorted(TABLES))  # migration 0020
log = logging.getLogger(__name__)
V = TypeVar("V")


class ConfigCache:
    """``lookup(table, key, load)``: the cached value of ``key`` (loaded by ``load`` and kept
    until ``table`` changes), or ``load()`` itself while the cache cannot be trusted."""

    def __init__(
        self,
        url: str,
        *,
        max_age: float = 30.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self.max_age = max_age
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, Hashable], tuple[float, Any]] = {}
        # A table's generation moves on whenever its entries are forgotten; the epoch whenever
        # all of them are (the listener connected, lost, or a fork).
        self._epoch = 0
        self._generations: dict[str, int] = {}
        self._listening = False
        self._pid: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def listening(self) -> bool:
        """Whether entries are served (the listener is connected and listening)."""
        return self._listening

    def generation(self, table: str) -> tuple[int, int]:
        """Moves on whenever ``table``'s entries are forgotten (a change to it heard, the
        listener lost or back): a load that began before is not kept."""
        return self._epoch, self._generations.get(table, 0)

    def lookup(self, table: str, key: Hashable, load: Callable[[], V]) -> V:
        """``key``'s value: cached, or loaded now (and cached if ``load`` returned something
        other than ``None`` and nothing changed ``table`` meanwhile)."""
        self.start()
        with self._lock:
            entry = self._entries.get((table, key))
            generation = self.generation(table) if self._listening else None
        if entry is not None and self._clock() - entry[0] < self.max_age:
            value: V = entry[1]
            return value
        value = load()
        if generation is not None and value is not None:
            with self._lock:
                if self._listening and self.generation(table) == generation:
                    if len(self._entries) >= self.max_entries:
                        self._entries.clear()
                    self._entries[(table, key)] = (self._clock(), value)
        return value

    def invalidate(self, table: str | None = None) -> None:
        """Forget ``table``'s entries (every entry if ``None``) and every load in flight."""
        with self._lock:
            if table is None:
                self._epoch += 1
                self._entries.clear()
            else:
                self._generations[table] = self._generations.get(table, 0) + 1
                for entry_key in [k for k in self._entries if k[0] == table]:
                    del self._entries[entry_key]

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and self._pid == os.getpid():
            thread.join(timeout)

    def start(self) -> None:
        """Start this process's listener, if it has none yet (the first lookup does)."""
        if self._pid == os.getpid() or self._stop.is_set():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            # A forked child inherits the parent's entries but not its listener thread.
            self._pid = os.getpid()
            self._entries.clear()
            self._listening = False
            self._epoch += 1
            self._thread = threading.Thread(
                target=self._listen, name="dealerhub-config-cache", daemon=True
            )
            self._thread.start()

    def _set_listening(self, listening: bool) -> None:
        with self._lock:
            self._listening = listening
            self._epoch += 1
            self._entries.clear()

    def _listen(self) -> None:
        engine: Engine = create_engine(
            self._url, poolclass=NullPool, connect_args={"application_name": APPLICATION_NAME}
        )
        delay = 0.5
        try:
            while not self._stop.is_set():
                try:
                    self._listen_once(engine)
                    delay = 0.5
                except Exception as exc:  # the database went away: queries go to it directly
                    log.warning("config cache listener: %s; retrying in %.1fs", exc, delay)
                finally:
                    self._set_listening(False)
                self._stop.wait(delay)
                delay = min(delay * 2, 30.0)
        finally:
            engine.dispose()

    def _listen_once(self, engine: Engine) -> None:
        raw = engine.raw_connection()
        try:
            conn = raw.driver_connection
            if conn is None:
                return
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
            # Without the triggers (a database not yet upgraded) no change would be heard.
            found = conn.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = ANY(%s)", (list(_TRIGGERS),)
            ).fetchone()
            if found is None or found[0] < len(_TRIGGERS):
                raise RuntimeError("its triggers are missing (run `dealerhub db upgrade`)")
            self._set_listening(True)  # from here every change is heard
            while not self._stop.is_set():
                for note in conn.notifies(timeout=1.0):
                    self.invalidate(note.payload or None)
        finally:
            raw.close()
