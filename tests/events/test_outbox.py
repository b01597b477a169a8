"""The outbox buffers events in the session and writes them in one INSERT before the next
flush, query, savepoint or commit; rollbacks drop exactly what they should."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import col

from dealerhub.dealers.models import Dealer
from dealerhub.events.models import EndpointStatus, Event, WebhookDelivery, WebhookEndpoint
from dealerhub.events.service import record_event
from dealerhub.tenancy import Tenant
from tests.conftest import config_cached


def _types(db: Any, dealer_id: str) -> list[str]:
    with db.transaction(write=False) as s:
        stmt = select(col(Event.type)).where(col(Event.dealer_id) == dealer_id)
        return sorted(s.scalars(stmt))


def test_events_of_a_transaction_are_written_by_one_insert(db, dealer, statements):
    tenant = Tenant(dealer.id, False)
    with db.transaction() as s:
        for n in range(3):
            record_event(s, tenant, f"thing.step{n}", {"id": "x_1"})
        assert statements == []  # nothing is written (or locked) before the commit
    inserts = [q for q in statements if q.startswith("INSERT INTO events")]
    assert len(inserts) == 1
    assert _types(db, dealer.id) == ["thing.step0", "thing.step1", "thing.step2"]


def test_a_query_in_the_same_transaction_sees_recorded_events(db, dealer):
    tenant = Tenant(dealer.id, False)
    with db.transaction() as s:
        event_id = record_event(s, tenant, "thing.happened", {"id": "x_1"})
        found = s.scalars(select(Event).where(col(Event.id) == event_id)).one()
        assert found.data == {"object": {"id": "x_1"}}
        assert s.scalar(select(func.count()).select_from(Event).where(col(Event.id) == event_id))


def test_rollback_drops_buffered_events(db, dealer):
    tenant = Tenant(dealer.id, False)
    s = db.session()
    try:
        record_event(s, tenant, "thing.undone", {"id": "x_1"})
        s.rollback()
        record_event(s, tenant, "thing.later", {"id": "x_2"})  # same session, new transaction
        s.commit()
    finally:
        s.close()
    assert _types(db, dealer.id) == ["thing.later"]


def _fail_in_savepoint(s: Any, tenant: Tenant) -> None:
    with s.begin_nested():
        record_event(s, tenant, "thing.inside", {"id": "x_1"})
        raise RuntimeError("undo the savepoint")


def test_savepoint_rollback_keeps_events_recorded_before_it(db, dealer):
    tenant = Tenant(dealer.id, False)
    with db.transaction() as s:
        record_event(s, tenant, "thing.before", {"id": "x_1"})
        with pytest.raises(RuntimeError):
            _fail_in_savepoint(s, tenant)
        with s.begin_nested():
            record_event(s, tenant, "thing.kept", {"id": "x_1"})
        record_event(s, tenant, "thing.after", {"id": "x_1"})
    assert _types(db, dealer.id) == ["thing.after", "thing.before", "thing.kept"]


def test_deliveries_are_written_with_their_events(api, db, dealer, receiver):
    r = api.post("/webhook-endpoints", json={"url": receiver.url, "enabled_events": ["customer.*"]})
    assert r.status_code == 200, r.get_json()
    endpoint_id = r.get_json()["id"]
    tenant = Tenant(dealer.id, False)
    with db.transaction() as s:
        first = record_event(s, tenant, "customer.created", {"id": "x_1"})
        record_event(s, tenant, "charge.succeeded", {"id": "x_1"})
    with db.transaction(write=False) as s:
        stmt = select(WebhookDelivery).where(col(WebhookDelivery.dealer_id) == dealer.id)
        rows = list(s.scalars(stmt))
    # Tests run tasks eagerly: the delivery went out once the transaction committed.
    assert [(d.event_id, d.endpoint_id, d.status) for d in rows] == [
        (first, endpoint_id, "succeeded")
    ]
    assert len(receiver.requests) == 1


def test_endpoints_are_read_once_per_transaction(db, dealer, statements):
    cached = config_cached(db)  # PostgreSQL: endpoint lists are cached per process
    tenant = Tenant(dealer.id, False)
    with db.transaction() as s:
        record_event(s, tenant, "thing.one", {"id": "x_1"})
        row = s.get(Dealer, dealer.id)
        assert row is not None
        row.name = "Renamed Motors"
        s.flush()  # the unit of work's flush runs in a subtransaction of its own
        record_event(s, tenant, "thing.two", {"id": "x_1"})
    with db.transaction() as s:
        record_event(s, tenant, "thing.three", {"id": "x_1"})
    reads = [q for q in statements if q.startswith("SELECT webhook_endpoints.id")]
    assert len(reads) == (1 if cached else 2)  # one per transaction, or once while cached


def _deliveries(db: Any, dealer_id: str) -> list[tuple[str, str]]:
    with db.transaction(write=False) as s:
        stmt = select(col(WebhookDelivery.endpoint_id), col(Event.type)).join(
            Event, col(Event.id) == col(WebhookDelivery.event_id)
        )
        rows = s.execute(stmt.where(col(WebhookDelivery.dealer_id) == dealer_id)).all()
    return sorted((r[0], r[1]) for r in rows)


def test_the_outbox_reads_the_endpoints_once_and_the_key_check_only_the_key(
    api, db, dealer, receiver, statements
):
    cached = config_cached(db)  # PostgreSQL: keys come from the process's cache
    made = [
        api.post("/webhook-endpoints", json={"url": receiver.url, "enabled_events": events})
        for events in (["customer.*"], ["*"], ["customer.created"])
    ]
    ids = [r.get_json()["id"] for r in made]
    assert api.patch(f"/webhook-endpoints/{ids[2]}", json={"disabled": True}).status_code == 200
    del statements[:]
    r = api.post("/payment/customers", json={"name": "Ada"})
    seen = list(statements)
    assert r.status_code == 200, r.get_json()
    # The key check reads the key alone (on PostgreSQL the key used a moment ago is cached:
    # no statement at all); the outbox reads the endpoints once for the request.
    key_checks = [q for q in seen if q.startswith("SELECT api_keys.")]
    assert len(key_checks) == (0 if cached else 1)
    assert not [q for q in key_checks if "webhook_endpoints" in q]
    reads = [q for q in seen if q.startswith("SELECT webhook_endpoints.id, webhook_endpoints.")]
    assert len(reads) == 1
    customer = [(e, t) for e, t in _deliveries(db, dealer.id) if t == "customer.created"]
    assert customer == sorted([(ids[0], "customer.created"), (ids[1], "customer.created")])


def test_a_request_without_endpoints_delivers_nothing(api, db, dealer):
    assert api.post("/payment/customers", json={"name": "Ada"}).status_code == 200
    assert _deliveries(db, dealer.id) == []


def test_a_new_endpoint_gets_the_next_event_of_the_process(api, db, receiver):
    # Each process caches its tenants' endpoint lists (configcache.py): on PostgreSQL the one
    # that creates an endpoint forgets them as it commits; on SQLite the change's count
    # turns them away.
    assert config_cached(db)
    for _ in range(2):  # the tenant's (empty) endpoint list is cached
        assert api.post("/payment/customers", json={"name": "Before"}).status_code == 200
    made = api.post("/webhook-endpoints", json={"url": receiver.url, "enabled_events": ["*"]})
    assert made.status_code == 200, made.get_json()
    assert api.post("/payment/customers", json={"name": "After"}).status_code == 200
    with db.transaction(write=False) as s:
        stmt = select(func.count()).where(col(WebhookDelivery.endpoint_id) == made.get_json()["id"])
        assert s.scalar(stmt) == 1


def test_an_endpoint_change_rolled_back_leaves_nothing_in_the_cache(api, db, dealer, receiver):
    made = api.post("/webhook-endpoints", json={"url": receiver.url, "enabled_events": ["*"]})
    endpoint_id = made.get_json()["id"]
    tenant = Tenant(dealer.id, False)
    assert config_cached(db)
    with db.transaction() as s:  # the tenant's list, with the endpoint, is cached
        record_event(s, tenant, "thing.first", {"id": "x_1"})
    s = db.session()
    try:
        endpoint = s.get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None
        endpoint.status = EndpointStatus.DISABLED.value
        s.flush()  # flushed: no longer among the session's changes when the events are written
        record_event(s, tenant, "thing.while_disabled", {"id": "x_1"})
        s.flush()
        while_disabled = select(col(Event.pending_webhooks)).where(
            col(Event.type) == "thing.while_disabled", col(Event.dealer_id) == dealer.id
        )
        assert s.scalar(while_disabled) == 0
        s.rollback()
    finally:
        s.close()
    # Another process then changes the table once (on SQLite: to the count the rolled-back
    # transaction had reached); the endpoint is still enabled and must get the next event.
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE webhook_endpoints SET description = 'touched' WHERE id = :id"),
            {"id": endpoint_id},
        )
    with db.transaction() as s:
        record_event(s, tenant, "thing.after", {"id": "x_1"})
    assert (endpoint_id, "thing.after") in _deliveries(db, dealer.id)
