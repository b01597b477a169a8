"""The billing area: products, prices and invoices."""

from __future__ import annotations

import click

from dealerhub.areas import Wiring
from dealerhub.billing import cli, routes, routes_hosted, routes_invoices, tasks

# Each of these adds its views to the billing blueprint when it is imported.
ROUTE_MODULES = (routes, routes_invoices)


def init_app(wiring: Wiring) -> None:
    wiring.api.register_blueprint(routes.blp)
    wiring.api.register_blueprint(routes_hosted.blp)
    wiring.error_renderers[routes_hosted.blp.name] = routes_hosted.render_error
    wiring.beat_schedule.update(tasks.BEAT_SCHEDULE)


def init_cli(group: click.Group) -> None:
    cli.init_cli(group)
