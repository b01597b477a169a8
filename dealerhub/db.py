"""Engine, sessions, the common columns, after-commit hooks and the INSERTs run at commit.

Session event listeners (the after-commit hooks here, the outbox's) are attached to the
sessionmakers of each :class:`Database` through :func:`session_listener`, never to SQLAlchemy's
``Session`` class: sessions made elsewhere (another library's, a test's own) are left alone.

SQLite and PostgreSQL run the same code. On SQLite, write transactions start with
``BEGIN IMMEDIATE`` so that "lock the row, check, update" sequences are serialised the way
``SELECT … FOR UPDATE`` serialises them on PostgreSQL.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    Insert,
    MetaData,
    create_engine,
    event,
    exc,
    select,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlmodel import Field, SQLModel

from dealerhub import configcache, fastjson, rows, wal
from dealerhub.configcache import ConfigCache
from dealerhub.rows import InsertRunner, Row

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
_AFTER_COMMIT = "dealerhub_after_commit"
_AFTER_ROLLBACK = "dealerhub_after_rollback"
_COMMITTED = "dealerhub_committed"  # after-commit callbacks of a commit, run as it ends
CONFIG_CACHE = "dealerhub_config_cache"  # Session.info: the database's ConfigCache


_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, digit = divmod(n, 36)
        out.append(_B36[digit])
    return "".join(reversed(out))


_id_lock = threading.Lock()
_last_ms = 0


def new_id(prefix: str) -> str:
    """``<prefix>_`` + 24 characters: 9 of millisecond time, 15 random.

    The time part is fixed-width lower-case base 36, which sorts the same under every
    collation, so "newest first" lists ordered by ``(created, id)`` keep the order in which
    objects were made even within one second. Within a process the stamp never repeats or
    goes back (a second id in the same millisecond takes the next one), so two objects one
    request makes in the same millisecond still sort in the order they were made.
    """
    global _last_ms
    with _id_lock:
        ms = max(time.time_ns() // 1_000_000, _last_ms + 1)
        _last_ms = ms
    stamp = _base36(ms, 9)
    rand = secrets.token_urlsafe(12)[:15].replace("-", "A").replace("_", "z")
    return f"{prefix}_{stamp}{rand}"


def now() -> int:
    """Unix seconds; the only clock object rows use (tests freeze it by patching here)."""
    return int(time.time())


def _created() -> int:
    # Looked up at call time so tests can freeze the clock by patching ``dealerhub.db.now``.
    return now()


class TenantMixin(Row):
    """Columns every dealer-owned object has: dealer, mode and creation time."""

    dealer_id: str = Field(index=True, max_length=40)
    livemode: bool = Field(default=False)
    created: int = Field(default_factory=_created, index=True)


def metadata_column() -> Any:
    """``metadata`` is reserved by SQLModel, so models map ``metadata_`` to a JSON column."""
    return Field(default_factory=dict, sa_column=Column("metadata", JSON, nullable=False))


def make_engine(
    url: str, *, pool_size: int = 20, max_overflow: int = 20, pool_timeout: float | None = 30
) -> Engine:
    """An engine tuned for the URL's dialect (WAL + busy timeout on SQLite), with a pool of
    ``pool_size`` connections plus ``max_overflow`` (``pool_timeout`` ``None``: wait for one
    as long as it takes)."""
    common: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_timeout": pool_timeout,
        "json_serializer": fastjson.dumps,
        "json_deserializer": fastjson.loads,
    }
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **common
        )

        db_file = _sqlite_path(url)
        checkpointer = wal.attach(engine, db_file) if db_file else None

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit BEGIN cannot be IMMEDIATE).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            if checkpointer is not None:  # checkpoints run beside requests, not in them
                cur.execute(f"PRAGMA wal_autocheckpoint={wal.AUTOCHECKPOINT_PAGES}")
            cur.close()

        # SQLite's busy handler sleeps in growing steps (up to 100 ms) while another writer
        # holds the lock, which turns contention into long tail latencies. Writers therefore
        # queue on an flock() of a lock file next to the database first: the kernel wakes the
        # next writer the moment the lock is free, across threads and processes alike, and a
        # crashed process's lock is released with its file descriptors.
        lock_path = f"{db_file}.writelock" if db_file else None
        if db_file:
            _owner_only(db_file)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            if mode == "NONE":
                return  # a single read: SQLite runs each statement in its own transaction
            if mode == "IMMEDIATE" and checkpointer is not None:
                checkpointer.ensure_running()  # a process that writes checkpoints too
            if mode == "IMMEDIATE" and lock_path:
                fd = conn.info.get("dealerhub_lock_fd")
                if fd is None:
                    fd = conn.info["dealerhub_lock_fd"] = os.open(
                        lock_path, os.O_RDWR | os.O_CREAT, 0o600
                    )
                fcntl.flock(fd, fcntl.LOCK_EX)  # blocks without holding the GIL
                conn.info["dealerhub_locked"] = True
            try:
                conn.exec_driver_sql(f"BEGIN {mode}")
            except BaseException:
                _release(conn)
                raise

        def _release(conn: Any) -> None:
            if conn.info.pop("dealerhub_locked", False):
                fcntl.flock(conn.info["dealerhub_lock_fd"], fcntl.LOCK_UN)

        def _end_then_release(verb: str) -> Callable[[Any], None]:
            # These events fire just before SQLAlchemy's own COMMIT/ROLLBACK. Ending the
            # transaction here, and only then releasing the lock, means the next writer never
            # finds SQLite's lock still held by a COMMIT in progress (its busy handler would
            # sleep a millisecond or more, holding up every writer queued behind it).
            # pysqlite's own commit()/rollback() that follow are no-ops outside a transaction.
            def end(conn: Any) -> None:
                if not conn.info.get("dealerhub_locked"):
                    return
                try:
                    if conn.connection.dbapi_connection.in_transaction:
                        conn.connection.dbapi_connection.execute(verb)
                finally:
                    _release(conn)

            return end

        event.listen(engine, "commit", _end_then_release("COMMIT"))
        event.listen(engine, "rollback", _end_then_release("ROLLBACK"))

        @event.listens_for(engine, "close")
        def _close_lock_fd(_dbapi_conn: Any, record: Any) -> None:
            fd = record.info.pop("dealerhub_lock_fd", None)
            if fd is not None:
                os.close(fd)

        return engine
    engine = create_engine(url, **common)
    _ping_idle_connections(engine)
    return engine


# A pooled connection that was in use this recently is known to be alive; pinging it on every
# checkout (``pool_pre_ping``) would add a round trip to every request of a busy server.
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_idle_connections(engine: Engine) -> None:
    """Pessimistic disconnect handling for connections that sat idle in the pool: one that
    fails its ping is discarded and the pool hands out a fresh one (a database restart costs
    no request), while connections of a busy pool go out without the extra round trip."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["dealerhub_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("dealerhub_idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:
            # The pool retries the checkout with a new connection.
            raise exc.DisconnectionError("stale pooled connection")


def _owner_only(db_file: str) -> None:
    """The database holds leads' contact data: readable by its owner only. SQLite gives its
    -wal and -shm files the database file's mode, so creating the (empty, valid) file here
    with 0600, or narrowing an existing one, covers all three."""
    try:
        fd = os.open(db_file, os.O_WRONLY | os.O_CREAT, 0o600)
    except FileNotFoundError:  # its directory does not exist yet: SQLite will say so
        return
    os.close(fd)
    if os.stat(db_file).st_mode & 0o077:
        os.chmod(db_file, 0o600)


def _sqlite_path(url: str) -> str | None:
    """The database file of a SQLite URL (``None`` for in-memory databases)."""
    path = url.split(":///", 1)[1] if ":///" in url else ""
    return None if path in ("", ":memory:") else path


class Database:
    """Owns the engine and hands out sessions; one per app (``app.extensions['db']``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = url.startswith("sqlite")
        self.sqlite_file = _sqlite_path(url) if self.is_sqlite else None
        # Write sessions' engine. A SQLite file has one write lock, so a process's write
        # transactions take turns anyway: they take turns on one connection of their own.
        # A connection drops its page cache whenever another connection commits; with one
        # writer per process the B-tree pages a write touches are usually still cached
        # (CPU per create+confirm under load: 2.3-2.7 ms with a writer per thread, 1.9-2.2
        # ms with one per process; docs/benchmarks.md).
        self.write_engine = (
            # It waits for its connection as long as it would wait for the lock (no timeout).
            make_engine(url, pool_size=1, max_overflow=0, pool_timeout=None)
            if self.sqlite_file
            else self.engine
        )
        write_bind = (
            self.write_engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.write_engine
        )
        # Keys and endpoints, cached per process and kept true by the database.
        self.config_cache: ConfigCache = configcache.for_url(url)
        info = {CONFIG_CACHE: self.config_cache}
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False, info=info)
        self._write = sessionmaker(bind=write_bind, expire_on_commit=False, info=info)
        for identifier, fn in _SESSION_LISTENERS:
            self.listen(identifier, fn)
        _DATABASES.add(self)

    def listen(self, identifier: str, fn: Callable[..., Any]) -> None:
        """Attach a session event listener to this database's sessions."""
        for factory in (self._read, self._write):
            event.listen(factory, identifier, fn)

    def session(self, *, write: bool = True) -> Session:
        return (self._write if write else self._read)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session that commits on success, rolls back on error, and always closes."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @property
    def engines(self) -> tuple[Engine, ...]:
        """The engine of reads and, if it has one of its own, that of write sessions."""
        return (
            (self.engine,) if self.write_engine is self.engine else (self.engine, self.write_engine)
        )

    def dispose(self) -> None:
        self.config_cache.stop()
        for engine in self.engines:
            wal.stop(engine)
            engine.dispose()


def lock(session: Session, model: type[T], object_id: str) -> T | None:
    """Load one row under ``SELECT … FOR UPDATE`` (a no-op on SQLite, whose write
    transactions are already exclusive)."""
    pk = model.id  # type: ignore[attr-defined]
    return session.scalars(select(model).where(pk == object_id).with_for_update()).first()


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's current transaction commits; drop it on rollback."""
    callbacks: list[Callable[[], None]] = session.info.setdefault(_AFTER_COMMIT, [])
    callbacks.append(callback)


def after_rollback(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` if the session's current transaction rolls back; drop it on commit
    (undoing what was done outside the database, such as a file written for a new row)."""
    callbacks: list[Callable[[], None]] = session.info.setdefault(_AFTER_ROLLBACK, [])
    callbacks.append(callback)


# Called as a transaction commits: may query, and returns what runs its INSERTs, or None.
CommitInserts = Callable[[Session], Callable[[InsertRunner], None] | None]
_COMMIT_INSERTS: list[CommitInserts] = [rows.commit_inserts]


def register_commit_inserts(prepare: CommitInserts) -> CommitInserts:
    """Decorator: as each transaction of a :class:`Database`'s sessions commits (before its
    final flush, and as each savepoint is released), ``prepare(session)`` may query and
    returns what runs its INSERTs, or ``None``. The INSERTs of every ``prepare`` run after
    all of them, together (:func:`pipelined_inserts`): a payment's new rows and its events
    reach PostgreSQL in one round trip."""
    _COMMIT_INSERTS.append(prepare)
    return prepare


@contextmanager
def pipelined_inserts(conn: Connection) -> Iterator[InsertRunner]:
    """A runner of INSERTs on ``conn``. With psycopg (PostgreSQL) they run in its pipeline
    mode: sent without waiting for one another, all answered in one round trip as the block
    ends, where an error of any of them is raised as SQLAlchemy's ``DBAPIError`` (an
    ``IntegrityError`` stays one). Elsewhere each runs as it is given.

    Only INSERTs without RETURNING may run: a pipelined statement's result arrives as the
    block ends, and SQLAlchemy, asking at once, would take a query's rows for none."""

    def run(statement: Insert, params: Any) -> object:
        if statement.exported_columns:
            raise ValueError("pipelined_inserts runs INSERTs without RETURNING only")
        return conn.execute(statement, params)

    dbapi, driver = conn.dialect.loaded_dbapi, conn.connection.driver_connection
    if conn.dialect.driver != "psycopg" or driver is None or not dbapi.Pipeline.is_supported():
        yield run
        return
    try:
        with driver.pipeline():
            yield run
    except dbapi.Error as error:
        raise exc.DBAPIError.instance(None, None, error, dbapi.Error) from error


# Session event listeners every Database attaches to its sessionmakers, and the databases made
# so far (a listener registered after a Database exists is attached to it too).
_SESSION_LISTENERS: list[tuple[str, Callable[..., Any]]] = []
_DATABASES: weakref.WeakSet[Database] = weakref.WeakSet()


def session_listener(identifier: str) -> Callable[[F], F]:
    """Decorator: listen for the :class:`~sqlalchemy.orm.SessionEvents` event ``identifier``
    on the sessions of every :class:`Database` (``event.listen`` on its sessionmakers)."""

    def register(fn: F) -> F:
        _SESSION_LISTENERS.append((identifier, fn))
        for database in list(_DATABASES):
            database.listen(identifier, fn)
        return fn

    return register


@session_listener("after_flush")
def _note_config_changes(session: Session, _flush_context: Any) -> None:
    # The process that changes a key or an endpoint forgets its cached copies as it commits,
    # rather than when PostgreSQL's notification reaches its listener a moment later (on
    # SQLite the change's count already turned them away; this frees their memory).
    cache: ConfigCache | None = session.info.get(CONFIG_CACHE)
    if cache is None:
        return
    flushed = (*session.new, *session.dirty, *session.deleted)
    for table in {getattr(obj, "__tablename__", None) for obj in flushed} & configcache.TABLES:
        after_commit(session, partial(cache.invalidate, table))


@session_listener("after_commit")
def _committed(session: Session) -> None:
    session.info.pop(_AFTER_ROLLBACK, None)
    callbacks = session.info.pop(_AFTER_COMMIT, None)
    if callbacks:
        session.info.setdefault(_COMMITTED, []).extend(callbacks)


@session_listener("after_transaction_end")
def _run_after_commit(session: Session, _transaction: Any) -> None:
    # Once the committed transaction has handed its connection back: a callback that writes
    # (a task run eagerly) needs a connection, and SQLite's writer pool has just the one.
    for callback in session.info.pop(_COMMITTED, ()):
        callback()


@session_listener("before_commit")
def _insert_at_commit(session: Session) -> None:
    writes = [write for prepare in _COMMIT_INSERTS if (write := prepare(session)) is not None]
    if writes:
        with pipelined_inserts(session.connection()) as run:
            for write in writes:
                write(run)


@session_listener("after_soft_rollback")
def _drop_after_commit(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    if previous_transaction.nested or previous_transaction.parent is not None:
        return  # a savepoint: the outer transaction may still commit
    rows.forget_at_commit(session)
    for callback in session.info.pop(_AFTER_ROLLBACK, []):
        callback()
