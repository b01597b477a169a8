"""The staff desk: accounts (CLI) and the /staff web UI."""

from __future__ import annotations

import click

from dealerhub.areas import Wiring
from dealerhub.staff import (
    cli,
    desk,
    views_admin,
    views_auth,
    views_credit,
    views_customers,
    views_deal_edit,
    views_deals,
    views_gateways,
    views_home,
    views_integrations,
    views_invoices,
    views_payments,
)

# Each of these adds its views to the desk's blueprint when it is imported.
VIEW_MODULES = (
    views_auth,
    views_home,
    views_customers,
    views_credit,
    views_deals,
    views_deal_edit,
    views_payments,
    views_invoices,
    views_admin,
    views_gateways,
    views_integrations,
)


def init_app(wiring: Wiring) -> None:
    desk.init(wiring.app)
    wiring.error_renderers[desk.bp.name] = desk.render_error


def init_cli(group: click.Group) -> None:
    cli.init_cli(group)
