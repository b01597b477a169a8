"""The batch delivery pipeline: one signal per transaction, disjoint claims, batched
results, keep-alive reuse, and a worker killed in the middle of a batch."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from dealerhub.events import pipeline, sender
from dealerhub.events.delivery import Destination, SendResult
from dealerhub.events.models import DeliveryAttempt, Event, WebhookDelivery
from dealerhub.events.service import record_event
from dealerhub.events.tasks import drain_deliveries
from dealerhub.events.testing import Receiver
from dealerhub.tenancy import Tenant
from tests.events.test_delivery import make_endpoint
from tests.events.test_worker import (
    LEASE,
    setup_endpoint,
    subprocess_worker,
    thread_worker,
    wait_until,
    worker_app,  # noqa: F401 - the fixture
)


def emit_many(app: Any, dealer_id: str, count: int) -> list[str]:
    with app.extensions["db"].transaction() as session:
        tenant = Tenant(dealer_id, False)
        return [record_event(session, tenant, "customer.created", {"n": n}) for n in range(count)]


def test_one_signal_per_transaction_not_per_delivery(app, api, dealer, receiver, monkeypatch):
    make_endpoint(api, receiver.url)
    make_endpoint(api, receiver.url.replace("/hook", "/other"))
    signals: list[Any] = []
    real = drain_deliveries.apply_async
    monkeypatch.setattr(
        drain_deliveries, "apply_async", lambda *a, **k: signals.append(a) or real(*a, **k)
    )
    event_ids = emit_many(app, dealer.id, 30)
    assert len(signals) == 1  # 60 deliveries, one "work is waiting" signal
    assert receiver.wait_for(60)
    paths = sorted((r.path, r.json()["id"]) for r in receiver.requests)
    assert paths == sorted([("/hook", e) for e in event_ids] + [("/other", e) for e in event_ids])
    with app.extensions["db"].transaction() as session:
        pending = session.scalars(select(Event.pending_webhooks).where(Event.id.in_(event_ids)))
        assert set(pending) == {0}
        assert session.scalar(select(func.count()).select_from(DeliveryAttempt)) >= 60


def test_batch_reuses_keep_alive_connections(app, api, dealer, receiver, options):
    options(WEBHOOK_MAX_IN_FLIGHT="4", WEBHOOK_BATCH_SIZE="50")
    make_endpoint(api, receiver.url)
    emit_many(app, dealer.id, 100)
    assert receiver.wait_for(100)
    connections = {r.peer for r in receiver.requests}
    assert len(connections) <= 8, len(connections)  # not one connection per POST


def test_claims_are_disjoint_and_leased(app, api, dealer, receiver, monkeypatch, options):
    options(WEBHOOK_LEASE_SECONDS="600")
    make_endpoint(api, receiver.url)
    monkeypatch.setattr(drain_deliveries, "apply_async", lambda *a, **k: None)  # no worker
    emit_many(app, dealer.id, 5)
    db, settings = app.extensions["db"], app.extensions["settings"]
    with db.transaction() as session:
        first = pipeline.claim(session, settings, limit=3)
    with db.transaction() as session:
        second = pipeline.claim(session, settings, limit=3)
    with db.transaction() as session:
        third = pipeline.claim(session, settings, limit=3)
    assert len(first) == 3 and len(second) == 2 and third == []
    assert not {p.delivery_id for p in first} & {p.delivery_id for p in second}
    assert receiver.requests == []


def test_finish_writes_a_mixed_batch(app, api, dealer, receiver, monkeypatch, options):
    options(WEBHOOK_TEST_RETRY_BASE_SECONDS="60")
    make_endpoint(api, receiver.url)
    make_endpoint(api, receiver.url.replace("/hook", "/b"))
    monkeypatch.setattr(drain_deliveries, "apply_async", lambda *a, **k: None)
    (event_id,) = emit_many(app, dealer.id, 1)
    db, settings = app.extensions["db"], app.extensions["settings"]
    with db.transaction() as session:
        batch = pipeline.claim(session, settings, limit=10)
    assert len(batch) == 2
    results = [SendResult(200, 5, "ok"), SendResult(None, 10_000, None, "timeout")]
    with db.transaction() as session:
        statuses = pipeline.finish(session, settings, list(zip(batch, results, strict=True)))
    assert statuses == {"succeeded": 1, "pending": 1}
    with db.transaction() as session:
        assert session.get(Event, event_id).pending_webhooks == 1
        failed = session.get(WebhookDelivery, batch[1].delivery_id)
        assert failed.attempt_count == 1 and failed.next_attempt_at > failed.last_attempt_at
        attempts = session.scalars(
            select(DeliveryAttempt).where(
                DeliveryAttempt.delivery_id.in_([p.delivery_id for p in batch])
            )
        )
        assert sorted((a.status_code or 0, a.error or "") for a in attempts) == [
            (0, "timeout"),
            (200, ""),
        ]


def test_blocked_destination_in_a_batch_is_not_sent(app, api, dealer, monkeypatch):
    calls: list[Any] = []
    monkeypatch.setattr(sender, "post", lambda p, **_: calls.append(p) or SendResult(200, 1, ""))
    outcomes = sender.post_many(
        [_prepared("whd_a"), _prepared("whd_b")],
        max_in_flight=2,
        destination=lambda p: Destination(refused="private"),
    )
    assert calls == []
    assert [r.error for _, r in outcomes] == ["blocked: private", "blocked: private"]


def _prepared(delivery_id: str) -> Any:
    from dealerhub.events.delivery import Prepared

    return Prepared(delivery_id, "http://127.0.0.1:9/h", b"{}", {}, 1.0, False)


@pytest.mark.slow
def test_worker_killed_mid_batch_loses_nothing(worker_app):  # noqa: F811 - the fixture
    """A batch of 20 is in flight (5 answered, the rest hanging) when the worker process is
    killed: nothing of the batch was written back, every delivery is pending under its lease,
    and once the lease runs out the sweep's signal delivers every one of them."""
    killed: list[bool] = []
    settings = worker_app.extensions["settings"]
    worker_app.extensions["settings"] = settings.with_overrides(
        extra={**settings.extra, "WEBHOOK_BATCH_SIZE": "20", "WEBHOOK_MAX_IN_FLIGHT": "20"}
    )
    with Receiver(delay=lambda n: 0.0 if killed or n <= 5 else 60.0) as receiver:
        dealer, _api = setup_endpoint(worker_app, receiver)
        db = worker_app.extensions["db"]
        proc = subprocess_worker(worker_app)
        try:
            event_ids = emit_many(worker_app, dealer.id, 20)
            mine = set(event_ids)
            went_out = wait_until(lambda: mine <= set(receiver.event_ids()), 60)
            assert went_out, "the batch never went out"
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            killed.append(True)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        ours = WebhookDelivery.event_id.in_(event_ids)
        with db.transaction() as session:
            rows = list(session.scalars(select(WebhookDelivery).where(ours)))
            assert {d.status for d in rows} == {"pending"} and len(rows) == 20
            ids = [d.id for d in rows]
            logged = select(func.count()).where(DeliveryAttempt.delivery_id.in_(ids))
            assert session.scalar(logged) == 0
        with thread_worker(worker_app):
            time.sleep(LEASE + 1.1)  # the dead worker's leases run out
            from dealerhub.events.tasks import sweep_deliveries

            sweep_deliveries.delay()

            def all_delivered() -> bool:
                with db.transaction() as session:
                    statuses = set(session.scalars(select(WebhookDelivery.status).where(ours)))
                return statuses == {"succeeded"}

            assert wait_until(all_delivered, 60)
        assert mine <= set(receiver.event_ids())  # every event arrived, at least once
        with db.transaction() as session:
            pending = select(Event.pending_webhooks).where(Event.id.in_(event_ids))
            assert set(session.scalars(pending)) == {0}
            # The killed batch logged nothing; the redelivery logged one attempt each.
            assert session.scalar(logged) == 20


