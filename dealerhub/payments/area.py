"""The payments area: payment methods, setup and payment intents, charges, refunds, bank
accounts and connected accounts, and the processors' webhooks."""

from __future__ import annotations

import click

from dealerhub.areas import Wiring
from dealerhub.events.inbound import register_inbound_handler
from dealerhub.payments import cli, routes, routes_methods, tasks, webhooks
from dealerhub.payments.blueprint import blp

# Each of these adds its views to the one payments blueprint when it is imported.
ROUTE_MODULES = (routes, routes_methods)


def init_app(wiring: Wiring) -> None:
    wiring.api.register_blueprint(blp)
    wiring.beat_schedule.update(tasks.BEAT_SCHEDULE)
    for type_ in webhooks.CHARGE_EVENTS:
        register_inbound_handler(type_, webhooks.apply_charge_notice)
    for type_ in webhooks.REFUND_EVENTS:
        register_inbound_handler(type_, webhooks.apply_refund_notice)


def init_cli(group: click.Group) -> None:
    cli.init_cli(group)
