"""Per-process caches of what nearly every request reads and almost nothing writes (API key
identities, webhook-endpoint lists), kept true by the database itself: whoever changes those
tables (the API, the CLI, the staff desk, SQL typed by hand), every process stops serving what
it had cached of them. :func:`for_url` picks the database's way.

PostgreSQL (:class:`NotifiedCache`): triggers on ``api_keys`` and ``webhook_endpoints``
(migration 0020) ``NOTIFY`` the ``dealerhub_config`` channel with the table's name on every
change. Each process runs one listener thread on a connection of its own; a notification
empties that table's entries. Entries are served only while the listener is connected: before
its ``LISTEN`` and after any error on its connection every lookup goes to the database, as if
there were no cache, and nothing read before the listener was (re)connected is kept. A load
that began before a notification is not stored (a generation counter), so a change can never
be overwritten by what was read before it. A change reaches every process as fast as
PostgreSQL delivers its notification (well under a millisecond on an idle machine): a key
revoked this instant may still pass a request that another process is authenticating at the
same instant, as it could before the cache.

SQLite (:class:`VersionedCache`) has no notifications: triggers (migration 0021) count every
change of each table in ``config_versions``, and a lookup reads the table's count, on the
connection a load would use, before anything else. An entry is served only if it was stored
at that count, so it is exactly as fresh as the query it saves; the count is one row read
straight through the driver, several times cheaper than the statement it replaces.

Either way an entry older than ``max_age`` seconds is read again, and a lookup whose load
returns ``None`` (an unknown key) is never cached.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.pool import NullPool

CHANNEL = "dealerhub_config"
APPLICATION_NAME = "dealerhub-config-listener"  # how the listener shows in pg_stat_activity
TABLES = frozenset({"api_keys", "webhook_endpoints"})  # whose changes the triggers announce
_TRIGGERS = tuple(f"{table}_config_changed" for table in sorted(TABLES))  # migration 0020
_VERSION = "SELECT version FROM config_versions WHERE name = ?"  # migration 0021
log = logging.getLogger(__name__)
V = TypeVar("V")


class ConfigCache(Protocol):
    def lookup(
        self, table: str, key: Hashable, load: Callable[[], V], *, connect: Callable[[], Connection]
    ) -> V:
        """``key``'s value: cached, or ``load()`` (which queries ``connect()``'s connection)
        now, cached if it is not ``None``."""

    def invalidate(self, table: str | None = None) -> None:
        """Forget ``table``'s entries (every entry if ``None``): this process changed it."""

    def stop(self) -> None:
        """Release what the cache holds (its listener thread)."""


def for_url(url: str) -> ConfigCache:
    """The cache that the database at ``url`` keeps true."""
    return VersionedCache() if url.startswith("sqlite") else NotifiedCache(url)


class _Entries:
    """``(table, key) -> (stamp, stored at, value)``, at most ``max_entries`` of them; an
    entry is found only under the stamp it was stored with and until ``max_age`` has passed."""

    def __init__(self, max_age: float, max_entries: int, clock: Callable[[], float]) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self._clock = clock
        self._items: dict[tuple[str, Hashable], tuple[Hashable, float, Any]] = {}

    def get(self, table: str, key: Hashable, stamp: Hashable) -> tuple[bool, Any]:
        entry = self._items.get((table, key))
        if entry is None or entry[0] != stamp or self._clock() - entry[1] >= self.max_age:
            return False, None
        return True, entry[2]

    def put(self, table: str, key: Hashable, stamp: Hashable, value: Any) -> None:
        if len(self._items) >= self.max_entries:
            self._items.clear()
        self._items[(table, key)] = (stamp, self._clock(), value)

    def forget(self, table: str | None = None) -> None:
        if table is None:
            self._items.clear()
        else:
            for entry_key in [k for k in self._items if k[0] == table]:
                del self._items[entry_key]


class VersionedCache:
    """SQLite's: an entry is served while its table's change count is the one it was stored
    at (see the module's docstring)."""

    def __init__(
        self,
        *,
        max_age: float = 30.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries = _Entries(max_age, max_entries, clock)
        self._lock = threading.Lock()

    def lookup(
        self, table: str, key: Hashable, load: Callable[[], V], *, connect: Callable[[], Connection]
    ) -> V:
        # The count is read first: a change committed after it moves it on, so an entry
        # stored under it was loaded no earlier than the count says.
        version = self.version(connect(), table)
        if version is None:
            return load()
        with self._lock:
            found, value = self._entries.get(table, key, version)
        if found:
            cached: V = value
            return cached
        loaded = load()
        if loaded is not None:
            with self._lock:
                self._entries.put(table, key, version, loaded)
        return loaded

    @staticmethod
    def version(conn: Connection, table: str) -> int | None:
        """``table``'s change count as ``conn`` sees it, or ``None`` where nothing counts
        changes (a database not yet upgraded), which turns the cache off."""
        driver = conn.connection.dbapi_connection
        if driver is None:
            return None
        try:
            row = driver.execute(_VERSION, (table,)).fetchone()
        except sqlite3.OperationalError:  # no config_versions table
            return None
        return None if row is None else int(row[0])

    def invalidate(self, table: str | None = None) -> None:
        with self._lock:  # not needed for correctness (the counts moved); frees memory
            self._entries.forget(table)

    def stop(self) -> None:
        pass


class NotifiedCache:
    """PostgreSQL's: entries are served while the listener is connected and until a
    notification for their table is heard (see the module's docstring)."""

    def __init__(
        self,
        url: str,
        *,
        max_age: float = 30.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._entries = _Entries(max_age, max_entries, clock)
        self._lock = threading.Lock()
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

    def lookup(
        self,
        table: str,
        key: Hashable,
        load: Callable[[], V],
        *,
        connect: Callable[[], Connection] | None = None,
    ) -> V:
        # ``load`` connects itself, only on a miss: a hit sends no statement at all.
        self.start()
        with self._lock:
            stamp = self.generation(table) if self._listening else None
            found, value = self._entries.get(table, key, stamp)
        if found:
            cached: V = value
            return cached
        loaded = load()
        if stamp is not None and loaded is not None:
            with self._lock:
                if self._listening and self.generation(table) == stamp:
                    self._entries.put(table, key, stamp, loaded)
        return loaded

    def invalidate(self, table: str | None = None) -> None:
        """Forget ``table``'s entries (every entry if ``None``) and every load in flight."""
        with self._lock:
            if table is None:
                self._epoch += 1
            else:
                self._generations[table] = self._generations.get(table, 0) + 1
            self._entries.forget(table)

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
            self._entries.forget()
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
            self._entries.forget()

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
