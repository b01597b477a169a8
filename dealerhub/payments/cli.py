"""``dealerhub gateways check``: one harmless authenticated call to each configured gateway."""

from __future__ import annotations

import click

from dealerhub.clikit import DEALER, Context, pass_ctx
from dealerhub.configuration.service import resolved_config
from dealerhub.connectors.base import ConnectorError
from dealerhub.connectors.processors import routing
from dealerhub.connectors.registry import Registry
from dealerhub.errors import DealerhubError
from dealerhub.tenancy import Tenant


def init_cli(group: click.Group) -> None:
    group.add_command(gateways)


@click.group()
def gateways() -> None:
    """Live payment gateways."""


@gateways.command("check")
@click.option("--dealer", "dealer_id", required=True, type=DEALER, help="Dealer id (acct_…)")
@click.option("--mode", type=click.Choice(["test", "live"]), default="live", show_default=True)
@pass_ctx
def check(ctx: Context, dealer_id: str, mode: str) -> None:
    """Call each configured gateway once (no money moves) and print a table."""
    app = ctx.app
    registry: Registry = app.extensions["connectors"]
    tenant = Tenant(dealer_id, mode == "live")
    with app.extensions["db"].transaction(write=False) as session:
        tree = resolved_config(session, tenant)
    rows: list[tuple[str, str, str, str]] = []
    for name, spec in registry.gateways.items():
        block = routing.gateway_block(tree, name)
        if not block:
            continue
        env = block.get("environment") or routing.environment_for(tenant.livemode)
        missing = routing.missing_fields(spec, block)
        if missing:
            rows.append((name, env, "incomplete", "missing " + ", ".join(missing)))
            continue
        try:
            registry.gateway(tenant, name, block).check()
        except (ConnectorError, DealerhubError) as exc:
            code = getattr(exc, "vendor_code", None) or getattr(exc, "code", "")
            rows.append((name, env, "error", f"{type(exc).__name__} {code}".strip()))
            continue
        rows.append((name, env, "ok", "authenticated"))
    if not rows:
        raise click.ClickException(f"{dealer_id} has no payment gateway configured in {mode} mode.")
    widths = [
        max(len(r[i]) for r in [("gateway", "environment", "result", "detail"), *rows])
        for i in range(4)
    ]
    for row in [("gateway", "environment", "result", "detail"), *rows]:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    if any(r[2] != "ok" for r in rows):
        ctx_exit = click.get_current_context()
        ctx_exit.exit(1)
