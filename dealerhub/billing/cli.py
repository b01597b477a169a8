"""``dealerhub mail list``: the invoice e-mails a hub without SMTP wrote to DATA_DIR/mail/."""

from __future__ import annotations

import click

from dealerhub.clikit import Context, pass_ctx
from dealerhub.connectors.mail.outbox import list_messages


def init_cli(group: click.Group) -> None:
    group.add_command(mail)


@click.group()
def mail() -> None:
    """Outgoing e-mail (the .eml outbox used when DEALERHUB_SMTP_URL is not set)."""


@mail.command("list")
@pass_ctx
def list_mail(ctx: Context) -> None:
    """List the stored messages, oldest first."""
    folder = ctx.settings.data_dir / "mail"
    stored = list_messages(folder) if folder.exists() else []
    for item in stored:
        attached = f"  [{', '.join(item.attachments)}]" if item.attachments else ""
        click.echo(f"{item.date}  {item.to}  {item.subject}{attached}")
        click.echo(f"    {item.path}")
    if not stored:
        click.echo(f"no messages in {folder}")
