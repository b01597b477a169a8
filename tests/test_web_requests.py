"""Request hygiene (issue 15): non-JSON bodies are a 415, oversized ones a 413, and unknown
query parameters a 400 parameter_unknown; none of them changes anything."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, assert_error


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", None],
    ids=["curl-d-form", "text", "no-content-type"],
)
def test_non_json_body_is_415_and_creates_nothing(
    api: Api, client: Any, dealer: Any, content_type: str | None
) -> None:
    headers = {"Authorization": f"Bearer {dealer.secret_key}"}
    if content_type:
        headers["Content-Type"] = content_type
    r = client.post("/payment/customers", data='{"name":"X"}', headers=headers)
    body = assert_error(r, 415, "invalid_request_error", "unsupported_media_type")
    assert body["param"] == "Content-Type"
    assert "application/json" in body["message"]
    assert api.get("/payment/customers").get_json()["data"] == []


def test_multipart_form_on_a_json_endpoint_is_415(api: Api) -> None:
    r = api.patch(
        "/configuration", data={"web": "x"}, content_type="multipart/form-data", json=None
    )
    assert_error(r, 415, "invalid_request_error", "unsupported_media_type")


def test_json_with_charset_and_vendor_json_types_are_read(
    api: Api, client: Any, dealer: Any
) -> None:
    for ctype in ("application/json; charset=utf-8", "application/merge-patch+json"):
        r = client.post(
            "/payment/customers",
            data='{"name":"Y"}',
            headers={"Authorization": f"Bearer {dealer.secret_key}", "Content-Type": ctype},
        )
        assert r.status_code == 200, (ctype, r.get_data(as_text=True))
        assert r.get_json()["name"] == "Y"


def test_empty_body_without_content_type_is_still_fine(api: Api) -> None:
    cus = api.post("/payment/customers", json={"name": "Z"}).get_json()
    r = api.client.post(
        f"/payment/customers/{cus['id']}", headers={"Authorization": f"Bearer {api.key}"}
    )
    assert r.status_code != 415


def test_lead_in_text_plain_is_415_and_adf_still_works(api: Api, client: Any, dealer: Any) -> None:
    headers = {
        "Authorization": f"Bearer {dealer.secret_key}",
        "Content-Type": "text/plain",
        "x-service-provider": "dealertrack",
    }
    r = client.post("/dms/leads", data='{"first_name":"A"}', headers=headers)
    assert_error(r, 415, "invalid_request_error", "unsupported_media_type")
    bad = client.post(
        "/dms/leads",
        data='{"first_name": ',
        headers={**headers, "Content-Type": "application/json"},
    )
    body = assert_error(bad, 400, "invalid_request_error", "body_invalid")
    assert "not valid JSON" in body["message"]


def test_body_over_the_limit_is_413(api: Api, client: Any, dealer: Any) -> None:
    big = '{"name": "' + "x" * (1024 * 1024 + 10) + '"}'
    r = client.post(
        "/payment/customers",
        data=big,
        headers={
            "Authorization": f"Bearer {dealer.secret_key}",
            "Content-Type": "application/json",
        },
    )
    assert_error(r, 413, "invalid_request_error", "request_too_large")
    assert api.get("/payment/customers").get_json()["data"] == []


def test_unknown_query_parameter_on_a_view_without_query_schema(api: Api) -> None:
    cus = api.post("/payment/customers", json={"name": "Q"}).get_json()
    r = api.get(f"/payment/customers/{cus['id']}", query_string={"expand": "x"})
    body = assert_error(r, 400, "invalid_request_error", "parameter_unknown")
    assert body["param"] == "expand"


def test_unknown_query_parameter_on_a_post_changes_nothing(api: Api) -> None:
    r = api.post("/payment/customers?nmae=Q", json={"name": "Q"})
    assert_error(r, 400, "invalid_request_error", "parameter_unknown")
    assert api.get("/payment/customers").get_json()["data"] == []


def test_unknown_query_parameter_on_a_view_with_a_query_schema(api: Api) -> None:
    r = api.get("/payment/customers", query_string={"limt": "3"})
    body = assert_error(r, 400, "invalid_request_error", "parameter_unknown")
    assert body["param"] == "limt"


def test_documented_query_parameters_still_work(api: Api, pk_api: Api) -> None:
    assert (
        api.get("/payment/customers", query_string={"limit": 3, "created[gte]": 0}).status_code
        == 200
    )
    pi = api.post("/payment/payment-intents", json={"amount": 500, "currency": "usd"}).get_json()
    r = pk_api.get(
        f"/payment/payment-intents/{pi['id']}", query_string={"client_secret": pi["client_secret"]}
    )
    assert r.status_code == 200


def test_missing_key_is_401_before_an_unknown_parameter(client: Any) -> None:
    assert_error(client.get("/payment/customers?bogus=1"), 401, "authentication_error")


def test_public_pages_read_their_own_query_strings(client: Any) -> None:
    assert client.get("/examples/deposit?key=pk_test_x&client_secret=y").status_code == 200
