from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dealerhub.connectors.base import ConnectorUnavailable
from dealerhub.connectors.dms.base import DmsPushResult
from dealerhub.connectors.dms.sandbox import SandboxDms
from dealerhub.connectors.dms.sandbox_models import SandboxDmsCustomer
from dealerhub.dms import queue, sync
from dealerhub.dms.models import Lead
from dealerhub.events.models import Event
from tests.conftest import assert_error
from tests.dms.conftest import lead_body, post_lead


def _lead(db, lead_id):
    with db.transaction() as s:
        return s.get(Lead, lead_id)


def _events(db, dealer_id):
    with db.transaction() as s:
        return list(s.scalars(select(Event.type).where(Event.dealer_id == dealer_id)))


def _sandbox_customers(db, dealer_id):
    with db.transaction() as s:
        return s.scalar(
            select(func.count())
            .select_from(SandboxDmsCustomer)
            .where(SandboxDmsCustomer.dealer_id == dealer_id)
        )


def only_for(dealer_id, connector):
    """Sweeps are global: other tests' leftovers must not reach this test's connector."""

    def factory(_session, tenant):
        if tenant.dealer_id == dealer_id:
            return connector
        return SandboxDms(__import__("flask").current_app.extensions["db"], tenant.dealer_id)

    return factory


class Flaky:
    """Fails ``failures`` times with a retryable outage, then behaves like the sandbox."""

    name = "flaky"

    def __init__(self, db, dealer_id, failures):
        self.inner = SandboxDms(db, dealer_id)
        self.failures = failures
        self.calls = 0

    def push_lead(self, lead):
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectorUnavailable("down", vendor="flaky", http_status=503)
        return self.inner.push_lead(lead)

    def push_deal(self, deal):
        return self.inner.push_deal(deal)


def test_synced_lead_records_keys_and_event(api, db, dealer):
    lead = post_lead(api).get_json()
    row = _lead(db, lead["id"])
    assert row.sync_status == "synced"
    assert row.dms_customer_key and row.external_id == row.dms_customer_key
    assert row.sync_lease_until is None
    assert "lead.synced" in _events(db, dealer.id)
    assert _sandbox_customers(db, dealer.id) == 1


def _retry_due(db, lead_id, monkeypatch):
    """Tests run tasks eagerly, where Celery's countdown retry is not re-executed: advance
    the clock to the scheduled retry and let the sweep send it, as beat would."""
    row = _lead(db, lead_id)
    assert row.sync_status == "failed" and row.sync_retry_at is not None
    due = row.sync_retry_at
    monkeypatch.setattr(sync, "now", lambda: due)
    assert sync.sweep(db) >= 1


def test_retryable_failures_retry_then_succeed(api, db, dealer, monkeypatch, swap_connectors):
    flaky = Flaky(db, dealer.id, failures=2)
    swap_connectors(dms_override=only_for(dealer.id, flaky))
    lead = post_lead(api).get_json()
    _retry_due(db, lead["id"], monkeypatch)
    _retry_due(db, lead["id"], monkeypatch)
    row = _lead(db, lead["id"])
    assert row.sync_status == "synced"
    assert row.sync_attempts == 3
    assert flaky.calls == 3
    assert _sandbox_customers(db, dealer.id) == 1


def test_outage_uses_up_retries_then_goes_dead_and_is_listed(api, db, dealer, monkeypatch):
    body = lead_body()
    body["customer"]["last_name"] = "Dmsdown"
    lead = post_lead(api, body).get_json()
    for _ in range(sync.DEFAULT_MAX_ATTEMPTS - 1):
        _retry_due(db, lead["id"], monkeypatch)
    row = _lead(db, lead["id"])
    assert row.sync_status == "dead"
    assert row.sync_attempts == sync.DEFAULT_MAX_ATTEMPTS
    assert "Dmsdown" in row.sync_last_error
    failures = api.get("/dms/sync/failures").get_json()
    assert [f["id"] for f in failures["data"]] == [lead["id"]]
    assert failures["data"][0]["record_type"] == "lead"
    assert "lead.sync_failed" in _events(db, dealer.id)


def test_permanent_rejection_is_dead_at_once(api, db):
    body = lead_body()
    body["customer"]["last_name"] = "Dmsreject"
    lead = post_lead(api, body).get_json()
    row = _lead(db, lead["id"])
    assert row.sync_status == "dead"
    assert row.sync_attempts == 1
    assert "record_rejected" in row.sync_last_error


def test_permission_error_names_the_method(api, db):
    body = lead_body()
    body["customer"]["last_name"] = "Dmsnoaccess"
    lead = post_lead(api, body).get_json()
    row = _lead(db, lead["id"])
    assert row.sync_status == "dead" and row.sync_attempts == 1
    assert "'Customers' is not enabled" in row.sync_last_error


