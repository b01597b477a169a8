"""Session hooks (after-commit callbacks, the outbox) listen on the sessions of each
``Database``, through its sessionmakers, and leave every other SQLAlchemy session alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from dealerhub.db import Database, after_commit, session_listener


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
