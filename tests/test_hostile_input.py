"""#16: every input gets a 4xx, never a 5xx (each case was a 500 before)."""

from __future__ import annotations

import pytest

from dealerhub.connectors.processors.sandbox import SANDBOX_DEFAULT_SECRET
from dealerhub.webhooks import sign_header
from tests.conftest import assert_error

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,  # RecursionError in the standard library's decoder
        b'{"name": "x", "metadata": ' + b'{"a": ' * 300 + b"1" + b"}" * 301,  # encoder depth
        b'{"name": "\\ud800x"}',  # a lone surrogate, UnicodeEncodeError on the way to the DB
        b'{"name": "x", "metadata": {"a": 100000000000000000000000000000}}',
        b'{"name": "x", "address": {"line1": 1e400}}',
    ],
    ids=["deep_list", "deep_object", "lone_surrogate", "huge_integer", "infinity"],
)
def test_hostile_json_bodies_are_a_400_body_invalid(api, body):
    r = api.post("/payment/customers", data=body, headers=JSON)
    body_error = assert_error(r, 400, "invalid_request_error", "body_invalid")
    assert "JSON" in body_error["message"] or "body" in body_error["message"]
    assert api.get("/payment/customers").get_json()["data"] == []  # nothing was created


def test_a_timestamp_filter_past_64_bits_is_a_400(api):
    r = api.get("/payment/payment-intents?created[gt]=9223372036854775808")
    assert assert_error(r, 400, "invalid_request_error")["param"] == "created[gt]"


@pytest.mark.parametrize("body", [b"[1]", b'"x"', b"123", b"[" * 5000])
def test_the_public_3ds_page_refuses_bodies_that_are_not_objects(client, body):
    r = client.post("/payment/sandbox/3ds/pi_x", data=body, headers=JSON)
    assert_error(r, 400, "invalid_request_error", "body_invalid")


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 5000,
        b'{"id": "evt_1", "type": "charge.settled", "data": ' + b'{"a": ' * 100 + b"1" + b"}" * 101,
        b'{"id": "evt_1", "type": "charge.settled", "n": 100000000000000000000000000000}',
        b'{"id": "evt_\\ud800", "type": "charge.settled"}',
    ],
    ids=["deep_list", "deep_object", "huge_integer", "lone_surrogate"],
)
def test_a_validly_signed_but_hostile_sandbox_notice_is_a_400(client, raw):
    headers = {
        "Content-Type": "application/json",
        "Dealerhub-Signature": sign_header(raw, [SANDBOX_DEFAULT_SECRET]),
    }
    r = client.post("/payment/webhooks?processor=sandbox", data=raw, headers=headers)
    assert_error(r, 400, "invalid_request_error", "body_invalid")