def test_replay_sends_a_dead_record_again(api, db, dealer, swap_connectors):
    body = lead_body()
    body["customer"]["last_name"] = "Dmsreject"
    lead = post_lead(api, body).get_json()
    assert_error(api.post("/dms/sync/failures/lead_nope/replay"), 404, "invalid_request_error")
    # The dealer fixed the record at the DMS side; replay now succeeds.
    swap_connectors(dms_override=lambda _s, _t: SandboxDms(db, dealer.id))
    with db.transaction() as s:
        s.get(Lead, lead["id"]).contact = {**body["customer"], "last_name": "Fixed"}
    response = api.post(f"/dms/sync/failures/{lead['id']}/replay")
    assert response.status_code == 200, response.get_json()
    assert _lead(db, lead["id"]).sync_status == "synced"
    assert api.get("/dms/sync/failures").get_json()["data"] == []
    body = assert_error(
        api.post(f"/dms/sync/failures/{lead['id']}/replay"), 400, "invalid_request_error"
    )
    assert "synced" in body["message"]


def test_failure_schedules_retry_with_backoff(api, db, dealer, monkeypatch):
    monkeypatch.setattr(queue, "enqueue", lambda *_a: None)
    lead = post_lead(api).get_json()
    flaky = Flaky(db, dealer.id, failures=5)
    outcome = sync.run(db, "lead", lead["id"], connector_factory=lambda _s, _t: flaky)
    assert outcome.status == "failed" and outcome.retryable
    row = _lead(db, lead["id"])
    assert row.sync_status == "failed" and row.sync_retry_at is not None
    assert row.sync_lease_until is None


def test_change_during_sync_is_sent_again(api, db, dealer, monkeypatch):
    sent = []
    monkeypatch.setattr(queue, "enqueue", lambda _s, record: sent.append(record.id))
    lead = post_lead(api).get_json()
    claim = sync.claim(db, "lead", lead["id"])
    assert claim is not None
    assert sync.claim(db, "lead", lead["id"]) is None  # leased: a second worker backs off
    with db.transaction() as s:
        queue.mark_changed(s, s.get(Lead, lead["id"]))
    with db.transaction() as s:
        [outcome] = sync.finish(s, [(claim, DmsPushResult("C1", "C1"))], sync.Options())
    assert outcome.status == "pending"
    assert _lead(db, lead["id"]).sync_status == "pending"
    assert sent.count(lead["id"]) >= 2


def test_sweep_resends_records_never_handed_to_the_broker(api, db, dealer, monkeypatch):
    real_enqueue = queue.enqueue
    monkeypatch.setattr(queue, "enqueue", lambda *_a: None)  # broker down at commit
    lead = post_lead(api).get_json()
    assert _lead(db, lead["id"]).sync_status == "pending"
    monkeypatch.setattr(queue, "enqueue", real_enqueue)
    sync.sweep(db)  # within the grace period the enqueue may still be coming: left alone
    assert _lead(db, lead["id"]).sync_status == "pending"
    later = _lead(db, lead["id"]).updated + sync.SWEEP_GRACE_SECONDS + 1
    monkeypatch.setattr(sync, "now", lambda: later)
    sync.sweep(db)
    assert _lead(db, lead["id"]).sync_status == "synced"


def test_worker_killed_after_the_dms_call_leaves_nothing_unsynced_or_doubled(
    api, db, dealer, monkeypatch
):
    real_enqueue = queue.enqueue
    monkeypatch.setattr(queue, "enqueue", lambda *_a: None)
    lead = post_lead(api).get_json()

    class DiesAfterPush:
        name = "dies"

        def push_lead(self, payload):
            SandboxDms(db, dealer.id).push_lead(payload)  # the DMS customer now exists
            raise KeyboardInterrupt  # the worker dies before recording the result

    with pytest.raises(KeyboardInterrupt):
        sync.run(db, "lead", lead["id"], connector_factory=lambda _s, _t: DiesAfterPush())
    row = _lead(db, lead["id"])
    assert row.sync_status == "pending" and row.sync_lease_until is not None
    assert row.external_id is None
    assert _sandbox_customers(db, dealer.id) == 1

    monkeypatch.setattr(queue, "enqueue", real_enqueue)
    sync.sweep(db)  # the lease is still live: nobody else may send it yet
    assert _lead(db, lead["id"]).sync_status == "pending"
    expired = row.sync_lease_until + 1
    monkeypatch.setattr(sync, "now", lambda: expired)
    sync.sweep(db)
    row = _lead(db, lead["id"])
    assert row.sync_status == "synced"
    assert _sandbox_customers(db, dealer.id) == 1  # found by the look-up, not inserted again


