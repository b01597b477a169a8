"""``dealerhub certs upload``: install a dealer's .p12 from the command line (no base64 by hand,
no third-party websites; the password is prompted without echo)."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from dealerhub.clikit import DEALER, Context, pass_ctx
from dealerhub.configuration.certificates import MAX_P12_BYTES, CertStore
from dealerhub.configuration.service import upload_certificate
from dealerhub.context import Actor
from dealerhub.errors import DealerhubError
from dealerhub.tenancy import Tenant


def register(group: click.Group) -> None:
    group.add_command(certs)


@click.group()
def certs() -> None:
    """Client certificates (TransUnion mutual TLS)."""


@certs.command("upload")
@click.option("--dealer", "dealer_id", required=True, type=DEALER, help="Dealer id (acct_…)")
@click.option("--mode", type=click.Choice(["test", "live"]), default="live", show_default=True)
@click.option("--password", prompt=True, hide_input=True, help="The .p12 password (prompted).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def upload(ctx: Context, dealer_id: str, mode: str, password: str, file: Path) -> None:
    """Validate FILE (.p12) and make it the dealer's TransUnion client certificate."""
    app = ctx.app
    data = file.read_bytes()[: MAX_P12_BYTES + 1]
    store = CertStore(app.extensions["settings"].certs_dir)
    try:
        with app.extensions["db"].transaction() as session:
            view = upload_certificate(
                session,
                Tenant(dealer_id, mode == "live"),
                data,
                password,
                actor=str(Actor("cli", getpass.getuser())),
                store=store,
            )
    except DealerhubError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    cert = view["credit_application"]["transunion"]["certificate"]
    click.echo(
        f"installed {cert['name']} for {dealer_id} ({mode}): {cert['subject']}, "
        f"expires {cert['not_after']} ({cert['days_until_expiry']} days)"
    )
