"""Sync through a real Celery worker (embedded filesystem broker; Redis too when
``DEALERHUB_TEST_BROKER_URL`` is set): enqueue after commit, retry with backoff, dead-letter."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker

from dealerhub.app import create_app
from dealerhub.connectors.base import ConnectorUnavailable
from dealerhub.connectors.dms.sandbox import SandboxDms
from dealerhub.dms.models import Lead
from dealerhub.tasks import celery
from tests.conftest import (
    BROKER_URL,
    Api,
    bind_tasks_to,
    make_dealer,
    swap_connectors_of,
    wait_until,
)
from tests.dms.conftest import lead_body, post_lead

BROKERS = ["embedded"] + (["external"] if BROKER_URL else [])
pytestmark = pytest.mark.slow


@pytest.fixture(params=BROKERS)
def worker_app(
    request: Any, base_settings: Any, app: Any, tmp_path: Any, monkeypatch
) -> Iterator[Any]:
    broker = f"filesystem://{tmp_path / 'broker'}" if request.param == "embedded" else BROKER_URL
    queue = f"dealerhub-test-{uuid.uuid4().hex[:8]}"
    # Retries come due a second after a failure (the shortest backoff), each with its own
    # countdown signal.
    extra = {"TASK_QUEUE": queue, "DMS_SYNC_RETRY_BASE_SECONDS": "0.05"}
    settings = base_settings.with_overrides(tasks_eager=False, broker_url=broker, extra=extra)
    monkeypatch.chdir(tmp_path)  # kombu's pidbox files land in the cwd: keep the tree clean
    wapp = create_app(settings)
    with start_worker(
        celery, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=10
    ):
        yield wapp
    # Back to eager (and the full beat schedule) for the other tests.
    bind_tasks_to(app)
    wapp.extensions["db"].dispose()


def _status(app: Any, lead_id: str) -> tuple[str, int]:
    with app.extensions["db"].transaction(write=False) as s:
        row = s.get(Lead, lead_id)
        return row.sync_status, row.sync_attempts


def test_real_worker_retries_with_backoff_then_syncs(worker_app):
    dealer = make_dealer(worker_app)
    calls: list[int] = []

    class Flaky:
        name = "flaky"

        def push_lead(self, payload):
            calls.append(1)
            if len(calls) < 3:
                raise ConnectorUnavailable("down", vendor="flaky", http_status=503)
            return SandboxDms(worker_app.extensions["db"], dealer.id).push_lead(payload)

    swap_connectors_of(worker_app)(
        dms_override=lambda _s, t: (
            Flaky()
            if t.dealer_id == dealer.id
            else SandboxDms(worker_app.extensions["db"], t.dealer_id)
        )
    )
    api = Api(worker_app.test_client(), dealer.secret_key)
    lead = post_lead(api).get_json()
    assert lead["dms_sync"]["status"] == "pending"  # not eager: the worker does it
    assert wait_until(lambda: _status(worker_app, lead["id"]) == ("synced", 3), timeout=15)
    assert len(calls) == 3


def test_real_worker_dead_letters_a_permanent_rejection(worker_app):
    dealer = make_dealer(worker_app)
    api = Api(worker_app.test_client(), dealer.secret_key)
    body = lead_body()
    body["customer"]["last_name"] = "Dmsreject"
    lead = post_lead(api, body).get_json()
    assert wait_until(lambda: _status(worker_app, lead["id"]) == ("dead", 1), timeout=15)
    time.sleep(0.3)  # and it is not retried
    assert _status(worker_app, lead["id"]) == ("dead", 1)
    failures = api.get("/dms/sync/failures").get_json()["data"]
    assert [f["id"] for f in failures] == [lead["id"]]
