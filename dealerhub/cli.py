"""The ``dealerhub`` command line: thin wrappers over services."""

from __future__ import annotations

import json
import os
import socket
import sys
from typing import Any

import click

from dealerhub import crypto, migrate
from dealerhub.app import AREAS, create_app
from dealerhub.clikit import DEALER, Context, pass_ctx
from dealerhub.db import metadata
from dealerhub.dealers.service import create_dealer, list_dealers, roll_keys
from dealerhub.logs import configure_logging
from dealerhub.simulators.catalog import SIMULATORS
from dealerhub.simulators.server import serve_forever
from dealerhub.supervisor import (
    Supervisor,
    run_until_signalled,
    start_supervisor_process,
    stop_supervisor_process,
)
from dealerhub.tasks import QUEUE_ROLES, queue_name
from dealerhub.wsgi_server import run_gunicorn

# The commands that may create a data directory and database (everything else must find
# one; see dealerhub.clistate). ``db`` covers ``db upgrade``.
STATE_CREATORS = frozenset({"db", "serve", "demo", "simulate", "worker"})


@click.group()
@click.version_option(package_name="dealerhub")
@click.pass_context
def main(ctx: click.Context) -> None:
    """dealerhub: dealership finance integration hub."""
    if ctx.obj is None:
        ctx.obj = Context(create_app)
        ctx.obj.may_create = ctx.invoked_subcommand in STATE_CREATORS
    ctx.call_on_close(ctx.obj.close)


# --- database ---------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@pass_ctx
def db_upgrade(ctx: Context, revision: str) -> None:
    """Apply migrations."""
    migrate.upgrade(ctx.settings, revision)
    click.echo("database is up to date")


@db.command("revision")
@click.option("-m", "--message", required=True)
@pass_ctx
def db_revision(ctx: Context, message: str) -> None:
    """Autogenerate a migration from the models (development)."""
    migrate.revision(ctx.settings, message)


# --- dealers and keys -------------------------------------------------------------------


@main.group()
def dealers() -> None:
    """Dealers (tenants)."""


def _dealer_json(dealer: Any, test: Any, live: Any) -> dict[str, str]:
    return {
        "id": dealer.id,
        "name": dealer.name,
        "secret_key": test.secret_key,
        "publishable_key": test.publishable_key,
        "live_secret_key": live.secret_key,
        "live_publishable_key": live.publishable_key,
    }


