import itertools

import pytest
from sqlalchemy import select

from dealerhub.events.models import WebhookDelivery, WebhookEndpoint
from dealerhub.events.policy import DeliveryPolicy
from dealerhub.events.tasks import deliver, drain_deliveries, sweep_deliveries
from dealerhub.webhooks import verify
from tests.conftest import assert_error
from tests.events.conftest import emit


def make_endpoint(api, url, events=("*",)):
    r = api.post("/webhook-endpoints", json={"url": url, "enabled_events": list(events)})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def delivery_of(db, event_id):
    with db.transaction() as session:
        return session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.event_id == event_id)
        ).one()


def test_signed_delivery_and_attempt_log(app, api, dealer, receiver, clock):
    we = make_endpoint(api, receiver.url, ["customer.*"])
    emit(app, dealer.id, "charge.succeeded")  # not subscribed
    event_id = emit(app, dealer.id, "customer.created", {"id": "cus_9", "object": "customer"})
    assert receiver.wait_for(1)
    got = receiver.requests[0]
    assert got.json()["id"] == event_id and got.json()["type"] == "customer.created"
    assert got.headers["Content-Type"].startswith("application/json")
    assert verify(got.body, got.headers["Dealerhub-Signature"], we["secret"], now=clock.t)
    assert got.headers["Dealerhub-Signature"].startswith(f"t={clock.t},v1=")
    deliveries = api.get(f"/events/{event_id}/deliveries").get_json()
    (d,) = deliveries["data"]
    assert d["status"] == "succeeded" and d["webhook_endpoint"] == we["id"]
    (attempt,) = d["attempts"]
    assert attempt["status_code"] == 200 and attempt["created"] == clock.t
    assert attempt["response_body"] == '{"n": 1}' and attempt["latency_ms"] >= 0
    assert len(receiver.requests) == 1


def test_response_body_is_cut_to_1kb(app, api, dealer, receiver, monkeypatch):
    from dealerhub.events import sender
    from dealerhub.events.delivery import SendResult

    make_endpoint(api, receiver.url)
    monkeypatch.setattr(sender, "post", lambda p, **_: SendResult(500, 3, "x" * 5000))
    event_id = emit(app, dealer.id, "customer.created")
    (d,) = api.get(f"/events/{event_id}/deliveries").get_json()["data"]
    assert len(d["attempts"][0]["response_body"]) == 1024
    assert d["status"] == "pending"


def test_retry_schedule_with_frozen_clock(app, api, dealer, receiver, clock, db, options):
    options(
        WEBHOOK_TEST_RETRY_BASE_SECONDS="60",
        WEBHOOK_TEST_RETRY_CAP_SECONDS="3600",
        WEBHOOK_TEST_RETRY_WINDOW_SECONDS="10800",
    )
    receiver.status = 503
    make_endpoint(api, receiver.url)
    start = clock.t
    event_id = emit(app, dealer.id, "customer.created")
    times = [clock.t]
    for _ in range(50):
        d = delivery_of(db, event_id)
        if d.status != "pending":
            break
        # not due yet: a message arriving early sends nothing
        assert deliver(d.id) == "skipped"
        clock.t = d.next_attempt_at
        assert deliver(d.id) in ("pending", "failed")
        times.append(clock.t)
    d = delivery_of(db, event_id)
    assert d.status == "failed" and d.next_attempt_at is None
    assert len(receiver.requests) == len(times) == d.attempt_count
    gaps = [b - a for a, b in itertools.pairwise(times)]
    for n, gap in enumerate(gaps[:-1], start=1):  # the last one is clipped to the window
        ceiling = min(3600, 60 * 2 ** (n - 1))
        assert ceiling // 2 <= gap <= ceiling, (n, gap)
    assert times[-1] == start + 10800  # the last retry lands at the end of the window
    body = api.get(f"/events/{event_id}/deliveries").get_json()["data"][0]
    assert body["status"] == "failed" and len(body["attempts"]) == len(times)
    assert {a["status_code"] for a in body["attempts"]} == {503}
    assert api.get("/events?delivery_success=false").get_json()["data"][0]["id"] == event_id


def test_live_policy_backs_off_exponentially_up_to_three_days():
    policy = DeliveryPolicy()
    assert policy.window == 3 * 86400
    total, delays = 0, []
    while total < policy.window:
        delays.append(policy.delay(len(delays) + 1))
        total += delays[-1]
    assert delays[0] <= 60 and max(delays) <= 6 * 3600
    assert 10 <= len(delays) <= 40


