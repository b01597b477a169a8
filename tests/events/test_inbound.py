import json
import logging

import pytest
from sqlalchemy import func, select

from dealerhub.connectors.processors.sandbox import SANDBOX_DEFAULT_SECRET
from dealerhub.errors import ProviderError
from dealerhub.events.inbound import register_inbound_handler, unregister_inbound_handler
from dealerhub.events.models import InboundEvent
from dealerhub.webhooks import sign_header
from tests.conftest import assert_error

TYPE = "payment_intent.processing_settled"


def signed(body, secret=SANDBOX_DEFAULT_SECRET, t=None):
    raw = json.dumps(body).encode()
    return raw, {
        "Dealerhub-Signature": sign_header(raw, [secret], t),
        "Content-Type": "application/json",
    }


def count(db, **where):
    with db.transaction() as session:
        stmt = select(func.count()).select_from(InboundEvent)
        for key, value in where.items():
            stmt = stmt.where(getattr(InboundEvent, key) == value)
        return session.scalar(stmt)


@pytest.fixture
def applied():
    seen = []

    def handler(session, event):
        seen.append((event.processor_event_id, event.payload["data"]["object"]["id"]))

    register_inbound_handler(TYPE, handler)
    yield seen
    unregister_inbound_handler(TYPE)


def test_sandbox_webhook_is_stored_once_and_applied(client, db, applied):
    body = {
        "id": "sbevt_1",
        "type": TYPE,
        "livemode": False,
        "account": "acct_1",
        "data": {"object": {"id": "pi_123", "status": "succeeded"}},
    }
    raw, headers = signed(body)
    r = client.post("/payment/webhooks?processor=sandbox", data=raw, headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["received"] is True and r.get_json()["duplicate"] is False
    assert applied == [("sbevt_1", "pi_123")]
    assert count(db, processor_event_id="sbevt_1", status="applied") == 1
    # the processor retries: acknowledged, not applied again
    headers["Dealerhub-Processor"] = "sandbox"
    r = client.post("/payment/webhooks", data=raw, headers=headers)
    assert r.status_code == 200 and r.get_json()["duplicate"] is True
    assert applied == [("sbevt_1", "pi_123")]
    assert count(db, processor_event_id="sbevt_1") == 1


def test_bad_signature_is_400_and_stores_nothing(client, db, applied):
    body = {"id": "sbevt_bad", "type": TYPE, "data": {"object": {"id": "pi_1"}}}
    raw, headers = signed(body, secret="whsec_wrong")
    r = client.post("/payment/webhooks?processor=sandbox", data=raw, headers=headers)
    assert_error(r, 400, "invalid_request_error", "signature_invalid")
    raw, headers = signed(body, t=1000)  # far too old
    r = client.post("/payment/webhooks?processor=sandbox", data=raw, headers=headers)
    assert_error(r, 400, "invalid_request_error", "signature_invalid")
    raw, headers = signed(body)
    r = client.post("/payment/webhooks?processor=sandbox", data=raw + b" ", headers=headers)
    assert_error(r, 400, "invalid_request_error", "signature_invalid")
    assert count(db, processor_event_id="sbevt_bad") == 0
    assert applied == []


def test_genuine_but_malformed_messages_name_what_is_wrong(client, db):
    raw, headers = signed({"type": TYPE})
    r = client.post("/payment/webhooks?processor=sandbox", data=raw, headers=headers)
    assert assert_error(r, 400, "invalid_request_error", "parameter_invalid")["param"] == "id"
    raw, headers = signed({"id": "sbevt_notype"})
    r = client.post("/payment/webhooks?processor=sandbox", data=raw, headers=headers)
    assert assert_error(r, 400, "invalid_request_error", "parameter_invalid")["param"] == "type"
    raw = b"[1]"
    headers = {"Dealerhub-Signature": sign_header(raw, [SANDBOX_DEFAULT_SECRET])}
    r = client.post("/payment/webhooks?processor=sandbox", data=raw, headers=headers)
    assert_error(r, 400, "invalid_request_error", "body_invalid")
    assert count(db, processor_event_id="sbevt_notype") == 0


def test_processor_must_be_named_and_known(client):
    raw, headers = signed({"id": "x", "type": TYPE})
    body = assert_error(
        client.post("/payment/webhooks", data=raw, headers=headers), 400, "invalid_request_error"
    )
    assert body["param"] == "processor"
    body = assert_error(
        client.post("/payment/webhooks?processor=nope", data=raw, headers=headers),
        400,
        "invalid_request_error",
    )
    assert body["param"] == "processor"


def test_unhandled_types_are_ignored_and_failures_recorded(client, db, caplog):
    raw, headers = signed({"id": "sbevt_unknown", "type": "refund.whatever", "data": {}})
    assert (
        client.post("/payment/webhooks?processor=sandbox", data=raw, headers=headers).status_code
        == 200
    )
    assert count(db, processor_event_id="sbevt_unknown", status="ignored") == 1

    def broken(session, event):
        raise ValueError("customer jane@example.com")

    register_inbound_handler("refund.failed", broken)
    try:
        with caplog.at_level(logging.INFO):
            raw, headers = signed({"id": "sbevt_fail", "type": "refund.failed", "data": {}})
            assert (
                client.post(
                    "/payment/webhooks?processor=sandbox", data=raw, headers=headers
                ).status_code
                == 200
            )
    finally:
        unregister_inbound_handler("refund.failed")
    assert count(db, processor_event_id="sbevt_fail", status="failed") == 1
    assert "jane@example.com" not in caplog.text


def test_retryable_handler_error_leaves_it_for_a_retry(app, client, db):
    calls = []

    def flaky(session, event):
        calls.append(1)
        if len(calls) == 1:
            raise ProviderError("bank timeout", retryable=True)

    register_inbound_handler("refund.updated", flaky)
    try:
        raw, headers = signed({"id": "sbevt_flaky", "type": "refund.updated", "data": {}})
        assert (
            client.post(
                "/payment/webhooks?processor=sandbox", data=raw, headers=headers
            ).status_code
            == 200
        )
        assert count(db, processor_event_id="sbevt_flaky", status="received") == 1
        from dealerhub.events.tasks import apply_inbound

        with db.transaction() as session:
            row = session.scalars(
                select(InboundEvent).where(InboundEvent.processor_event_id == "sbevt_flaky")
            ).one()
        assert apply_inbound(row.id) == "applied"
        assert apply_inbound(row.id) == "applied"
        assert len(calls) == 2
    finally:
        unregister_inbound_handler("refund.updated")
