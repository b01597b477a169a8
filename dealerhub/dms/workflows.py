"""``workflows/*.yml``: declarative scheduled sync jobs, validated on load, run by beat or CLI.

A file looks like::

    name: dms-lead-sync
    description: Push new and changed leads to each dealer's DMS.
    schedule: "*/5 * * * *"      # cron, UTC
    dealers: all                 # or a list of dealer ids
    action: push_leads           # push_leads | push_deals | push_all
    batch_size: 100
    retry: {max_attempts: 5}

Every run is recorded per dealer and mode as a :class:`SyncRun` (``GET /dms/sync/runs``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, validate, validates
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.config import Settings
from dealerhub.db import Database, new_id, now
from dealerhub.dms import sync
from dealerhub.dms.models import SyncRun
from dealerhub.errors import DealerhubError
from dealerhub.pagination import paginate
from dealerhub.tenancy import Tenant, scoped

ACTIONS = {"push_leads": ("lead",), "push_deals": ("deal",), "push_all": ("lead", "deal")}
_CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")
_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


class WorkflowError(Exception):
    """A workflow file is invalid; the message names the file and the field."""


class RetrySchema(Schema):
    max_attempts = fields.Integer(load_default=5, validate=validate.Range(min=1, max=50))


class WorkflowSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,79}$"))
    description = fields.String(load_default="")
    schedule = fields.String(required=True)
    dealers = fields.Raw(load_default="all")
    action = fields.String(required=True, validate=validate.OneOf(list(ACTIONS)))
    batch_size = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    retry = fields.Nested(RetrySchema, load_default=lambda: {"max_attempts": 5})
    enabled = fields.Boolean(load_default=True)

    @validates("schedule")
    def _cron(self, value: str, **_kw: Any) -> None:
        parts = value.split()
        if len(parts) != 5 or not all(_CRON_FIELD.match(p) for p in parts):
            raise ValidationError(
                "Must be a 5-field cron expression (minute hour day month weekday), e.g. "
                "'*/5 * * * *'."
            )

    @validates("dealers")
    def _dealers(self, value: Any, **_kw: Any) -> None:
        if value == "all":
            return
        if not isinstance(value, list) or not all(
            isinstance(v, str) and v.startswith("acct_") for v in value
        ):
            raise ValidationError("Must be 'all' or a list of dealer ids (acct_…).")


def _field_matches(spec: str, value: int, low: int, high: int) -> bool:
    for part in spec.split(","):
        base, _, step_s = part.partition("/")
        step = int(step_s) if step_s else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            start, end = (int(x) for x in base.split("-"))
        else:
            start = int(base)
            end = high if step_s else start
        if start <= value <= end and (value - start) % step == 0:
            return True
    return False


@dataclass(frozen=True)
class Workflow:
    name: str
    description: str
    schedule: str
    dealers: str | tuple[str, ...]
    action: str
    batch_size: int
    max_attempts: int
    enabled: bool
    path: str

    def is_due(self, moment: datetime) -> bool:
        """Whether the cron schedule fires in ``moment``'s minute (UTC)."""
        values = (moment.minute, moment.hour, moment.day, moment.month, moment.isoweekday() % 7)
        return all(
            _field_matches(spec, v, lo, hi)
            for spec, v, (lo, hi) in zip(self.schedule.split(), values, _CRON_RANGES, strict=True)
        )


def default_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "workflows"


def workflows_dir(settings: Settings) -> Path:
    return Path(settings.option("DMS_WORKFLOWS_DIR") or default_dir())


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        out: list[str] = []
        for key, value in messages.items():
            out.extend(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix}: {' '.join(messages)}"]
    return [f"{prefix}: {messages}"]


def load_file(path: Path) -> Workflow:
    where = path.name
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise WorkflowError(f"{where}: not valid YAML{line}: {exc}") from exc
    if not isinstance(raw, dict):
        raise WorkflowError(f"{where}: must be a mapping of settings, not {type(raw).__name__}")
    try:
        data = WorkflowSchema().load(raw)
    except ValidationError as exc:
        raise WorkflowError(f"{where}: " + "; ".join(_flatten(exc.messages))) from exc
    if data["name"] != path.stem:
        raise WorkflowError(f"{where}: name '{data['name']}' must match the file name")
    dealers = data["dealers"]
    return Workflow(
        name=data["name"],
        description=data["description"],
        schedule=data["schedule"],
        dealers=dealers if dealers == "all" else tuple(dealers),
        action=data["action"],
        batch_size=data["batch_size"],
        max_attempts=data["retry"]["max_attempts"],
        enabled=data["enabled"],
        path=str(path),
    )