@dealers.command("create")
@click.option("--name", required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_ctx
def dealers_create(ctx: Context, name: str, as_json: bool) -> None:
    """Create a dealer and print its keys (shown only this once)."""
    with ctx.transaction() as session:
        dealer, test, live = create_dealer(session=session, name=name)
        out = _dealer_json(dealer, test, live)
    if as_json:
        click.echo(json.dumps(out))
        return
    click.echo(f"Created dealer {out['id']} ({out['name']}). Keys are shown only once:")
    for label in ("secret_key", "publishable_key", "live_secret_key", "live_publishable_key"):
        click.echo(f"  {label:<22} {out[label]}")


@dealers.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def dealers_list(ctx: Context, as_json: bool) -> None:
    """List dealers."""
    with ctx.transaction() as session:
        rows = [
            {"id": d.id, "name": d.name, "created": d.created}
            for d in list_dealers(session=session)
        ]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        click.echo(f"{row['id']}  {row['name']}")
    if not rows:
        click.echo("no dealers yet: dealerhub dealers create --name NAME")


@main.command("demo")
@pass_ctx
def demo(ctx: Context) -> None:
    """Create a demo dealer once and print its test keys (development only)."""
    migrate.upgrade(ctx.settings)  # demo may be the first command in a fresh directory
    path = ctx.settings.data_dir / "demo-dealer.json"
    if path.exists():
        out = json.loads(path.read_text())
    else:
        with ctx.transaction() as session:
            dealer, test, _live = create_dealer(session=session, name="Demo Motors")
            out = {"id": dealer.id, "name": dealer.name}
            out.update(secret_key=test.secret_key, publishable_key=test.publishable_key)
    # Only the test keys are kept, owner-readable: a file of live keys in clear text is one
    # backup or screen share away from a leak (older versions wrote them: dropped here).
    kept = {k: out[k] for k in ("id", "name", "secret_key", "publishable_key")}
    if kept != out or not path.exists() or path.stat().st_mode & 0o077:
        partial = path.with_suffix(".json.partial")
        partial.unlink(missing_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(kept, fh)
        os.replace(partial, path)
    click.echo(f"Demo dealer {out['id']} ({out['name']})")
    click.echo(f"  secret key       {out['secret_key']}")
    click.echo(f"  publishable key  {out['publishable_key']}")


@main.group()
def keys() -> None:
    """API keys and encryption keys."""


@keys.command("roll")
@click.option("--dealer", "dealer_id", required=True, type=DEALER)
@click.option("--mode", type=click.Choice(["test", "live"]), default="test", show_default=True)
@click.option(
    "--grace",
    "grace_seconds",
    type=int,
    default=0,
    show_default=True,
    help="Seconds the old keys keep working.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def keys_roll(ctx: Context, dealer_id: str, mode: str, grace_seconds: int, as_json: bool) -> None:
    """Issue new keys for one mode and revoke the old ones."""
    with ctx.transaction() as session:
        issued = roll_keys(
            session=session,
            dealer_id=dealer_id,
            livemode=mode == "live",
            grace_seconds=grace_seconds,
        )
    out = {"secret_key": issued.secret_key, "publishable_key": issued.publishable_key}
    if as_json:
        click.echo(json.dumps(out))
        return
    when = f"in {grace_seconds}s" if grace_seconds else "now"
    click.echo(f"New {mode} keys (old keys stop working {when}):")
    click.echo(f"  secret key       {out['secret_key']}")
    click.echo(f"  publishable key  {out['publishable_key']}")


@keys.command("rotate-encryption")
@pass_ctx
def keys_rotate_encryption(ctx: Context) -> None:
    """Re-encrypt every stored secret under the first key of DEALERHUB_ENCRYPTION_KEYS."""
    app = ctx.app
    with app.extensions["db"].transaction() as session:
        count = crypto.rotate_all(session, metadata, app.extensions["settings"])
    click.echo(f"re-encrypted {count} values")


# --- processes --------------------------------------------------------------------------


def _celery_argv(*extra: str) -> list[str]:
    # --quiet: no banner on stdout; dealerhub.worker logs what it says as one log line.
    return [sys.executable, "-m", "celery", "--quiet", "-A", "dealerhub.worker", *extra]


def _require_free_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As gunicorn binds: a socket in TIME_WAIT does not count, a listening one does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise click.ClickException(
                f"{host}:{port} is already in use ({exc.strerror}): is another dealerhub "
                "serve running? Stop it or pass --port."
            ) from None


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=int, show_default=True)
@click.option("--workers", default=2, type=int, show_default=True, help="gunicorn processes")
@click.option("--threads", default=4, type=int, show_default=True, help="threads per process")
@click.option("--no-worker", is_flag=True, help="Do not start the background task worker.")
@pass_ctx
def serve(ctx: Context, host: str, port: int, workers: int, threads: int, no_worker: bool) -> None:
    """Migrate, then serve the API with gunicorn plus a supervised background worker and beat
    (each restarted with backoff if it dies)."""
    _require_free_port(host, port)  # before a second worker and beat scheduler start
    migrate.upgrade(ctx.settings)
    background = None
    if not no_worker:
        # `dealerhub worker --beat` in a process of its own: see start_supervisor_process.
        background = start_supervisor_process(
            [sys.executable, "-m", "dealerhub", "worker", "--beat", "--concurrency", "2"]
        )
    try:
        run_gunicorn(f"{host}:{port}", workers=workers, threads=threads, app_factory=create_app)
    finally:
        if background is not None:
            stop_supervisor_process(background)  # warm shutdown: running tasks finish


@main.command()
def beat() -> None:
    """Run the periodic scheduler (one per deployment: a lock in the data directory keeps a
    second one on this machine waiting)."""
    os.execv(sys.executable, [sys.executable, "-m", "dealerhub.beat"])  # noqa: S606


def _roles(value: str) -> list[str]:
    roles = [r.strip() for r in value.split(",") if r.strip()]
    unknown = sorted(set(roles) - set(QUEUE_ROLES))
    if not roles or unknown:
        raise click.BadParameter(
            f"expected a comma-separated list of {', '.join(QUEUE_ROLES)}; got {value!r}",
            param_hint="--queues",
        )
    return roles


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--concurrency", default=2, type=int, show_default=True)
@click.option(
    "--queues",
    default=",".join(QUEUE_ROLES),
    show_default=True,
    help="Queue roles to consume: `default` (settlement, DMS sync, sweeps, everything not "
    "routed elsewhere) and `webhooks` (webhook delivery).",
)
@click.option(
    "--beat",
    is_flag=True,
    help="Run one worker per queue role and the periodic scheduler (locked: one per "
    "machine; run exactly one per deployment), all supervised as under `dealerhub serve`.",
)
@pass_ctx
@click.pass_context
def worker(
    click_ctx: click.Context, ctx: Context, concurrency: int, queues: str, beat: bool
) -> None:
    """Run a Celery worker against DEALERHUB_BROKER_URL (scale out with several)."""
    roles = _roles(queues)

    def argv(*consume: str, name: str | None = None) -> list[str]:
        names = ",".join(queue_name(ctx.settings, role) for role in consume)
        return [
            *_celery_argv("worker", "--concurrency", str(concurrency), "--loglevel", "INFO"),
            "--queues",
            names,
            *(["--hostname", f"{name}@%h"] if name else []),
            *click_ctx.args,
        ]

    if beat:
        # One worker per role, so a webhook backlog never delays settlement, and not Celery's
        # embedded beat (``-B``: a child of the worker that outlived a killed worker and then
        # ran beside the next one) but the locked one, all supervised by this process, which
        # logs like them (it builds no app, so nothing else configures its logging).
        settings = ctx.settings
        configure_logging(settings.log_level, json_output=settings.log_json, capture_warnings=True)
        children: dict[str, list[str]] = {}
        for role in roles:
            name = "worker" if role == "default" else role
            children[name] = argv(role, name=name)
        children["beat"] = [sys.executable, "-m", "dealerhub.beat"]
        run_until_signalled(Supervisor(children))
        return
    os.execv(sys.executable, argv(*roles))  # noqa: S606 - replaces this process


# Here, not in the payments area: the app (the request path) never imports a simulator.
@main.command()
@click.argument("gateway", type=click.Choice(sorted(SIMULATORS)))
@click.option("--port", type=int, default=0, help="Default: the gateway's usual simulator port.")
@click.option("--webhook-url", help="Where settlement notices are POSTed (the hub's inbound URL).")
@click.option("--webhook-secret", help="Signs them, where the gateway signs its webhooks.")
def simulate(gateway: str, port: int, webhook_url: str | None, webhook_secret: str | None) -> None:
    """Serve GATEWAY's offline simulator on 127.0.0.1 (see docs/gateways.md)."""
    simulator = SIMULATORS[gateway]
    port = port or simulator.port
    click.echo(f"{gateway} simulator on http://127.0.0.1:{port} (Ctrl-C stops it)")
    serve_forever(
        simulator.create_app(webhook_url=webhook_url, webhook_secret=webhook_secret), port
    )


for _area in AREAS:
    if hasattr(_area, "init_cli"):
        _area.init_cli(main)

__all__ = ["main"]
