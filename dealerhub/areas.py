"""How an area is wired into the app: each area's ``area.py`` has an ``init_app(wiring)``
that registers its blueprints, beat schedule, inbound-webhook handlers and hooks, and, when
the area has commands, an ``init_cli(group)``. ``dealerhub.app.AREAS`` lists the areas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask_smorest import Api


@dataclass
class Wiring:
    """What ``create_app`` hands each area's ``init_app``; it collects the beat schedule and
    the error renderers of surfaces that are not the JSON API (keyed by blueprint name, each
    ``(error, request_id) -> Response``; see ``dealerhub.lifecycle``)."""

    app: Flask
    api: Api
    beat_schedule: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Task name -> queue role (see dealerhub.tasks.QUEUE_ROLES); unlisted tasks use the default.
    task_queues: dict[str, str] = field(default_factory=dict)
    error_renderers: dict[str, Callable[..., Any]] = field(default_factory=dict)