def test_endpoint_disabled_after_failing_three_days(app, api, dealer, receiver, clock, db, options):
    options(
        WEBHOOK_TEST_RETRY_WINDOW_SECONDS=str(3 * 86400),
        WEBHOOK_TEST_RETRY_CAP_SECONDS=str(6 * 3600),
    )
    watcher = make_endpoint(api, "http://127.0.0.1:9/unused", ["webhook_endpoint.disabled"])
    api.patch(f"/webhook-endpoints/{watcher['id']}", json={"disabled": True})
    receiver.status = 500
    we = make_endpoint(api, receiver.url, ["customer.*"])
    event_id = emit(app, dealer.id, "customer.created")
    for _ in range(200):
        d = delivery_of(db, event_id)
        if d.status != "pending":
            break
        clock.t = d.next_attempt_at
        deliver(d.id)
    assert delivery_of(db, event_id).status == "failed"
    assert api.get(f"/webhook-endpoints/{we['id']}").get_json()["status"] == "disabled"
    events = api.get("/events?type=webhook_endpoint.disabled").get_json()["data"]
    assert len(events) == 1
    snapshot = events[0]["data"]["object"]
    assert snapshot["id"] == we["id"] and snapshot["status"] == "disabled"
    assert "secret" not in snapshot
    assert events[0]["data"]["previous_attributes"] == {"status": "enabled"}
    # new events no longer go to the disabled endpoint
    later = emit(app, dealer.id, "customer.updated")
    assert api.get(f"/events/{later}").get_json()["pending_webhooks"] == 0


def test_success_resets_failing_streak(app, api, dealer, receiver, clock, db):
    receiver.status = lambda n: 500 if n == 1 else 200
    we = make_endpoint(api, receiver.url)
    event_id = emit(app, dealer.id, "customer.created")
    with db.transaction() as session:
        assert session.get(WebhookEndpoint, we["id"]).failing_since == clock.t
    d = delivery_of(db, event_id)
    clock.t = d.next_attempt_at
    assert deliver(d.id) == "succeeded"
    with db.transaction() as session:
        assert session.get(WebhookEndpoint, we["id"]).failing_since is None
    assert api.get(f"/events/{event_id}").get_json()["pending_webhooks"] == 0
    # a duplicate message for a delivered event sends nothing and counts nothing
    assert deliver(d.id) == "skipped"
    assert len(receiver.requests) == 2


def test_manual_retry_resends_now(app, api, dealer, receiver, clock, db, options):
    options(WEBHOOK_TEST_RETRY_WINDOW_SECONDS="1")
    receiver.status = 500
    make_endpoint(api, receiver.url)
    event_id = emit(app, dealer.id, "customer.created")
    clock.advance(5)
    d = delivery_of(db, event_id)
    deliver(d.id)
    assert delivery_of(db, event_id).status == "failed"
    receiver.status = 200
    r = api.post(f"/events/{event_id}/retry")
    assert r.status_code == 200 and r.get_json()["id"] == event_id
    assert api.get(f"/events/{event_id}").get_json()["pending_webhooks"] == 0
    assert delivery_of(db, event_id).status == "succeeded"
    assert_error(api.post("/events/evt_nope/retry"), 404, "invalid_request_error")


def test_deleted_or_disabled_endpoint_stops_retries(app, api, dealer, receiver, clock, db):
    receiver.status = 500
    we = make_endpoint(api, receiver.url)
    event_id = emit(app, dealer.id, "customer.created")
    api.delete(f"/webhook-endpoints/{we['id']}")
    d = delivery_of(db, event_id)
    clock.t = d.next_attempt_at
    assert deliver(d.id) == "skipped"
    assert delivery_of(db, event_id).status == "failed"
    assert len(receiver.requests) == 1


def test_live_delivery_refuses_private_address_at_send_time(
    app, live_api, dealer, clock, db, monkeypatch
):
    from dealerhub.events import urls

    answers = {"hooks.example": ["93.184.216.34"]}
    monkeypatch.setattr(urls, "resolve", lambda host, port: answers[host])
    make_endpoint(live_api, "https://hooks.example/h")
    answers["hooks.example"] = ["127.0.0.1"]  # DNS now points inside
    event_id = emit(app, dealer.id, "customer.created", livemode=True)
    (d,) = live_api.get(f"/events/{event_id}/deliveries").get_json()["data"]
    assert d["attempts"][0]["error"].startswith("blocked:")
    assert d["attempts"][0]["status_code"] is None


