"""The worker entry point: ``celery -A dealerhub.worker worker`` (what ``dealerhub worker``
and ``dealerhub serve`` run). Importing it builds the Flask app from the environment, which
binds Celery to it; every area's tasks are registered by then."""

from __future__ import annotations

from celery import Celery

from dealerhub.app import create_app

flask_app = create_app()
# ``celery -A`` looks for ``app`` first: it must be the Celery app, not the Flask one.
app: Celery = flask_app.extensions["celery"]