def test_live_mode_without_configuration_is_a_clear_non_retryable_failure(live_api, db):
    lead = post_lead(live_api).get_json()
    row = _lead(db, lead["id"])
    assert row.sync_status == "dead"
    assert row.sync_attempts == 1
    assert "dms_not_configured" in row.sync_last_error


def _killed_worker(base_settings, dealer, **job) -> None:
    """Run ``tests/dms/killed_worker.py`` until it has pushed, then SIGKILL it."""
    args = {
        "data_dir": str(base_settings.data_dir),
        "database_url": base_settings.database_url,
        "broker_url": base_settings.broker_url,
        "secret_key": str(base_settings.secret_key),
        "encryption_keys": [str(k) for k in base_settings.encryption_keys],
        "dealer_id": dealer.id,
        **job,
    }
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, str(root / "tests/dms/killed_worker.py"), json.dumps(args)],
        stdout=subprocess.PIPE,
        cwd=root,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == b"PUSHED"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_worker_process_sigkilled_mid_sync(api, db, dealer, base_settings, monkeypatch):
    real_enqueue = queue.enqueue
    monkeypatch.setattr(queue, "enqueue", lambda *_a: None)
    lead = post_lead(api).get_json()
    _killed_worker(base_settings, dealer, lead_id=lead["id"])
    row = _lead(db, lead["id"])
    assert row.sync_status == "pending" and row.external_id is None
    assert _sandbox_customers(db, dealer.id) == 1

    monkeypatch.setattr(queue, "enqueue", real_enqueue)
    expired = row.sync_lease_until + 1
    monkeypatch.setattr(sync, "now", lambda: expired)
    sync.sweep(db)
    row = _lead(db, lead["id"])
    assert row.sync_status == "synced"
    assert _sandbox_customers(db, dealer.id) == 1


@pytest.mark.slow
def test_worker_killed_in_the_middle_of_a_batch(api, db, dealer, base_settings, monkeypatch):
    """Three of six leads reach the DMS, three are still in flight: the kill loses none and
    doubles none once the batch's lease runs out."""
    real_enqueue = queue.enqueue
    monkeypatch.setattr(queue, "enqueue", lambda *_a: None)
    ids = []
    for i in range(6):
        body = lead_body(customer={"email": f"buyer{i}@example.com", "phone": f"55501{i:05d}"})
        ids.append(post_lead(api, body).get_json()["id"])
    _killed_worker(base_settings, dealer, drain=3)
    rows = [_lead(db, i) for i in ids]
    assert {(r.sync_status, r.sync_attempts, r.external_id) for r in rows} == {("pending", 1, None)}
    assert _sandbox_customers(db, dealer.id) == 3

    monkeypatch.setattr(queue, "enqueue", real_enqueue)
    sync.sweep(db)  # the batch's lease is still live: nobody else may send it yet
    assert {_lead(db, i).sync_status for i in ids} == {"pending"}
    expired = max(r.sync_lease_until for r in rows) + 1
    monkeypatch.setattr(sync, "now", lambda: expired)
    assert sync.sweep(db) >= 6  # other tests' leftovers too, on a shared database
    rows = [_lead(db, i) for i in ids]
    assert {(r.sync_status, r.sync_attempts) for r in rows} == {("synced", 2)}
    assert _sandbox_customers(db, dealer.id) == 6  # three found by the look-up, three added


def test_unexpected_connector_bug_dead_letters_without_leaking(
    api, db, dealer, monkeypatch, caplog
):
    monkeypatch.setattr(queue, "enqueue", lambda *_a: None)
    lead = post_lead(api).get_json()

    class Buggy:
        name = "buggy"

        def push_lead(self, payload):
            raise TypeError(f"boom for {payload.contact.email}")

    outcome = sync.run(db, "lead", lead["id"], connector_factory=lambda _s, _t: Buggy())
    assert outcome.status == "dead"
    row = _lead(db, lead["id"])
    assert row.sync_status == "dead" and row.sync_last_error == "TypeError"
    assert "jane.doe@example.com" not in caplog.text


def test_a_connector_that_cannot_be_built_dead_letters_the_record(api, db, monkeypatch, caplog):
    monkeypatch.setattr(queue, "enqueue", lambda *_a: None)
    lead = post_lead(api).get_json()

    def broken(_session, _tenant):
        raise RuntimeError("jane.doe@example.com in a bad config")

    outcome = sync.run(db, "lead", lead["id"], connector_factory=broken)
    assert outcome.status == "dead"
    row = _lead(db, lead["id"])
    assert row.sync_status == "dead" and row.sync_last_error == "RuntimeError"
    assert "jane.doe@example.com" not in caplog.text