def test_delivery_connects_to_the_address_the_check_passed(
    app, api, dealer, receiver, clock, db, monkeypatch
):
    """DNS rebinding: the check and the connection must not resolve the name separately. The
    name resolves (through the check's seam) to the receiver's loopback address; any second
    lookup of it fails, so only a connection to the checked address reaches the receiver."""
    import socket

    from dealerhub.events import urls

    port = receiver.url.split(":")[2].split("/")[0]
    monkeypatch.setattr(urls, "resolve", lambda host, port: {"hooks.test": ["127.0.0.1"]}[host])
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "hooks.test":
            raise socket.gaierror(socket.EAI_NONAME, "a second lookup: rebinding window")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    make_endpoint(api, f"http://hooks.test:{port}/hook")
    event_id = emit(app, dealer.id, "customer.created")
    assert delivery_of(db, event_id).status == "succeeded"
    (received,) = receiver.requests
    assert received.headers["Host"] == f"hooks.test:{port}"


def test_https_attempt_verifies_the_name_while_connecting_to_the_address():
    import requests

    from dealerhub.events.sender import PinnedAdapter, pinned

    url, host = pinned("https://hooks.example:8443/h?x=1", "93.184.216.34")
    assert (url, host) == ("https://93.184.216.34:8443/h?x=1", "hooks.example:8443")
    assert pinned("https://hooks.example/h", "2606:2800::1")[0] == "https://[2606:2800::1]/h"
    request = requests.Request("POST", url, headers={"Host": host}).prepare()
    pool = PinnedAdapter().get_connection_with_tls_context(request, True)
    assert (pool.host, pool.port) == ("93.184.216.34", 8443)
    assert pool.assert_hostname == "hooks.example"
    assert pool.conn_kw["server_hostname"] == "hooks.example"


def test_sweep_recovers_deliveries_the_broker_never_got(
    app, api, dealer, receiver, clock, db, monkeypatch, options
):
    options(WEBHOOK_LEASE_SECONDS="60")
    make_endpoint(api, receiver.url)
    sent = []
    # The broker is down: the outbox's "deliveries are waiting" signal cannot be sent.
    monkeypatch.setattr(
        drain_deliveries,
        "apply_async",
        lambda *a, **k: sent.append(a) or (_ for _ in ()).throw(ConnectionError("broker down")),
    )
    event_id = emit(app, dealer.id, "customer.created")  # commit succeeds, enqueue fails
    assert len(sent) == 1 and receiver.requests == []
    monkeypatch.undo()
    options(WEBHOOK_LEASE_SECONDS="60")
    monkeypatch.setattr("dealerhub.db.now", clock)
    d = delivery_of(db, event_id)

    def sweep_ids():
        from dealerhub.events.delivery import sweep

        with db.transaction() as session:
            return sweep(session, app.extensions["settings"])

    assert d.id not in sweep_ids()  # within the lease: it may still be queued somewhere
    clock.advance(61)
    assert d.id in sweep_ids()
    assert receiver.wait_for(1)
    assert receiver.event_ids() == [event_id]
    assert delivery_of(db, event_id).status == "succeeded"
    assert d.id not in sweep_ids()
    assert sweep_deliveries() >= 0  # the beat task wraps the same function


@pytest.mark.parametrize("retention", ["30", "1"])
def test_purge_keeps_thirty_days_at_least(app, api, dealer, clock, options, retention):
    from dealerhub.events.tasks import purge_old_events

    options(EVENT_RETENTION_DAYS=retention)
    old = emit(app, dealer.id, "customer.created")
    clock.advance(29 * 86400)
    purge_old_events()
    assert api.get(f"/events/{old}").status_code == 200
    clock.advance(2 * 86400)
    purge_old_events()
    assert api.get(f"/events/{old}").status_code == 404


def test_cli_sweep_and_purge(app, monkeypatch):
    from click.testing import CliRunner

    from dealerhub import cli
    from dealerhub.clikit import Context

    runner = CliRunner()
    result = runner.invoke(cli.main, ["events", "sweep"], obj=Context(app=app))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("re-enqueued ")
    result = runner.invoke(cli.main, ["events", "purge"], obj=Context(app=app))
    assert result.exit_code == 0 and result.output.startswith("purged ")


def test_delivery_logs_carry_no_payload_or_secret(app, api, dealer, receiver, caplog):
    import logging

    we = make_endpoint(api, receiver.url)
    receiver.status = 500
    with caplog.at_level(logging.DEBUG):
        emit(app, dealer.id, "customer.created", {"id": "cus_1", "email": "jane@example.com"})
    assert receiver.wait_for(1)
    assert "jane@example.com" not in caplog.text
    assert we["secret"] not in caplog.text
