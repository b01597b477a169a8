"""``dealerhub events …``: operator commands over the same services as the beat tasks."""

from __future__ import annotations

import click

from dealerhub import db as dbmod
from dealerhub.clikit import Context, pass_ctx
from dealerhub.events.delivery import sweep
from dealerhub.events.inbound import sweep_inbound
from dealerhub.events.policy import retention_days
from dealerhub.events.service import purge_events


def register(group: click.Group) -> None:
    @group.group()
    def events() -> None:
        """Events and webhook deliveries."""

    @events.command("sweep")
    @pass_ctx
    def sweep_cmd(ctx: Context) -> None:
        """Hand the broker every due delivery whose message was lost."""
        with ctx.transaction() as session:
            count = len(sweep(session, ctx.settings)) + len(sweep_inbound(session, ctx.settings))
        click.echo(f"re-enqueued {count}")

    @events.command("purge")
    @pass_ctx
    def purge_cmd(ctx: Context) -> None:
        """Delete events older than the retention period (DEALERHUB_EVENT_RETENTION_DAYS)."""
        cutoff = dbmod.now() - retention_days(ctx.settings) * 86400
        with ctx.transaction() as session:
            click.echo(f"purged {purge_events(session, cutoff)} events")
