"""The per-process caches of API keys and webhook endpoints, never serving what a change made
since, whoever made it: on PostgreSQL served only while the listener hears the database's
notifications; on SQLite only at the change count the entry was stored at."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from dealerhub.configcache import APPLICATION_NAME, NotifiedCache, VersionedCache
from dealerhub.db import make_engine
from dealerhub.dealers.service import roll_keys
from tests.conftest import PG_URL, config_cached, make_dealer, wait_until

pg_only = pytest.mark.skipif(not PG_URL, reason="PostgreSQL's NOTIFY keeps this cache true")
sqlite_only = pytest.mark.skipif(bool(PG_URL), reason="SQLite's change counts keep this one true")


class Loads:
    """A ``load`` that counts its calls and returns ``value``."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        return self.value


@pytest.fixture
def url(base_settings: Any) -> str:
    """The test database, migrated (its triggers exist)."""
    return str(base_settings.database_url)


@pytest.fixture
def cache(url: str) -> Iterator[NotifiedCache]:
    cache = NotifiedCache(url)
    cache.start()
    assert wait_until(lambda: cache.listening)
    yield cache
    cache.stop()


@pytest.fixture
def sql(url: str) -> Iterator[Any]:
    """Runs SQL on a connection of its own, committed at once (another process, in effect)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")

    def run(statement: str) -> None:
        with engine.connect() as conn:
            conn.execute(text(statement))

    yield run
    engine.dispose()


def _notified(cache: NotifiedCache, table: str, key: str, statement: str, sql: Any) -> bool:
    """Whether ``statement`` empties ``table``'s entry ``key`` (probed with a fresh load)."""
    sql(statement)
    return wait_until(lambda: cache.lookup(table, key, Loads("after")) == "after", timeout=5)


@pg_only
def test_served_from_memory_while_listening_and_until_a_change(cache: NotifiedCache, sql):
    load = Loads("identity")
    assert [cache.lookup("api_keys", "h1", load) for _ in range(3)] == ["identity"] * 3
    assert load.calls == 1
    # Any change to the table, by anyone (here a plain UPDATE on another connection that
    # matches no row), empties its entries; the other table's stay.
    cache.lookup("webhook_endpoints", "t1", Loads("endpoints"))
    assert _notified(cache, "api_keys", "h1", "UPDATE api_keys SET last4 = last4 WHERE false", sql)
    assert cache.lookup("webhook_endpoints", "t1", Loads("reloaded")) == "endpoints"
    assert _notified(
        cache, "webhook_endpoints", "t1", "DELETE FROM webhook_endpoints WHERE false", sql
    )


@pg_only
def test_nothing_is_kept_that_was_read_before_a_change(cache: NotifiedCache, sql):
    seen = threading.Event()

    def load_then_change() -> str:
        # The database changes while this load is in flight: its answer may be the old one.
        sql("UPDATE api_keys SET last4 = last4 WHERE false")
        before = cache.generation("api_keys")
        seen.set()
        wait_until(lambda: cache.generation("api_keys") != before, timeout=5)  # heard
        return "old"

    assert cache.lookup("api_keys", "h2", load_then_change) == "old"
    assert seen.is_set()
    fresh = Loads("new")
    assert cache.lookup("api_keys", "h2", fresh) == "new" and fresh.calls == 1


@pg_only
def test_unknown_answers_and_old_entries_are_read_again(url: str):
    now = [1000.0]
    cache = NotifiedCache(url, max_age=30, clock=lambda: now[0])
    try:
        cache.start()
        assert wait_until(lambda: cache.listening)
        missing = Loads(None)
        cache.lookup("api_keys", "unknown", missing)
        cache.lookup("api_keys", "unknown", missing)
        assert missing.calls == 2  # a key created a moment later must work at once
        load = Loads("identity")
        cache.lookup("api_keys", "h3", load)
        now[0] += 29
        cache.lookup("api_keys", "h3", load)
        now[0] += 2
        cache.lookup("api_keys", "h3", load)
        assert load.calls == 2
    finally:
        cache.stop()


@pg_only
def test_without_its_listener_the_cache_serves_nothing_until_it_is_back(cache: NotifiedCache, sql):
    load = Loads("identity")
    cache.lookup("api_keys", "h4", load)
    sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE application_name = '{APPLICATION_NAME}'"
    )
    assert wait_until(lambda: not cache.listening, timeout=5)
    cache.lookup("api_keys", "h4", load)
    assert load.calls == 2  # the entry went with the listener
    assert wait_until(lambda: cache.listening, timeout=10)  # it reconnects by itself
    cache.lookup("api_keys", "h4", load)
    cache.lookup("api_keys", "h4", load)
    assert load.calls == 3


