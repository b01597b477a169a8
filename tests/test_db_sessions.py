"""Session hooks (after-commit callbacks, the outbox, the commit's INSERTs) listen on the
sessions of each ``Database``, through its sessionmakers, and leave every other SQLAlchemy
session alone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dealerhub.db import Database, after_commit, new_id, pipelined_inserts, session_listener
from dealerhub.dealers.models import Dealer
from tests.conftest import config_cached


def test_after_commit_callbacks_run_on_commit_and_are_dropped_on_rollback(db: Any):
    ran: list[str] = []
    for write in (True, False):
        with db.transaction(write=write) as s:
            after_commit(s, lambda w=write: ran.append(f"committed {w}"))
    s = db.session()
    s.connection()
    after_commit(s, lambda: ran.append("rolled back"))
    s.rollback()
    s.connection()
    s.commit()
    s.close()
    assert ran == ["committed True", "committed False"]


def test_sessions_of_other_sessionmakers_get_no_hooks(db: Any):
    ran: list[str] = []
    with Session(db.engine) as s:
        after_commit(s, lambda: ran.append("x"))
        s.connection()
        s.commit()
    assert ran == []


def test_a_listener_reaches_databases_made_before_and_after_it(database_url: str):
    seen: list[str] = []
    early = Database(database_url)
    try:

        @session_listener("after_begin")
        def _begun(session: Any, _transaction: Any, _conn: Any) -> None:
            if session.info.get("test_db_sessions"):
                seen.append(session.info["test_db_sessions"])

        late = Database(database_url)
        try:
            for name, database in (("early", early), ("late", late)):
                with database.transaction(write=False) as s:
                    s.info["test_db_sessions"] = name
                    s.connection()
        finally:
            late.dispose()
    finally:
        early.dispose()
    assert seen == ["early", "late"]


def test_the_sqlite_database_and_its_wal_are_readable_by_their_owner_only(tmp_path):
    import os
    import stat

    from sqlalchemy import text

    from dealerhub.db import make_engine

    path = tmp_path / "leads.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    for name in ("leads.sqlite3", "leads.sqlite3-wal", "leads.sqlite3-shm"):
        mode = stat.S_IMODE(os.stat(tmp_path / name).st_mode)
        assert mode == 0o600, (name, oct(mode))
    engine.dispose()
    os.chmod(path, 0o644)  # an older, wider file is narrowed when the hub opens it
    make_engine(f"sqlite:///{path}").dispose()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_sqlite_write_transactions_of_a_process_take_turns_on_one_connection(tmp_path: Any):
    """SQLite has one write lock: a process's write sessions share one connection (its page
    cache stays warm), and after-commit callbacks run once it is back in its pool, so one
    that writes (a task run eagerly) does not wait for it."""
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        connections: list[Any] = []
        checked_out: list[int] = []
        for _ in range(2):
            with db.transaction() as s:
                s.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
                connections.append(s.connection().connection.dbapi_connection)
                after_commit(s, lambda: checked_out.append(db.write_engine.pool.checkedout()))
        assert connections[0] is connections[1]
        assert checked_out == [0, 0]
        assert db.write_engine is not db.engine
    finally:
        db.dispose()


def test_a_payment_commits_its_rows_and_events_after_the_endpoint_query(api, db, statements):
    body = {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    cached = config_cached(db)
    if cached:  # PostgreSQL: the key and the endpoints come from the process's cache
        assert api.post("/payment/payment-intents", json=body).status_code == 200
    del statements[:]
    r = api.post("/payment/payment-intents", json=body)
    assert r.status_code == 200, r.get_json()
    # Every query first, then the INSERTs of the new rows and of the outbox together: on
    # PostgreSQL they travel in one round trip (pipelined_inserts), with the BEGIN.
    queries = [] if cached else ["SELECT api_keys.id", "SELECT webhook_endpoints.id"]
    assert [
        q.split(" (")[0].split(",")[0] for q in statements if q[:6] in ("SELECT", "INSERT")
    ] == [
        *queries,
        "INSERT INTO payment_methods",
        "INSERT INTO payment_intents",
        "INSERT INTO charges",
        "INSERT INTO events",
    ]


def test_pipelined_inserts_fail_as_sqlalchemy_errors_and_write_nothing(db: Any):
    dealer_id = new_id("dlr")
    dealers = Dealer.__table__  # type: ignore[attr-defined]
    row = {"id": dealer_id, "name": "Pipe Motors", "created": 1}
    returned = []

    def insert_twice() -> None:
        with db.transaction() as s, pipelined_inserts(s.connection()) as run:
            run(insert(dealers), row)
            run(insert(dealers), row)  # the same id again
            returned.append(True)

    with pytest.raises(IntegrityError):
        insert_twice()
    # With psycopg the duplicate's error arrives as the block ends, with every answer; one
    # statement at a time (SQLite), at the statement itself.
    assert returned == ([True] if db.engine.dialect.driver == "psycopg" else [])
    with db.transaction(write=False) as s:
        assert s.scalars(select(Dealer).where(Dealer.id == dealer_id)).first() is None


def test_pipelined_inserts_refuse_a_statement_that_returns_rows(db: Any):
    dealers = Dealer.__table__  # type: ignore[attr-defined]
    returning = insert(dealers).returning(dealers.c.id)
    with db.transaction() as s, pipelined_inserts(s.connection()) as run:
        refused = pytest.raises(ValueError, match="without RETURNING")
        with refused:
            run(returning, {"id": new_id("dlr"), "name": "Returning Motors"})
