from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from sqlalchemy import func, select

from dealerhub import idempotency
from dealerhub.db import Database
from dealerhub.errors import IdempotencyInUse
from dealerhub.events.models import Event
from dealerhub.tenancy import Tenant
from tests import toy
from tests.conftest import assert_error


def _events(db, dealer_id: str) -> int:
    with db.transaction() as session:
        return session.scalar(
            select(func.count()).select_from(Event).where(Event.dealer_id == dealer_id)
        )


def test_replay_returns_first_response_and_does_nothing_again(toy_api, toy_dealer, db):
    headers = {"Idempotency-Key": "abc-1"}
    first = toy_api.post("/toy/widgets", json={"name": "w"}, headers=headers)
    assert first.status_code == 200
    second = toy_api.post("/toy/widgets", json={"name": "w"}, headers=headers)
    assert second.status_code == 200
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _events(db, toy_dealer.id) == 1
    # The event records the key it was made under.
    with db.transaction() as session:
        event = session.scalars(select(Event).where(Event.dealer_id == toy_dealer.id)).one()
    assert event.idempotency_key == "abc-1"
    assert event.request_id == first.headers["Request-Id"]


def test_same_parameters_in_another_key_order_replay(toy_api):
    headers = {"Idempotency-Key": "order"}
    a = toy_api.post("/toy/widgets", json={"name": "w", "amount": 5}, headers=headers)
    b = toy_api.post("/toy/widgets", json={"amount": 5, "name": "w"}, headers=headers)
    assert b.headers.get("Idempotent-Replayed") == "true"
    assert a.get_json()["id"] == b.get_json()["id"]


def test_parameter_mismatch_is_400_idempotency_error(toy_api, toy_dealer, db):
    headers = {"Idempotency-Key": "abc-2"}
    toy_api.post("/toy/widgets", json={"name": "w"}, headers=headers)
    response = toy_api.post("/toy/widgets", json={"name": "other"}, headers=headers)
    assert_error(response, 400, "idempotency_error")
    assert _events(db, toy_dealer.id) == 1


def test_keys_are_scoped_per_dealer_and_mode(toy_client, toy_api, toy_dealer):
    from tests.conftest import Api

    headers = {"Idempotency-Key": "shared"}
    a = toy_api.post("/toy/widgets", json={"name": "w"}, headers=headers).get_json()
    live = Api(toy_client, toy_dealer.live_secret_key)
    b = live.post("/toy/widgets", json={"name": "w"}, headers=headers).get_json()
    assert a["id"] != b["id"]


@pytest.mark.parametrize("key", ["", "x" * 256])
def test_key_length_is_validated(toy_api, key):
    response = toy_api.post("/toy/widgets", json={"name": "w"}, headers={"Idempotency-Key": key})
    body = assert_error(response, 400, "invalid_request_error")
    assert body["param"] == "Idempotency-Key"


def test_failed_request_releases_the_key_and_changes_nothing(toy_api, toy_dealer, db):
    headers = {"Idempotency-Key": "fails"}
    bad = toy_api.post("/toy/widgets", json={"name": "w", "fail": True}, headers=headers)
    assert_error(bad, 400, "invalid_request_error")
    assert _events(db, toy_dealer.id) == 0  # the view's writes were rolled back
    assert toy_api.get("/toy/widgets").get_json()["data"] == []
    ok = toy_api.post("/toy/widgets", json={"name": "w"}, headers={"Idempotency-Key": "fails"})
    assert ok.status_code == 200


def test_concurrent_requests_with_one_key_execute_once(toy_app, toy_dealer, db):
    toy.executions.clear()
    toy.gate["entered"], toy.gate["release"] = threading.Event(), threading.Event()
    headers = {"Authorization": f"Bearer {toy_dealer.secret_key}", "Idempotency-Key": "race"}
    results: dict[str, object] = {}

    def first() -> None:
        results["first"] = toy_app.test_client().post(
            "/toy/widgets", json={"name": "w"}, headers=headers
        )

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert toy.gate["entered"].wait(10)
        toy.gate["entered"] = None  # the second request must not wait at the gate
        second = toy_app.test_client().post("/toy/widgets", json={"name": "w"}, headers=headers)
        assert_error(second, 409, "idempotency_error", "idempotency_key_in_use")
    finally:
        toy.gate["release"].set()
        thread.join(10)
        toy.gate["entered"] = toy.gate["release"] = None
    assert results["first"].status_code == 200
    assert len(toy.executions) == 1
    third = toy_app.test_client().post("/toy/widgets", json={"name": "w"}, headers=headers)
    assert third.headers["Idempotent-Replayed"] == "true"
    assert len(toy.executions) == 1
    assert _events(db, toy_dealer.id) == 1