@pytest.mark.slow
def test_an_empty_message_file_neither_stops_the_worker_nor_loses_work(worker_app):  # noqa: F811
    """Issue 16's reproduction: an empty (still being written) message file held in the
    embedded broker's queue folder. The worker skips it, delivers the real work, stays up,
    and takes the file once it is complete."""
    broker = worker_app.extensions["settings"].broker_url
    if not broker.startswith("filesystem://"):
        pytest.skip("the embedded broker's own failure mode")
    queue_dir = Path(broker.removeprefix("filesystem://")) / "queue"
    queue = f"{worker_app.config['queue']}.webhooks"  # where drain signals go
    with Receiver() as receiver:
        dealer, _api = setup_endpoint(worker_app, receiver)
        # A whole message (a drain signal) to complete the held file with later; taken out
        # of the queue before any worker runs.
        before = set(queue_dir.iterdir())
        drain_deliveries.apply_async()
        (whole,) = set(queue_dir.iterdir()) - before
        complete = whole.read_bytes()
        whole.unlink()
        proc = subprocess_worker(worker_app)
        try:
            held = queue_dir / f"1_00000000-0000-0000-0000-000000000000.{queue}.msg"
            held.write_bytes(b"")
            (event_id,) = emit_many(worker_app, dealer.id, 1)
            assert wait_until(lambda: event_id in receiver.event_ids(), 60)
            time.sleep(3)  # the file stays empty for 3 s, polled all along
            assert proc.poll() is None, "the worker died on the empty file"
            assert held.exists()
            # Its writer finishes: the worker consumes it (well before the 30 s quarantine).
            held.write_bytes(complete)
            assert wait_until(lambda: not held.exists(), 20)
            assert not (queue_dir.parent / "corrupt").exists()
            assert proc.poll() is None
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.mark.slow
def test_broker_files_corrupted_under_load_lose_nothing(worker_app):  # noqa: F811 - the fixture
    """While 200 events go out, a saboteur damages the embedded broker's message files as a
    disk fault or a careless operator would: truncates real ones half-way, empties them,
    fills them with garbage, and drops foreign junk files among them. The worker stays up
    throughout, and the sweep's signals deliver every event the damaged signals left behind:
    every delivery succeeded, every event reached the receiver (at least once)."""
    broker = worker_app.extensions["settings"].broker_url
    if not broker.startswith("filesystem://"):
        pytest.skip("the embedded broker's own failure mode")
    queue_dir = Path(broker.removeprefix("filesystem://")) / "queue"
    queue = f"{worker_app.config['queue']}.webhooks"
    damaged: list[str] = []  # what was done to the hub's own message files
    junk_names: set[str] = set()
    stop = threading.Event()

    def saboteur() -> None:
        rng = random.Random(16)
        while not stop.is_set():
            ours = [
                p for p in queue_dir.glob("*.msg") if p.name[0] != "." and p.name not in junk_names
            ]
            for path in ours:
                try:
                    data = path.read_bytes()
                    how = rng.choice(("truncate", "empty", "garbage"))
                    path.write_bytes(
                        {"truncate": data[: len(data) // 2], "empty": b"", "garbage": b"\x00{["}[
                            how
                        ]
                    )
                    damaged.append(how)
                except FileNotFoundError:  # the worker took it first
                    continue
            junk = queue_dir / f"{int(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
            junk.write_bytes(b'{"body": "not base64", "properties": ')
            junk_names.add(junk.name)
            time.sleep(0.01)

    with Receiver() as receiver:
        dealer, _api = setup_endpoint(worker_app, receiver)
        db = worker_app.extensions["db"]
        proc = subprocess_worker(worker_app)
        vandal = threading.Thread(target=saboteur)
        vandal.start()
        try:
            event_ids: list[str] = []
            for _ in range(40):  # 40 transactions of 5 events: 40 drain signals
                event_ids += emit_many(worker_app, dealer.id, 5)
                time.sleep(0.05)
            time.sleep(1)
            stop.set()
            vandal.join(10)
            assert proc.poll() is None, "the worker died on a damaged file"
            assert len(damaged) >= 5, damaged  # the hub's own signals were hit, not just junk
            from dealerhub.events.tasks import sweep_deliveries

            ours = WebhookDelivery.event_id.in_(event_ids)

            def all_delivered() -> bool:
                sweep_deliveries.delay()  # the periodic sweep, sooner
                with db.transaction() as session:
                    statuses = set(session.scalars(select(WebhookDelivery.status).where(ours)))
                return statuses == {"succeeded"}

            assert wait_until(all_delivered, 90)
            assert proc.poll() is None
        finally:
            stop.set()
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
    assert set(event_ids) <= set(receiver.event_ids())
    with db.transaction() as session:
        pending = select(Event.pending_webhooks).where(Event.id.in_(event_ids))
        assert set(session.scalars(pending)) == {0}
