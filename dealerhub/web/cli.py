"""``dealerhub listen`` and ``dealerhub trigger`` (see :mod:`dealerhub.web.devtools`)."""

from __future__ import annotations

import datetime as dt

import click

from dealerhub.http import make_session
from dealerhub.web import devtools

_KEY = click.option(
    "--api-key",
    envvar="DEALERHUB_API_KEY",
    default="",
    help="A test secret key (sk_test_…); default $DEALERHUB_API_KEY.",
)
_HUB = click.option(
    "--hub",
    "hub_url",
    envvar="DEALERHUB_HUB_URL",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="The hub's base URL; default $DEALERHUB_HUB_URL.",
)


def _hub(api_key: str, hub_url: str) -> devtools.Hub:
    if not api_key:
        raise click.UsageError("Missing --api-key (or DEALERHUB_API_KEY): a sk_test_ key.")
    try:
        devtools.require_test_key(api_key)
    except devtools.DevToolError as exc:
        raise click.UsageError(str(exc)) from None
    return devtools.Hub(hub_url, api_key, make_session(timeout=(3.05, 30)))


def _now() -> str:
    return dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")


@click.command()
@click.option(
    "--forward-to", required=True, help="Where to POST events (http://localhost:4242/webhook)."
)
@click.option(
    "--events",
    default="",
    help="Comma-separated event types or groups (payment_intent.*); default all.",
)
@click.option("--max-events", type=int, default=None, help="Stop after forwarding this many.")
@click.option(
    "--interval", type=float, default=1.0, show_default=True, help="Seconds between polls."
)
@click.option("--print-secret", is_flag=True, help="Print the signing secret and exit.")
@_KEY
@_HUB
def listen(
    forward_to: str,
    events: str,
    max_events: int | None,
    interval: float,
    print_secret: bool,
    api_key: str,
    hub_url: str,
) -> None:
    """Forward the dealer's test-mode events to a local URL, signed like real deliveries."""
    hub = _hub(api_key, hub_url)
    secret = devtools.listen_secret(api_key)
    if print_secret:
        click.echo(secret)
        return
    wanted = [e.strip() for e in events.split(",") if e.strip()]
    try:
        devtools.check_event_filter(wanted)
        stream = devtools.listen(
            hub,
            cursor=devtools.start_cursor(hub),
            forward_to=forward_to,
            events=wanted,
            secret=secret,
            poll_interval=interval,
            max_events=max_events,
        )
        click.echo(f"Ready! Your webhook signing secret is {secret} (^C to quit)", err=True)
        for event, status, error in stream:
            click.echo(f"{_now()}   --> {event['type']} [{event['id']}]")
            outcome = f"[{status}]" if status is not None else f"[ERR] {error}"
            click.echo(f"{_now()}  <--  {outcome} POST {forward_to} [{event['id']}]")
    except devtools.DevToolError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        pass


@click.command()
@click.argument("event_type", required=False)
@click.option("--list", "list_only", is_flag=True, help="List the event types it can trigger.")
@_KEY
@_HUB
def trigger(event_type: str | None, list_only: bool, api_key: str, hub_url: str) -> None:
    """Create the test-mode objects that emit EVENT_TYPE (payment_intent.succeeded …)."""
    if list_only or not event_type:
        for name in sorted(devtools.TRIGGERS):
            click.echo(name)
        return
    hub = _hub(api_key, hub_url)
    click.echo(f"Setting up fixture for: {event_type}")
    try:
        for step in devtools.trigger(hub, event_type):
            click.echo(f"Running fixture for: {step}")
    except devtools.DevToolError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Trigger succeeded! Check dealerhub listen or GET /events.")


def register(group: click.Group) -> None:
    group.add_command(listen)
    group.add_command(trigger)
