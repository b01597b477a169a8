"""The DMS area: leads, deals, their sync to the dealer's DMS, workflows."""

from __future__ import annotations

import click

from dealerhub.areas import Wiring
from dealerhub.dms import cli, routes, tasks


def init_app(wiring: Wiring) -> None:
    wiring.api.register_blueprint(routes.blp)
    wiring.beat_schedule.update(tasks.BEAT_SCHEDULE)


def init_cli(group: click.Group) -> None:
    cli.register(group)
