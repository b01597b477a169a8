"""The configuration area: integration credentials, client certificates, audit trail."""

from __future__ import annotations

import click

from dealerhub import crypto
from dealerhub.areas import Wiring
from dealerhub.configuration import cli, routes, tasks


def init_app(wiring: Wiring) -> None:
    wiring.api.register_blueprint(routes.blp)
    wiring.beat_schedule.update(tasks.BEAT_SCHEDULE)
    # ``dealerhub keys rotate-encryption`` re-encrypts certificate files too.
    if tasks.rotate_certificate_files not in crypto.rotation_hooks:
        crypto.rotation_hooks.append(tasks.rotate_certificate_files)


def init_cli(group: click.Group) -> None:
    cli.register(group)
