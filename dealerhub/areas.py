"""How an area is wired into the app: each area's ``area.py`` has an ``init_app(wiring)``
that registers its blueprints, beat schedule, inbound-webhook handlers and hooks, and, when
the area has commands, an ``init_cli(group)``. ``dealerhub.app.AREAS`` lists the areas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask_smorest import Api


@dataclass
class Wiring:
    """What ``create_app`` hands each area's ``init_app``; it collects the beat schedule."""

    app: Flask
    api: Api
    beat_schedule: dict[str, dict[str, Any]] = field(default_factory=dict)
