"""The events area: events, webhook endpoints and deliveries, inbound processor webhooks."""

from __future__ import annotations

import click

from dealerhub.areas import Wiring
from dealerhub.events import cli, routes, tasks


def init_app(wiring: Wiring) -> None:
    wiring.api.register_blueprint(routes.blp)
    wiring.beat_schedule.update(tasks.BEAT_SCHEDULE)
    wiring.task_queues.update(tasks.TASK_QUEUES)


def init_cli(group: click.Group) -> None:
    cli.register(group)
