"""The worker entry point: ``celery -A dealerhub.worker worker`` (what ``dealerhub worker``
and ``dealerhub serve`` run). Importing it builds the Flask app from the environment, which
binds Celery to it; every area's tasks are registered by then.

Worker and beat log like the web processes: one handler (JSON or text, masked) on the root
logger, none of Celery's own, and whatever they print becomes a log line too.
"""

from __future__ import annotations

import logging
from typing import Any

import celery as celery_package
from celery import Celery, signals

from dealerhub.app import create_app
from dealerhub.logs import capture_output, configure_logging

log = logging.getLogger(__name__)

flask_app = create_app()
# ``celery -A`` looks for ``app`` first: it must be the Celery app, not the Flask one.
app: Celery = flask_app.extensions["celery"]


@signals.celeryd_init.connect  # the worker's first step, before its privilege warning
@signals.setup_logging.connect  # worker and beat: with a receiver, Celery adds no handlers
def log_through_dealerhub(**_kwargs: Any) -> None:
    settings = flask_app.extensions["settings"]
    configure_logging(settings.log_level, json_output=settings.log_json, capture_warnings=True)
    capture_output()


@signals.celeryd_after_setup.connect
def log_startup(sender: str, instance: Any, **_kwargs: Any) -> None:
    """What Celery's banner says (``--quiet`` leaves it out), as one log line."""
    tasks = [name for name in instance.app.tasks if not name.startswith("celery.")]
    with instance.app.connection_for_write() as connection:  # never connected: just its URL
        broker = connection.as_uri()  # the password masked
    log.info(
        "%s: celery %s, broker %s, concurrency %s, queues %s, %d tasks",
        sender,
        celery_package.__version__,
        broker,
        instance.concurrency,
        ",".join(sorted(instance.app.amqp.queues.consume_from)),  # after -Q/--queues
        len(tasks),
    )
