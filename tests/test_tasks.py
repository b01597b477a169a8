"""The after-commit enqueue helper and the task base class, with a real worker on the embedded
(filesystem) broker and, when ``DEALERHUB_TEST_BROKER_URL`` is set, on Redis."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker

from dealerhub.app import create_app
from dealerhub.config import load_settings
from dealerhub.tasks import backoff, celery, enqueue_now
from tests import toy
from tests.conftest import BROKER_URL, Api, bind_tasks_to, make_dealer, wait_until

BROKERS = ["embedded"] + (["external"] if BROKER_URL else [])


@pytest.fixture(params=BROKERS)
def worker_app(
    request: Any, base_settings: Any, app: Any, toy_app: Any, tmp_path: Any
) -> Iterator[Any]:
    broker = f"filesystem://{tmp_path / 'broker'}" if request.param == "embedded" else BROKER_URL
    queue = f"dealerhub-test-{uuid.uuid4().hex[:8]}"  # parallel runs must not share a queue
    settings = base_settings.with_overrides(
        tasks_eager=False, broker_url=broker, extra={"TASK_QUEUE": queue}
    )
    worker = create_app(settings)
    worker.extensions["api"].register_blueprint(toy.blp)
    with start_worker(
        celery, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    ):
        yield worker
    bind_tasks_to(app)  # back to eager, on the main app, for other tests
    worker.extensions["db"].dispose()


def test_task_runs_after_commit_and_not_on_rollback(worker_app: Any) -> None:
    toy.task_runs.clear()
    dealer = make_dealer(worker_app)
    api = Api(worker_app.test_client(), dealer.secret_key)
    failed = api.post("/toy/widgets", json={"name": "rolled back", "enqueue": True, "fail": True})
    assert failed.status_code == 400
    ok = api.post("/toy/widgets", json={"name": "committed", "enqueue": True})
    assert ok.status_code == 200
    widget_id = ok.get_json()["id"]
    assert wait_until(lambda: widget_id in toy.task_runs)
    time.sleep(0.5)  # give a wrongly-enqueued task time to show up
    assert toy.task_runs == [widget_id]


def test_enqueue_failure_after_commit_is_logged_not_raised(toy_app, toy_api, monkeypatch, caplog):
    def broker_down(*_a: Any, **_k: Any) -> None:
        raise ConnectionError("broker unavailable")

    monkeypatch.setattr(toy.touch_widget, "apply_async", broker_down)
    response = toy_api.post("/toy/widgets", json={"name": "w", "enqueue": True})
    assert response.status_code == 200  # the work committed; the sweep re-sends later
    assert "could not enqueue" in caplog.text


class Flaky(Exception):
    retryable = True


flaky_calls: list[int] = []


@celery.task(name="tests.flaky", bind=True, max_retries=3, retry_backoff_base=0.01)
def flaky(self: Any) -> None:
    flaky_calls.append(self.request.retries)
    if len(flaky_calls) < 3:
        raise Flaky("try again")


def test_retryable_errors_are_retried_by_the_base_class(worker_app: Any) -> None:
    flaky_calls.clear()
    flaky.delay()
    assert wait_until(lambda: len(flaky_calls) == 3)
    time.sleep(0.3)
    assert flaky_calls == [0, 1, 2]


def test_non_retryable_errors_are_not_retried(toy_app) -> None:
    calls: list[int] = []

    @celery.task(name="tests.broken", bind=True)
    def broken(self: Any) -> None:
        calls.append(1)
        raise ValueError("permanent")

    with pytest.raises(ValueError, match="permanent"):
        broken.apply().get()
    assert calls == [1]


def test_backoff_is_bounded_and_jittered() -> None:
    samples = [backoff(10, base=2, cap=60) for _ in range(200)]
    assert all(0 <= s <= 60 for s in samples)
    assert len(set(samples)) > 100
    assert max(backoff(0, base=2, cap=60) for _ in range(100)) <= 2


def test_webhook_work_has_a_queue_of_its_own(app):
    """A webhook backlog must not hold up settlement: delivery signals go to their own queue
    (serve gives it its own worker), everything else to the default one."""
    from dealerhub.events import jobs as event_jobs
    from dealerhub.payments import jobs as payment_jobs
    from dealerhub.tasks import queue_name

    celery_app = app.extensions["celery"]
    settings = app.extensions["settings"]

    def queue_of(task: str) -> str:
        return celery_app.amqp.router.route({}, task)["queue"].name

    assert queue_of(event_jobs.DRAIN) == queue_name(settings, "webhooks")
    assert queue_of(event_jobs.DELIVER) == queue_name(settings, "webhooks")
    assert queue_of(payment_jobs.SETTLE_PAYMENT) == queue_name(settings, "default")
    assert queue_of(payment_jobs.SETTLE_REFUND) == queue_name(settings, "default")
    assert queue_name(settings, "webhooks") == f"{queue_name(settings, 'default')}.webhooks"


def test_the_embedded_broker_builds_connections_without_a_warning(
    app: Any, base_settings: Any, tmp_path: Any, caplog: Any, recwarn: Any
) -> None:
    # The broker URL a fresh install gets (DEALERHUB_BROKER_URL unset): kombu warned "No
    # hostname was supplied. Reverting to default 'localhost'" for every connection it
    # built on it, in every process that sent a task.
    default = load_settings({"DEALERHUB_DATA_DIR": str(tmp_path)}).broker_url
    assert default.startswith("filesystem://")
    settings = base_settings.with_overrides(tasks_eager=False, broker_url=default)
    try:
        with caplog.at_level(logging.DEBUG):
            create_app(settings)
            connection = celery.connection_for_write()
            assert "localhost" in connection.as_uri()
            connection.clone().release()
            connection.release()
            assert enqueue_now("dealerhub.purge_idempotency_keys")  # through the producer pool
    finally:
        bind_tasks_to(app)
    kombu = [r.getMessage() for r in caplog.records if r.name.startswith("kombu")]
    assert not [m for m in kombu if "hostname" in m.lower()], kombu
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert len(recwarn) == 0, [str(w.message) for w in recwarn]
