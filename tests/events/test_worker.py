"""Real workers: a Celery worker thread and a worker subprocess on the embedded filesystem
broker, and on Redis when DEALERHUB_TEST_BROKER_URL is set."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import select

from dealerhub.app import create_app
from dealerhub.events.models import WebhookDelivery
from dealerhub.events.tasks import deliver, drain_deliveries, sweep_deliveries
from dealerhub.events.testing import Receiver
from dealerhub.tasks import celery, drop_connections
from tests.conftest import BROKER_URL, Api, bind_tasks_to, make_dealer, wait_until
from tests.events.conftest import emit

pytestmark = pytest.mark.slow

LEASE = 2


def brokers() -> list[Any]:
    params: list[Any] = ["filesystem"]
    params.append(
        pytest.param(
            "redis",
            marks=pytest.mark.skipif(not BROKER_URL, reason="DEALERHUB_TEST_BROKER_URL not set"),
        )
    )
    return params


@pytest.fixture(params=brokers())
def worker_app(request, app, base_settings, tmp_path) -> Iterator[Any]:
    """An app that really uses a broker (not eager), with a short lease and its own queue."""
    queue = f"dh-test-{uuid.uuid4().hex[:10]}"
    broker = BROKER_URL if request.param == "redis" else f"filesystem://{tmp_path / 'broker'}"
    settings = base_settings.with_overrides(
        tasks_eager=False,
        broker_url=broker,
        extra={"WEBHOOK_LEASE_SECONDS": str(LEASE), "TASK_QUEUE": queue},
    )
    reset_broker_pools()
    worker = create_app(settings)
    worker.config["queue"] = queue
    # Both queues: the default one (sweeps) and the webhook one (deliveries).
    worker.config["queues"] = [queue, f"{queue}.webhooks"]
    yield worker
    worker.extensions["db"].dispose()
    reset_broker_pools()
    bind_tasks_to(app)


def reset_broker_pools() -> None:
    """Celery caches broker connections and producers; a new broker URL needs fresh ones."""
    drop_connections()


def delivery_of(db: Any, event_id: str) -> WebhookDelivery:
    with db.transaction() as session:
        return session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.event_id == event_id)
        ).one()


def thread_worker(worker_app: Any) -> Any:
    return start_worker(
        celery,
        perform_ping_check=False,
        shutdown_timeout=15,
        loglevel="WARNING",
        queues=worker_app.config["queues"],
    )


def setup_endpoint(worker_app: Any, receiver: Receiver) -> tuple[Any, Any]:
    dealer = make_dealer(worker_app)
    api = Api(worker_app.test_client(), dealer.secret_key)
    r = api.post("/webhook-endpoints", json={"url": receiver.url, "enabled_events": ["*"]})
    assert r.status_code == 200, r.get_data(as_text=True)
    return dealer, api


def test_thread_worker_delivers_and_retries(worker_app):
    with Receiver(status=lambda n: 500 if n == 1 else 200) as receiver:
        dealer, _api = setup_endpoint(worker_app, receiver)
        worker_app.extensions["settings"] = worker_app.extensions["settings"].with_overrides(
            extra={
                **worker_app.extensions["settings"].extra,
                "WEBHOOK_TEST_RETRY_BASE_SECONDS": "1",
            }
        )
        with thread_worker(worker_app):
            event_id = emit(worker_app, dealer.id, "customer.created")
            db = worker_app.extensions["db"]
            assert wait_until(lambda: delivery_of(db, event_id).status == "succeeded", 30)
        assert receiver.event_ids() == [event_id, event_id]
        assert delivery_of(db, event_id).attempt_count == 2


def test_broker_down_then_sweep_delivers(worker_app, monkeypatch):
    with Receiver() as receiver:
        dealer, _api = setup_endpoint(worker_app, receiver)

        def broker_down(*_a: Any, **_k: Any) -> None:
            raise ConnectionError("broker unavailable")

        monkeypatch.setattr(deliver, "apply_async", broker_down)
        monkeypatch.setattr(drain_deliveries, "apply_async", broker_down)
        event_id = emit(worker_app, dealer.id, "customer.created")  # committed, never queued
        monkeypatch.undo()
        db = worker_app.extensions["db"]
        with thread_worker(worker_app):
            time.sleep(LEASE + 1.1)
            assert receiver.requests == []
            sweep_deliveries.delay()  # what beat does every 30 s, through the broker
            assert wait_until(lambda: delivery_of(db, event_id).status == "succeeded", 30)
        assert receiver.event_ids() == [event_id]


def subprocess_worker(worker_app: Any) -> subprocess.Popen[bytes]:
    settings = worker_app.extensions["settings"]
    env = {**os.environ, **settings.environ(), "DEALERHUB_LOG_LEVEL": "WARNING"}
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "dealerhub.worker",
        "worker",
        "-Q",
        ",".join(worker_app.config["queues"]),
        "-c",
        "1",
        "-P",
        "prefork",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "WARNING",
    ]
    return subprocess.Popen(
        cmd,
        env=env,
        cwd=os.getcwd(),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_worker_killed_mid_delivery_delivers_later(worker_app):
    # The first request hangs (the worker is killed while waiting); later ones answer 200.
    with Receiver(delay=lambda n: 60.0 if n == 1 else 0.0) as receiver:
        dealer, _api = setup_endpoint(worker_app, receiver)
        db = worker_app.extensions["db"]
        proc = subprocess_worker(worker_app)
        try:
            event_id = emit(worker_app, dealer.id, "customer.created")
            assert receiver.wait_for(1, timeout=60), "the worker never started the delivery"
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        assert delivery_of(db, event_id).status == "pending"
        with thread_worker(worker_app):
            time.sleep(LEASE + 1.1)  # the dead worker's lease runs out
            sweep_deliveries.delay()
            assert wait_until(lambda: delivery_of(db, event_id).status == "succeeded", 60)
        ids = receiver.event_ids()
        assert ids.count(event_id) >= 2  # the interrupted attempt, then at least one more
        assert delivery_of(db, event_id).status == "succeeded"
