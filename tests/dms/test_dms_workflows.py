from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from dealerhub.cli import main
from dealerhub.clikit import Context
from dealerhub.dms import queue, workflows
from dealerhub.dms.models import Lead
from dealerhub.tasks import celery
from tests.dms.conftest import lead_body, post_lead

VALID = """
name: nightly
schedule: "30 2 * * 1-5"
action: push_all
dealers: all
batch_size: 10
"""


def write(tmp_path, name, text):
    (tmp_path / f"{name}.yml").write_text(text)
    return tmp_path


def test_repository_workflows_are_valid():
    defs = workflows.load(workflows.default_dir())
    assert {"dms-lead-sync", "dms-deal-sync"} <= set(defs)
    assert defs["dms-lead-sync"].action == "push_leads"


def test_beat_schedules_the_sweep_and_the_workflow_tick(app):
    from dealerhub.app import bind_celery
    from dealerhub.dms import tasks

    bind_celery(app)
    schedule = celery.conf.beat_schedule
    assert schedule["dms-sync-sweep"] == tasks.BEAT_SCHEDULE["dms-sync-sweep"]
    assert schedule["dms-sync-sweep"]["task"] == "dealerhub.dms.tasks.sweep"
    assert schedule["dms-workflows-tick"]["task"] == "dealerhub.dms.tasks.workflows_tick"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: bad\nschedule: every day\naction: push_leads\n",
            "schedule: Must be a 5-field cron",
        ),
        ("name: bad\nschedule: '* * * * *'\naction: pull_everything\n", "action: Must be one of"),
        ("name: bad\nschedule: '* * * * *'\naction: push_leads\nbatch_size: 0\n", "batch_size"),
        ("name: bad\nschedule: '* * * * *'\naction: push_leads\ncolour: red\n", "colour: Unknown"),
        ("name: other\nschedule: '* * * * *'\naction: push_leads\n", "must match the file name"),
        ("name: bad\nschedule: [unclosed\n", "not valid YAML (line"),
        ("- just\n- a list\n", "must be a mapping"),
        ("name: bad\nschedule: '* * * * *'\naction: push_leads\ndealers: [nope]\n", "dealer ids"),
    ],
)
def test_invalid_definitions_fail_with_clear_errors(tmp_path, text, message):
    write(tmp_path, "bad", text)
    with pytest.raises(workflows.WorkflowError) as info:
        workflows.load(tmp_path)
    assert "bad.yml" in str(info.value)
    assert message in str(info.value)


def test_is_due(tmp_path):
    wf = workflows.load(write(tmp_path, "nightly", VALID))["nightly"]
    assert wf.is_due(datetime(2026, 11, 20, 2, 30, tzinfo=UTC))  # a Friday
    assert not wf.is_due(datetime(2026, 11, 21, 2, 30, tzinfo=UTC))  # Saturday
    assert not wf.is_due(datetime(2026, 11, 20, 2, 31, tzinfo=UTC))
    every5 = workflows.load(workflows.default_dir())["dms-lead-sync"]
    assert every5.is_due(datetime(2026, 1, 1, 0, 35, tzinfo=UTC))
    assert not every5.is_due(datetime(2026, 1, 1, 0, 36, tzinfo=UTC))


@pytest.fixture
def cli(app):
    def invoke(*args):
        ctx = Context(app=app)
        return CliRunner().invoke(main, list(args), obj=ctx, catch_exceptions=False)

    return invoke


def test_cli_lists_workflows(cli):
    result = cli("workflows", "list")
    assert result.exit_code == 0
    assert "dms-lead-sync" in result.output and "*/5 * * * *" in result.output


def test_cli_list_reports_invalid_files(cli, app, tmp_path, monkeypatch):
    write(tmp_path, "bad", "name: bad\nschedule: nope\naction: push_leads\n")
    monkeypatch.setitem(app.extensions["settings"].extra, "DMS_WORKFLOWS_DIR", str(tmp_path))
    result = cli("workflows", "list")
    assert result.exit_code == 1
    assert "bad.yml: schedule" in result.output


def test_cli_run_sends_pending_records_with_summary_and_records_the_run(
    cli, api, db, dealer, monkeypatch
):
    monkeypatch.setattr(queue, "enqueue", lambda *_a: None)  # leave the leads pending
    post_lead(api)
    other = lead_body()
    other["customer"] = {"first_name": "Rex", "last_name": "Dmsreject", "email": "rex@example.com"}
    post_lead(api, other)
    third = lead_body()
    third["customer"] = {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"}
    post_lead(api, third)

    result = cli("workflows", "run", "dms-lead-sync", "--dealer", dealer.id)
    assert result.exit_code == 0, result.output
    assert "3 record(s) in 1 run(s)" in result.output
    assert "synced: 2" in result.output and "dead: 1" in result.output

    runs = api.get("/dms/sync/runs").get_json()
    assert runs["object"] == "list" and len(runs["data"]) == 1
    run = runs["data"][0]
    assert run["workflow"] == "dms-lead-sync" and run["trigger"] == "manual"
    assert run["status"] == "succeeded"
    assert run["counts"]["synced"] == 2 and run["counts"]["dead"] == 1

    # A second run finds nothing left to send; the customer already at the DMS is "merged".
    with db.transaction() as s:
        row = s.scalars(
            select(Lead).where(Lead.dealer_id == dealer.id, Lead.sync_status == "synced")
        ).first()
        queue.mark_changed(s, row)
    result = cli("workflows", "run", "dms-lead-sync", "--dealer", dealer.id)
    assert "merged: 1" in result.output


def test_cli_run_unknown_workflow(cli):
    result = cli("workflows", "run", "nope")
    assert result.exit_code == 1 and "no workflow 'nope'" in result.output


def test_cli_replay(cli, api, db, dealer):
    body = lead_body()
    body["customer"]["last_name"] = "Dmsreject"
    lead = post_lead(api, body).get_json()
    with db.transaction() as s:
        s.get(Lead, lead["id"]).contact = {**body["customer"], "last_name": "Fixed"}
    result = cli("dms", "replay", "--dealer", dealer.id, "--inline")
    assert result.exit_code == 0, result.output
    assert f"{lead['id']}: synced" in result.output
    assert "replayed 1 record(s)" in result.output
    result = cli("dms", "replay", "lead_missing")
    assert result.exit_code == 1


def test_tick_runs_due_workflows(app, db, tmp_path, monkeypatch):
    write(tmp_path, "nightly", VALID)
    monkeypatch.setitem(app.extensions["settings"].extra, "DMS_WORKFLOWS_DIR", str(tmp_path))
    with app.app_context():
        dms = app.extensions["connectors"].dms
        ran = workflows.run_due(
            db,
            app.extensions["settings"],
            connector_factory=dms,
            moment=datetime(2026, 11, 20, 2, 30, tzinfo=UTC),
        )
        assert ran == ["nightly"]
        assert (
            workflows.run_due(
                db,
                app.extensions["settings"],
                connector_factory=dms,
                moment=datetime(2026, 11, 20, 2, 31, tzinfo=UTC),
            )
            == []
        )