def _hold_in_a_child(url: str, tenant, key: str) -> int:
    """A child process that takes the in-flight lock on ``key`` the way a request does (in a
    transaction of its own database connection) and then hangs, as a request stuck at a
    gateway would. Returns its pid once the lock is held."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read)
            child_db = Database(url)
            session = child_db.session()
            idempotency.hold(session, child_db, tenant, key)
            os.write(write, b"held")
            time.sleep(60)
        finally:
            os._exit(0)
    os.close(write)
    assert os.read(read, 4) == b"held"
    os.close(read)
    return pid


def test_a_request_killed_mid_flight_frees_its_key_at_once(toy_api, toy_dealer, db):
    """The key is locked by the live request itself, so a retry after its process is killed
    runs at once (it used to get 409 until a five-minute claim went stale)."""
    tenant = Tenant(toy_dealer.id, False)
    pid = _hold_in_a_child(db.url, tenant, "dead")
    try:
        busy = toy_api.post("/toy/widgets", json={"name": "w"}, headers={"Idempotency-Key": "dead"})
        assert_error(busy, 409, "idempotency_error", "idempotency_key_in_use")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    deadline = time.monotonic() + 5  # PostgreSQL ends the dead client's session on its own
    while True:
        retry = toy_api.post(
            "/toy/widgets", json={"name": "w"}, headers={"Idempotency-Key": "dead"}
        )
        if retry.status_code != 409 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert retry.status_code == 200, retry.get_json()
    again = toy_api.post("/toy/widgets", json={"name": "w"}, headers={"Idempotency-Key": "dead"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == retry.get_json()["id"]
    assert _events(db, toy_dealer.id) == 1


def test_the_lock_is_per_key_and_ends_with_the_transaction(toy_dealer, db):
    tenant = Tenant(toy_dealer.id, False)
    first, second = db.session(), db.session()
    try:
        release = idempotency.hold(first, db, tenant, "k1")
        with pytest.raises(IdempotencyInUse):
            idempotency.hold(second, db, tenant, "k1")
        other = idempotency.hold(second, db, tenant, "k2")  # another key is free
        live = idempotency.hold(second, db, Tenant(toy_dealer.id, True), "k1")  # other mode
        first.rollback()
        release()
        second.rollback()
        other()
        live()
        third = db.session()
        try:
            idempotency.hold(third, db, tenant, "k1")()
        finally:
            third.rollback()
            third.close()
    finally:
        first.close()
        second.close()


def test_purge_removes_keys_older_than_ttl(toy_api, db):
    from unittest import mock

    from dealerhub.db import now

    with mock.patch("dealerhub.idempotency.now", return_value=now() - 25 * 3600):
        toy_api.post("/toy/widgets", json={"name": "old"}, headers={"Idempotency-Key": "old"})
    toy_api.post("/toy/widgets", json={"name": "new"}, headers={"Idempotency-Key": "new"})
    with db.transaction() as session:
        assert idempotency.purge_expired(session, 24) >= 1
        keys = set(session.scalars(select(idempotency.IdempotencyRecord.key)))
    assert "old" not in keys
    assert "new" in keys


def test_an_in_memory_database_locks_keys_within_the_process(toy_dealer):
    from types import SimpleNamespace

    memory = SimpleNamespace(is_sqlite=True, sqlite_file=None)  # what Database("sqlite://") has
    tenant = Tenant(toy_dealer.id, False)
    release = idempotency.hold(None, memory, tenant, "mem")
    with pytest.raises(IdempotencyInUse):
        idempotency.hold(None, memory, tenant, "mem")
    release()
    idempotency.hold(None, memory, tenant, "mem")()