def test_a_rolled_key_is_refused_by_the_next_request_of_the_process(app, db, client):
    dealer = make_dealer(app)
    old = {"Authorization": f"Bearer {dealer.secret_key}"}
    assert config_cached(db)
    assert client.get("/payment/customers", headers=old).status_code == 200
    assert client.get("/payment/customers", headers=old).status_code == 200  # now cached
    with db.transaction() as s:
        new = roll_keys(session=s, dealer_id=dealer.id, livemode=False)
    # PostgreSQL: the process that made the change forgets at its commit, others as the
    # notification lands. SQLite: the change moved the count the entry was stored at.
    assert client.get("/payment/customers", headers=old).status_code == 401
    fresh = {"Authorization": f"Bearer {new.secret_key}"}
    assert client.get("/payment/customers", headers=fresh).status_code == 200


@pg_only
def test_without_its_triggers_the_cache_never_serves(url: str, sql):
    sql("ALTER TRIGGER webhook_endpoints_config_changed ON webhook_endpoints RENAME TO off")
    cache = NotifiedCache(url)
    try:
        cache.start()
        load = Loads("identity")
        for _ in range(3):
            cache.lookup("api_keys", "h5", load)
        assert not wait_until(lambda: cache.listening, timeout=1.5)
        assert load.calls == 3
    finally:
        cache.stop()
        sql("ALTER TRIGGER off ON webhook_endpoints RENAME TO webhook_endpoints_config_changed")


@pytest.fixture
def sqlite_file(db: Any) -> str:
    assert db.sqlite_file
    return str(db.sqlite_file)


def _hand_typed(sqlite_file: str, statement: str) -> None:
    """Runs ``statement`` on a plain sqlite3 connection of its own (another program)."""
    conn = sqlite3.connect(sqlite_file, isolation_level=None)
    try:
        conn.execute(statement)
    finally:
        conn.close()


@sqlite_only
def test_sqlite_serves_an_entry_until_its_table_changes(app, db, sqlite_file):
    make_dealer(app)  # a key row to change
    cache = VersionedCache()
    with db.engine.connect() as conn:
        load = Loads("identity")
        assert [cache.lookup("api_keys", "h1", load, connect=lambda: conn) for _ in range(3)] == [
            "identity"
        ] * 3
        assert load.calls == 1
        cache.lookup("webhook_endpoints", "t1", Loads("endpoints"), connect=lambda: conn)
        # A statement that changes no row changes nothing.
        _hand_typed(sqlite_file, "UPDATE api_keys SET last4 = last4 WHERE 0")
        assert cache.lookup("api_keys", "h1", Loads("after"), connect=lambda: conn) == "identity"
        _hand_typed(sqlite_file, "UPDATE api_keys SET last4 = last4 WHERE rowid = 1")
        assert cache.lookup("api_keys", "h1", Loads("after"), connect=lambda: conn) == "after"
        # The other table's entries stay.
        kept = cache.lookup("webhook_endpoints", "t1", Loads("reloaded"), connect=lambda: conn)
        assert kept == "endpoints"


@sqlite_only
def test_sqlite_keeps_nothing_under_the_count_read_before_a_change(app, db, sqlite_file):
    make_dealer(app)
    cache = VersionedCache()

    def load_then_change() -> str:
        # The table changes between the count and the load: the answer may be the new one,
        # stored under the old count, which no later lookup will find again.
        _hand_typed(sqlite_file, "UPDATE api_keys SET last4 = last4 WHERE rowid = 1")
        return "loaded"

    with db.engine.connect() as conn:
        assert cache.lookup("api_keys", "h2", load_then_change, connect=lambda: conn) == "loaded"
        fresh = Loads("new")
        assert cache.lookup("api_keys", "h2", fresh, connect=lambda: conn) == "new"
        assert cache.lookup("api_keys", "h2", fresh, connect=lambda: conn) == "new"
        assert fresh.calls == 1


@sqlite_only
def test_sqlite_reads_unknown_answers_and_old_entries_again(db):
    now = [1000.0]
    cache = VersionedCache(max_age=30, clock=lambda: now[0])
    with db.engine.connect() as conn:
        missing = Loads(None)
        cache.lookup("api_keys", "unknown", missing, connect=lambda: conn)
        cache.lookup("api_keys", "unknown", missing, connect=lambda: conn)
        assert missing.calls == 2  # a key created a moment later must work at once
        load = Loads("identity")
        cache.lookup("api_keys", "h3", load, connect=lambda: conn)
        now[0] += 29
        cache.lookup("api_keys", "h3", load, connect=lambda: conn)
        now[0] += 2
        cache.lookup("api_keys", "h3", load, connect=lambda: conn)
        assert load.calls == 2


@sqlite_only
def test_sqlite_without_its_counts_the_cache_never_serves(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'not-upgraded.sqlite3'}")
    cache = VersionedCache()
    try:
        with engine.connect() as conn:
            load = Loads("identity")
            for _ in range(3):
                cache.lookup("api_keys", "h5", load, connect=lambda: conn)
            assert load.calls == 3
    finally:
        engine.dispose()
