"""Celery wiring: one Celery app, a task base class, and the after-commit enqueue helper.

Services enqueue tasks by name (``enqueue_after_commit(session, "dealerhub.dms.tasks.drain")``),
so a service never imports a tasks module: tasks import services, not the other way.
The worker entry point, which builds the Flask app the tasks run in, is ``dealerhub.worker``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import kombu.pools
from celery import Celery, Task
from celery.schedules import crontab
from sqlalchemy.orm import Session

from dealerhub import embedded_broker
from dealerhub.context import dealer_id_var, request_id_var
from dealerhub.db import after_commit
from dealerhub.idempotency import purge_expired

if TYPE_CHECKING:
    from flask import Flask

    from dealerhub.config import Settings

log = logging.getLogger(__name__)

_flask_app: Flask | None = None


def flask_app() -> Flask:
    """The Flask app tasks run in: the last one ``create_app`` bound (``dealerhub.worker``
    creates it in a worker process)."""
    if _flask_app is None:
        raise RuntimeError(
            "No dealerhub app is bound to Celery: start workers with `dealerhub worker` or "
            "`celery -A dealerhub.worker worker`."
        )
    return _flask_app


def backoff(retries: int, *, base: float = 2.0, cap: float = 3600.0) -> float:
    """Exponential backoff with full jitter: ``uniform(0, min(cap, base * 2**retries))``."""
    return random.uniform(0, min(cap, base * 2**retries))  # noqa: S311 - jitter, not crypto


class DealerhubTask(Task):
    """Runs in the Flask app context; retries errors flagged ``retryable`` with backoff."""

    abstract = True
    ignore_result = True
    max_retries = 8
    retry_backoff_base = 2.0
    retry_backoff_cap = 3600.0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with flask_app().app_context():
            # Without hyphens "task_<uuid>" fits the 40-character request_id columns.
            task_id = (self.request.id or "").replace("-", "")
            token = request_id_var.set(f"task_{task_id}" if task_id else None)
            try:
                return self.run(*args, **kwargs)
            except Exception as exc:
                if getattr(exc, "retryable", False) and self.request.called_directly is False:
                    countdown = backoff(
                        self.request.retries,
                        base=self.retry_backoff_base,
                        cap=self.retry_backoff_cap,
                    )
                    # The class and vendor code only: vendor messages may quote customer data.
                    log.warning(
                        "task %s retrying in %.1fs: %s %s",
                        self.name,
                        countdown,
                        type(exc).__name__,
                        getattr(exc, "vendor_code", None) or "",
                    )
                    raise self.retry(exc=exc, countdown=countdown) from exc
                raise
            finally:
                request_id_var.reset(token)
                dealer_id_var.set(None)


celery = Celery("dealerhub", task_cls=DealerhubTask)


def enqueue_now(task: str | Task, *args: Any, **options: Any) -> bool:
    """Hand ``task(*args)`` to the broker now; ``task`` is a registered task or its name.

    A broker failure is logged, not raised (returns False): whatever was committed stays
    committed, and each area's periodic sweep re-sends what was never handed over.
    """
    name = task if isinstance(task, str) else task.name
    try:
        celery.tasks[name].apply_async(args=args, **options)
    except Exception:
        log.exception("could not enqueue %s; the periodic sweep will retry", name)
        return False
    return True


def enqueue_after_commit(session: Session, task: str | Task, *args: Any, **options: Any) -> None:
    """:func:`enqueue_now` ``task(*args)`` once ``session`` commits; nothing on rollback."""

    def send() -> None:
        enqueue_now(task, *args, **options)

    after_commit(session, send)


def _broker_settings(settings: Settings) -> dict[str, Any]:
    url = settings.broker_url
    if url.startswith("filesystem://"):
        # kombu's filesystem transport (written atomically: dealerhub/embedded_broker.py): a
        # folder of message files shared by every process on this machine. It needs no
        # server, which is what "embedded broker" means here.
        folder = url.removeprefix("filesystem://") or str(settings.data_dir / "broker")
        for sub in ("queue", "processed", "control"):
            Path(folder, sub).mkdir(parents=True, exist_ok=True)
        return {
            # With a host: without one kombu logs "No hostname was supplied. Reverting to
            # default 'localhost'" on every connection it builds (its virtual transports
            # default the host to localhost; the filesystem transport never uses it).
            "broker_url": f"{embedded_broker.SCHEME}://localhost//",
            "broker_transport_options": {
                "data_folder_in": f"{folder}/queue",
                "data_folder_out": f"{folder}/queue",
                "processed_folder": f"{folder}/processed",
                # Broadcast exchanges (remote control) default to ./control in the cwd.
                "control_folder": f"{folder}/control",
                "store_processed": False,
                "polling_interval": 0.05,
            },
        }
    return {
        "broker_url": url,
        "broker_transport_options": {"visibility_timeout": 3600},
    }


# The queues of a deployment: ``default`` for everything not routed elsewhere, and one per
# role an area routes tasks to (``Wiring.task_queues``). A role's queue is named
# ``<DEALERHUB_TASK_QUEUE>.<role>``.
QUEUE_ROLES = ("default", "webhooks")


def queue_name(settings: Settings, role: str) -> str:
    """The broker queue of ``role`` (one of :data:`QUEUE_ROLES`) in this deployment."""
    if role not in QUEUE_ROLES:
        raise ValueError(f"unknown queue role {role!r}; known: {', '.join(QUEUE_ROLES)}")
    base = settings.option("TASK_QUEUE", "celery")
    return base if role == "default" else f"{base}.{role}"


BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "purge-idempotency-keys": {
        "task": "dealerhub.purge_idempotency_keys",
        "schedule": crontab(minute=17),
    },
}


def drop_connections() -> None:
    """Forget broker pools and routing built for an earlier configuration (tests build
    several apps in one process; a worker process configures once)."""
    if "amqp" in vars(celery):
        del celery.amqp  # a cached property: queues and producer pool of the old broker
    celery.close()  # the connection pool
    kombu.pools.reset()  # producer pools are cached globally, keyed by connection


def init_celery(
    flask: Flask,
    settings: Settings,
    beat_schedule: dict[str, dict[str, Any]],
    task_queues: dict[str, str] | None = None,
) -> Celery:
    """Configure the Celery app for this Flask app (the last app created wins);
    ``task_queues`` routes task names to queue roles."""
    global _flask_app
    _flask_app = flask
    schedule = {**BEAT_SCHEDULE, **beat_schedule}
    drop_connections()
    celery.conf.update(
        # One queue name per deployment (or per test run sharing a Redis server).
        task_default_queue=queue_name(settings, "default"),
        task_routes={
            name: {"queue": queue_name(settings, role)}
            for name, role in (task_queues or {}).items()
        },
        task_always_eager=settings.tasks_eager,
        task_eager_propagates=settings.tasks_eager,
        task_ignore_result=True,
        task_acks_late=True,  # tasks are idempotent: a killed worker's task runs again
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2},
        broker_connection_retry_on_startup=True,
        # Worker and beat log through dealerhub's handler (dealerhub.worker); should Celery
        # ever set logging up itself, it must not remove that handler from the root logger.
        worker_hijack_root_logger=False,
        beat_schedule=schedule,
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
        timezone="UTC",
        **_broker_settings(settings),
    )
    celery.set_default()
    flask.extensions["celery"] = celery
    return celery


@celery.task(name="dealerhub.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    flask = flask_app()
    with flask.extensions["db"].transaction() as session:
        return purge_expired(session, flask.extensions["settings"].idempotency_ttl_hours)


def register(fn: Callable[..., Any]) -> Any:
    """Shorthand used by area task modules: ``@register`` == ``@celery.task(name=<module.fn>)``."""
    return celery.task(name=f"{fn.__module__}.{fn.__name__}")(fn)
