"""``dealerhub staff create|list|disable|enable|reset-password|demo``: desk accounts."""

from __future__ import annotations

import getpass
import json
import os
import secrets
import sys

import click

from dealerhub.clikit import Context, pass_ctx
from dealerhub.context import Actor
from dealerhub.errors import DealerhubError
from dealerhub.staff import service
from dealerhub.staff.roles import Role


def init_cli(group: click.Group) -> None:
    group.add_command(staff)


def _cli_actor() -> Actor:
    return Actor("cli", getpass.getuser())


def _read_password(from_stdin: bool) -> str:
    """From standard input (scripts: first line) or prompted twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


def _fail(error: DealerhubError) -> None:
    where = f" ({error.param})" if error.param else ""
    raise click.ClickException(f"{error.message}{where}")


@click.group()
def staff() -> None:
    """Staff accounts of the F&I desk (/staff)."""


@staff.command("create")
@click.option("--dealer", "dealer_id", required=True, help="The dealer's id (acct_…).")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def create(ctx: Context, dealer_id: str, email: str, role: str, password_stdin: bool) -> None:
    """Create a staff user (the password is prompted, never echoed)."""
    password = _read_password(password_stdin)
    try:
        with ctx.transaction() as session:
            user = service.create_staff(
                session,
                dealer_id=dealer_id,
                email=email,
                role=role,
                password=password,
                actor=_cli_actor(),
            )
            click.echo(f"created {user.id} {user.email} ({user.role}) for {user.dealer_id}")
    except DealerhubError as exc:
        _fail(exc)


@staff.command("list")
@click.option("--dealer", "dealer_id", default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def list_(ctx: Context, dealer_id: str | None, as_json: bool) -> None:
    """List staff users (never their password hashes)."""
    with ctx.transaction() as session:
        rows = [
            {
                "id": u.id,
                "dealer": u.dealer_id,
                "email": u.email,
                "role": u.role,
                "disabled": u.disabled,
                "last_login_at": u.last_login_at,
            }
            for u in service.list_staff(session, dealer_id=dealer_id)
        ]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        state = "disabled" if row["disabled"] else "active"
        click.echo(f"{row['id']}  {row['dealer']}  {row['email']:<32} {row['role']:<8} {state}")
    if not rows:
        click.echo(
            "no staff users yet: dealerhub staff create --dealer ID --email E --role manager"
        )


@staff.command("disable")
@click.argument("user")
@pass_ctx
def disable(ctx: Context, user: str) -> None:
    """Disable USER (id or e-mail): they cannot log in, their sessions end."""
    try:
        with ctx.transaction() as session:
            found = service.set_disabled(
                session, service.find_staff(session, user), True, actor=_cli_actor()
            )
            click.echo(f"disabled {found.id} {found.email}")
    except DealerhubError as exc:
        _fail(exc)


@staff.command("enable")
@click.argument("user")
@pass_ctx
def enable(ctx: Context, user: str) -> None:
    """Enable a disabled USER again."""
    try:
        with ctx.transaction() as session:
            found = service.set_disabled(
                session, service.find_staff(session, user), False, actor=_cli_actor()
            )
            click.echo(f"enabled {found.id} {found.email}")
    except DealerhubError as exc:
        _fail(exc)


@staff.command("reset-password")
@click.argument("user")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def reset_password(ctx: Context, user: str, password_stdin: bool) -> None:
    """Set a new password for USER (ends their sessions, lifts a lockout)."""
    password = _read_password(password_stdin)
    try:
        with ctx.transaction() as session:
            found = service.reset_password(
                session, service.find_staff(session, user), password, actor=_cli_actor()
            )
            click.echo(f"password reset for {found.id} {found.email}")
    except DealerhubError as exc:
        _fail(exc)


@staff.command("demo")
@pass_ctx
def demo(ctx: Context) -> None:
    """Create the demo dealer's manager once and print the login (development only; run
    after ``dealerhub demo``)."""
    dealer_file = ctx.settings.data_dir / "demo-dealer.json"
    if ctx.settings.is_production or not dealer_file.exists():
        raise click.ClickException("run `dealerhub demo` first (development only)")
    path = ctx.settings.data_dir / "demo-manager.json"
    if not path.exists():
        dealer_id = json.loads(dealer_file.read_text())["id"]
        login = {"email": "manager@demo-motors.test", "password": secrets.token_urlsafe(12)}
        try:
            with ctx.transaction() as session:
                service.create_staff(
                    session, dealer_id=dealer_id, role="manager", actor=_cli_actor(), **login
                )
        except DealerhubError as exc:
            _fail(exc)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(login, fh)
    login = json.loads(path.read_text())
    click.echo("Demo desk login (manager) at /staff/login")
    click.echo(f"  e-mail    {login['email']}")
    click.echo(f"  password  {login['password']}")
