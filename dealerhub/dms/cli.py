"""``dealerhub dms replay`` and ``dealerhub workflows list|run``: thin wrappers over services."""

from __future__ import annotations

import json
from typing import Any

import click

from dealerhub.clikit import DEALER, Context, pass_ctx
from dealerhub.dms import failures, sync, workflows
from dealerhub.tenancy import Tenant


def register(group: click.Group) -> None:
    @group.group("dms")
    def dms() -> None:
        """DMS sync operations."""

    @dms.command("replay")
    @click.argument("record_ids", nargs=-1)
    @click.option(
        "--dealer", "dealer_id", type=DEALER, help="Replay every dead record of this dealer."
    )
    @click.option("--live", is_flag=True, help="With --dealer: live mode instead of test mode.")
    @click.option("--inline", is_flag=True, help="Send now in this process and print the result.")
    @pass_ctx
    def replay(
        ctx: Context, record_ids: tuple[str, ...], dealer_id: str | None, live: bool, inline: bool
    ) -> None:
        """Send dead leads/deals again (by id, or all of a dealer's with --dealer)."""
        if not record_ids and not dealer_id:
            raise click.UsageError("give record ids or --dealer ID")
        with ctx.app.app_context():
            db = ctx.app.extensions["db"]
            targets: list[tuple[Tenant, str]] = []
            with db.transaction(write=False) as session:
                for record_id in record_ids:
                    model = sync.MODELS["deal" if record_id.startswith("deal_") else "lead"]
                    row = session.get(model, record_id)
                    if row is None:
                        raise click.ClickException(f"no such lead or deal: {record_id}")
                    targets.append((Tenant(row.dealer_id, row.livemode), record_id))
                if dealer_id:
                    tenant = Tenant(dealer_id, live)
                    for stmt in failures.failures_stmt(tenant):
                        targets.extend((tenant, r.id) for r in session.scalars(stmt))
            outcomes: dict[str, int] = {}
            for tenant, record_id in targets:
                try:
                    with db.transaction() as session:
                        failures.replay(session, tenant, record_id)
                except Exception as exc:  # one bad id must not stop the rest
                    click.echo(f"{record_id}: not replayed: {exc}", err=True)
                    outcomes["skipped"] = outcomes.get("skipped", 0) + 1
                    continue
                status = "queued"
                if inline:
                    kind = "deal" if record_id.startswith("deal_") else "lead"
                    status = sync.run(
                        db, kind, record_id, connector_factory=ctx.app.extensions["connectors"].dms
                    ).status
                    if status == "skipped":  # a worker got there first: report its result
                        with db.transaction(write=False) as session:
                            row = session.get(sync.MODELS[kind], record_id)
                            status = row.sync_status if row is not None else status
                outcomes[status] = outcomes.get(status, 0) + 1
                click.echo(f"{record_id}: {status}")
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())) or "nothing to do"
        click.echo(f"replayed {len(targets)} record(s) ({summary})")

    @group.group("workflows")
    def workflows_group() -> None:
        """Scheduled sync jobs defined in workflows/*.yml."""

    @workflows_group.command("list")
    @click.option("--json", "as_json", is_flag=True)
    @pass_ctx
    def workflows_list(ctx: Context, as_json: bool) -> None:
        """List workflow definitions (validating every file)."""
        directory = workflows.workflows_dir(ctx.settings)
        try:
            defs = workflows.load(directory)
        except workflows.WorkflowError as exc:
            raise click.ClickException(str(exc)) from exc
        rows: list[dict[str, Any]] = [
            {
                "name": wf.name,
                "schedule": wf.schedule,
                "action": wf.action,
                "dealers": wf.dealers if wf.dealers == "all" else list(wf.dealers),
                "batch_size": wf.batch_size,
                "max_attempts": wf.max_attempts,
                "enabled": wf.enabled,
                "description": wf.description,
            }
            for wf in defs.values()
        ]
        if as_json:
            click.echo(json.dumps(rows))
            return
        if not rows:
            click.echo(f"no workflows in {directory}")
        for r in rows:
            state = "" if r["enabled"] else "  (disabled)"
            dealers = r["dealers"] if r["dealers"] == "all" else ",".join(r["dealers"])
            click.echo(
                f"{r['name']:<24} {r['schedule']:<14} {r['action']:<11} "
                f"dealers={dealers} batch={r['batch_size']}{state}"
            )

    @workflows_group.command("run")
    @click.argument("name")
    @click.option("--dealer", "dealer_id", type=DEALER, help="Only this dealer.")
    @pass_ctx
    def workflows_run(ctx: Context, name: str, dealer_id: str | None) -> None:
        """Run one workflow now, with a progress bar and a summary."""
        try:
            defs = workflows.load(workflows.workflows_dir(ctx.settings))
        except workflows.WorkflowError as exc:
            raise click.ClickException(str(exc)) from exc
        if name not in defs:
            raise click.ClickException(
                f"no workflow '{name}'; known: {', '.join(sorted(defs)) or 'none'}"
            )
        wf = defs[name]
        with ctx.app.app_context():
            db = ctx.app.extensions["db"]
            batches = workflows.plan(db, wf, dealer_id=dealer_id)
            total = sum(len(b.items) for b in batches)
            with click.progressbar(length=total, label=f"{name}", show_pos=True) as bar:
                runs = workflows.run(
                    db,
                    wf,
                    connector_factory=ctx.app.extensions["connectors"].dms,
                    dealer_id=dealer_id,
                    trigger="manual",
                    progress=lambda _status: bar.update(1),
                    batches=batches,
                )
        totals = {"synced": 0, "merged": 0, "failed": 0, "dead": 0, "skipped": 0}
        for run in runs:
            for key, value in run.counts.items():
                totals[key] = totals.get(key, 0) + value
            if run.error:
                click.echo(f"{run.dealer_id}: {run.error}", err=True)
        click.echo(
            f"{name}: {total} record(s) in {len(runs)} run(s) — "
            + ", ".join(f"{k}: {totals[k]}" for k in ("synced", "merged", "failed", "dead"))
            + (f", skipped: {totals['skipped']}" if totals["skipped"] else "")
        )