def load(directory: Path) -> dict[str, Workflow]:
    """Every ``*.yml``/``*.yaml`` in ``directory``; all errors are reported together."""
    found: dict[str, Workflow] = {}
    errors: list[str] = []
    files = sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")])
    for path in files:
        try:
            wf = load_file(path)
        except WorkflowError as exc:
            errors.append(str(exc))
            continue
        found[wf.name] = wf
    if errors:
        raise WorkflowError("invalid workflow definitions:\n  " + "\n  ".join(errors))
    return found


@dataclass
class Batch:
    tenant: Tenant
    items: list[tuple[str, str]]


def plan(db: Database, wf: Workflow, *, dealer_id: str | None = None) -> list[Batch]:
    """The records a run would send, grouped by dealer and mode (each gets its own run row)."""
    t = now()
    groups: dict[Tenant, list[tuple[str, str]]] = {}
    with db.transaction(write=False) as session:
        for kind in ACTIONS[wf.action]:
            model = sync.MODELS[kind]
            stmt = select(model.dealer_id, model.livemode, model.id).where(
                col(model.sync_status).in_(("pending", "failed")),
                (col(model.sync_lease_until).is_(None)) | (model.sync_lease_until <= t),
            )
            if dealer_id:
                stmt = stmt.where(model.dealer_id == dealer_id)
            elif wf.dealers != "all":
                stmt = stmt.where(col(model.dealer_id).in_(wf.dealers))
            for d, live, record_id in session.execute(stmt.order_by(model.created)):
                groups.setdefault(Tenant(d, live), []).append((kind, record_id))
    return [Batch(tenant, items) for tenant, items in groups.items()]


def run(
    db: Database,
    wf: Workflow,
    *,
    connector_factory: sync.ConnectorFactory,
    dealer_id: str | None = None,
    trigger: str = "manual",
    progress: Callable[[str], None] | None = None,
    batches: list[Batch] | None = None,
) -> list[SyncRun]:
    """Send every due record of the workflow, dealer by dealer; one failing dealer never
    stops the others (its run is marked ``failed`` with the reason)."""
    runs: list[SyncRun] = []
    for batch in batches if batches is not None else plan(db, wf, dealer_id=dealer_id):
        counts = {"synced": 0, "merged": 0, "failed": 0, "dead": 0, "skipped": 0}
        with db.transaction() as session:
            record = SyncRun(
                id=new_id("syncrun"),
                dealer_id=batch.tenant.dealer_id,
                livemode=batch.tenant.livemode,
                workflow=wf.name,
                trigger=trigger,
            )
            session.add(record)
        error = None
        try:
            for start in range(0, len(batch.items), wf.batch_size):
                for kind, record_id in batch.items[start : start + wf.batch_size]:
                    outcome = sync.run(
                        db,
                        kind,
                        record_id,
                        connector_factory=connector_factory,
                        options=sync.Options(max_attempts=wf.max_attempts),
                    )
                    status = "synced" if outcome.status == "pending" else outcome.status
                    counts[status] = counts.get(status, 0) + 1
                    if outcome.matched:
                        counts["merged"] += 1
                    if progress is not None:
                        progress(outcome.status)
        except (DealerhubError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        with db.transaction() as session:
            row = session.get(SyncRun, record.id)
            assert row is not None
            row.counts = counts
            row.finished = now()
            row.status = "failed" if error else "succeeded"
            row.error = error
            runs.append(row)
    return runs


def run_due(
    db: Database,
    settings: Settings,
    *,
    connector_factory: sync.ConnectorFactory,
    moment: datetime | None = None,
) -> list[str]:
    """Run every enabled workflow whose schedule fires this minute (the beat tick)."""
    moment = moment or datetime.now(UTC)
    ran = []
    for wf in load(workflows_dir(settings)).values():
        if wf.enabled and wf.is_due(moment):
            run(db, wf, connector_factory=connector_factory, trigger="schedule")
            ran.append(wf.name)
    return ran


def list_runs(session: Session, tenant: Tenant, args: dict[str, Any]) -> dict[str, Any]:
    stmt = scoped(SyncRun, tenant)
    if args.get("workflow"):
        stmt = stmt.where(col(SyncRun.workflow) == args["workflow"])
    return paginate(session, stmt, SyncRun, args, url="/dms/sync/runs")
