"""CORS for dealer websites: real preflights and cross-origin calls through the WSGI app."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, assert_error

SITE = "https://www.example-motors.com"


def _allow(api: Api, *origins: str) -> None:
    r = api.post("/configuration", json={"web": {"allowed_origins": list(origins)}})
    assert r.status_code == 200, r.get_data(as_text=True)


def _preflight(client: Any, path: str, method: str, origin: str = SITE) -> Any:
    return client.open(
        path,
        method="OPTIONS",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )


def _intent(api: Api) -> dict[str, Any]:
    r = api.post("/payment/payment-intents", json={"amount": 50000, "currency": "usd"})
    assert r.status_code == 200, r.get_data(as_text=True)
    body: dict[str, Any] = r.get_json()
    return body


def test_preflight_for_a_listed_origin_needs_no_key(api: Api, client: Any) -> None:
    _allow(api, SITE)
    r = _preflight(client, "/payment/payment-intents/pi_x/confirm", "POST")
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == SITE
    assert r.headers["Access-Control-Allow-Methods"] == "POST"
    assert (
        r.headers["Access-Control-Allow-Headers"] == "authorization, content-type, idempotency-key"
    )
    assert r.headers["Access-Control-Max-Age"] == "600"
    assert "Origin" in r.headers["Vary"]


def test_preflight_from_an_unlisted_origin_is_refused(api: Api, client: Any) -> None:
    _allow(api, SITE)
    r = _preflight(client, "/payment/payment-methods", "POST", origin="https://evil.example")
    body = assert_error(r, 403, "permission_error", "origin_not_allowed")
    assert body["param"] == "Origin"
    assert "Access-Control-Allow-Origin" not in r.headers


def test_preflight_for_a_secret_key_endpoint_is_refused(api: Api, client: Any) -> None:
    _allow(api, SITE)
    for path, method in (
        ("/payment/customers", "POST"),
        ("/payment/refunds", "POST"),
        ("/payment/payment-intents/pi_x", "PATCH"),  # GET is publishable, PATCH is not
        ("/configuration", "GET"),
    ):
        r = _preflight(client, path, method)
        assert_error(r, 403, "permission_error", "origin_not_allowed")
        assert "Access-Control-Allow-Origin" not in r.headers


def test_publishable_request_from_listed_origin_gets_cors_headers(api: Api, pk_api: Api) -> None:
    _allow(api, SITE)
    pi = _intent(api)
    r = pk_api.get(
        f"/payment/payment-intents/{pi['id']}",
        query_string={"client_secret": pi["client_secret"]},
        headers={"Origin": SITE},
    )
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == SITE
    assert "Request-Id" in r.headers["Access-Control-Expose-Headers"]
    assert "Origin" in r.headers["Vary"]


def test_error_answers_carry_cors_headers_too(api: Api, pk_api: Api) -> None:
    _allow(api, SITE)
    pi = _intent(api)
    r = pk_api.post(
        f"/payment/payment-intents/{pi['id']}/confirm",
        json={"client_secret": pi["client_secret"], "payment_method": "pm_card_chargeDeclined"},
        headers={"Origin": SITE},
    )
    assert_error(r, 402, "card_error", "card_declined")
    assert r.headers["Access-Control-Allow-Origin"] == SITE


def test_publishable_request_from_unlisted_origin_changes_nothing(api: Api, pk_api: Api) -> None:
    _allow(api, SITE)
    pi = _intent(api)
    r = pk_api.post(
        f"/payment/payment-intents/{pi['id']}/confirm",
        json={"client_secret": pi["client_secret"], "payment_method": "pm_card_visa"},
        headers={"Origin": "https://other.example"},
    )
    assert_error(r, 403, "permission_error", "origin_not_allowed")
    assert "Access-Control-Allow-Origin" not in r.headers
    assert api.get(f"/payment/payment-intents/{pi['id']}").get_json()["status"] == (
        "requires_payment_method"
    )


def test_origin_listed_by_another_dealer_does_not_open_this_one(
    api: Api, pk_api: Api, client: Any, app: Any
) -> None:
    from tests.conftest import make_dealer

    other = make_dealer(app, "Other Motors")
    _allow(Api(client, other.secret_key), "https://other-motors.example")
    _allow(api, SITE)
    r = pk_api.get(
        "/payment/payment-methods/tokenizer", headers={"Origin": "https://other-motors.example"}
    )
    assert_error(r, 403, "permission_error", "origin_not_allowed")


def test_live_and_test_mode_lists_are_separate(api: Api, client: Any, dealer: Any) -> None:
    _allow(api, SITE)  # test mode only
    live_pk = Api(client, dealer.live_publishable_key)
    r = live_pk.get("/payment/payment-methods/tokenizer", headers={"Origin": SITE})
    assert_error(r, 403, "permission_error", "origin_not_allowed")


def test_secret_key_from_a_browser_is_refused(api: Api) -> None:
    _allow(api, SITE)
    r = api.post("/payment/customers", json={"name": "X"}, headers={"Origin": SITE})
    body = assert_error(r, 403, "permission_error", "origin_not_allowed")
    assert "Secret keys cannot be used from a browser" in body["message"]
    assert api.get("/payment/customers").get_json()["data"] == []


def test_same_origin_and_originless_requests_pass(api: Api, pk_api: Api) -> None:
    # The hub's own pages (same origin) and servers (no Origin) need no list.
    assert api.get("/payment/customers", headers={"Origin": "http://localhost"}).status_code == 200
    assert pk_api.get("/payment/payment-methods/tokenizer").status_code == 200


def test_allowed_origins_are_validated(api: Api) -> None:
    for bad in (
        "https://www.example.com/path",
        "ftp://example.com",
        "http://example.com",
        "https://Example.com",
        "example.com",
    ):
        r = api.post("/configuration", json={"web": {"allowed_origins": [bad]}})
        body = assert_error(r, 400, "invalid_request_error")
        assert body["param"].startswith("web.allowed_origins"), body
    assert api.get("/configuration").status_code == 404  # nothing was saved
    ok = api.post(
        "/configuration",
        json={"web": {"allowed_origins": ["https://a.example", "http://localhost:3000"]}},
    )
    assert ok.get_json()["web"] == {
        "allowed_origins": ["https://a.example", "http://localhost:3000"]
    }


def test_dealerhub_js_is_served_without_a_key(client: Any) -> None:
    r = client.get("/js/v1/dealerhub.js")
    assert r.status_code == 200
    assert r.mimetype == "text/javascript"
    assert b"global.DealerHub = DealerHub" in r.data
    again = client.get("/js/v1/dealerhub.js", headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_example_page_renders_the_values_it_is_given(client: Any) -> None:
    r = client.get("/examples/deposit", query_string={"key": "pk_test_x", "client_secret": "a</"})
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert '/js/v1/dealerhub.js"' in page
    assert '"pk_test_x"' in page
    assert "a</" not in page  # escaped for the script context
    assert "needs a publishable key" in client.get("/examples/deposit").get_data(as_text=True)


def test_idempotent_replay_to_a_listed_origin_keeps_cors_headers(api: Api, pk_api: Api) -> None:
    _allow(api, SITE)
    pi = _intent(api)
    url = f"/payment/payment-intents/{pi['id']}/confirm"
    body = {"client_secret": pi["client_secret"], "payment_method": "pm_card_visa"}
    headers = {"Origin": SITE, "Idempotency-Key": "confirm-once"}
    first = pk_api.post(url, json=body, headers=headers)
    again = pk_api.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Access-Control-Allow-Origin"] == SITE


def test_preflight_and_refusals_carry_a_request_id(api: Api, client: Any) -> None:
    r = _preflight(client, "/payment/customers", "POST")
    assert r.headers["Request-Id"].startswith("req_")
    assert r.get_json()["error"]["request_id"] == r.headers["Request-Id"]
