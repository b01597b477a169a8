"""Pooled connections are pinged only after sitting idle; a dead one is replaced unseen."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text

from dealerhub import db as dbmod
from dealerhub.db import make_engine


def _pings(engine: Any) -> list[str]:
    seen: list[str] = []
    dialect = engine.dialect
    original = dialect.do_ping

    def counting(dbapi_conn: Any) -> bool:
        seen.append("ping")
        return bool(original(dbapi_conn))

    dialect.do_ping = counting
    return seen


def test_busy_connections_are_not_pinged(database_url: str) -> None:
    engine = make_engine(database_url)
    pings = _pings(engine)
    for _ in range(5):
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    assert pings == []
    engine.dispose()


def test_idle_dead_connection_is_replaced(database_url: str, monkeypatch: Any) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs a server whose backend can be killed")
    monkeypatch.setattr(dbmod, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine = make_engine(database_url)
    pings = _pings(engine)
    with engine.connect() as conn:
        victim = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = make_engine(database_url)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": victim})
        conn.commit()
    admin.dispose()
    connects: list[Any] = []
    event.listen(engine, "connect", lambda *a: connects.append(a))
    with engine.connect() as conn:  # the killed connection fails its ping and is replaced
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != victim
    assert pings and len(connects) == 1
    engine.dispose()


def test_sqlite_write_request_checks_its_key_without_a_transaction(app, api, db) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite's single write lock only")
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        seen.append(statement.split()[0] + " " + statement.split()[1])

    for engine in db.engines:
        event.listen(engine, "before_cursor_execute", listen)
    try:
        assert api.post("/payment/customers", json={"name": "Ada"}).status_code == 200
    finally:
        for engine in db.engines:
            event.remove(engine, "before_cursor_execute", listen)
    # One autocommit SELECT for the key, then the write transaction: no BEGIN DEFERRED and
    # no write lock held while the key is checked.
    assert seen[0].startswith("SELECT") and seen[1] == "BEGIN IMMEDIATE"
    assert "BEGIN DEFERRED" not in seen
