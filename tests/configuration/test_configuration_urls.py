"""URLs in the configuration are real http(s) URLs, checked by one pattern that the OpenAPI
document publishes too: what the document calls valid is accepted, nothing the URL parser
would choke on (a bracket left open, a port that does not exist) reaches it (a 500 before)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import assert_error

GATEWAY = "payment_gateways.bluedog.api_url"


def _gateway(url: str) -> dict[str, Any]:
    return {"payment_gateways": {"bluedog": {"environment": "sandbox", "api_url": url}}}


@pytest.mark.parametrize(
    "url",
    [
        "https://[::1",  # ValueError in urlsplit: was a 500
        "https://gateway.example.com:99999/",  # no such port
        "http://localhost:notaport/",
        "https://a b.example.com/",
        "https://exa_mple.com/",
        "http://gateway.example.com",  # plain http off this machine
        "gateway.example.com",
        "",
    ],
)
def test_a_gateway_api_url_must_be_a_real_https_url(api: Any, url: str) -> None:
    body = assert_error(
        api.post("/configuration", json=_gateway(url)), 400, "invalid_request_error"
    )
    assert body["param"] == GATEWAY


@pytest.mark.parametrize(
    "url",
    [
        "https://gateway.example.com",
        "https://10.0.0.7:8443/api/v1?x=1",
        "http://127.0.0.1:8001",
        "http://localhost:8001/v2/",
    ],
)
def test_real_gateway_urls_are_accepted(api: Any, url: str) -> None:
    r = api.post("/configuration", json=_gateway(url))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["payment_gateways"]["bluedog"]["api_url"] == url


def test_the_document_publishes_the_patterns_the_app_checks(app: Any) -> None:
    spec = app.test_client().get("/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    gateway = next(s for name, s in schemas.items() if name.startswith("BlueDogGateway"))
    pattern = gateway["properties"]["api_url"]["pattern"]
    assert re.search(pattern, "https://gateway.example.com/v1")
    assert not re.search(pattern, "https://[::1")
    web = next(s for name, s in schemas.items() if name.startswith("Web"))
    origin = web["properties"]["allowed_origins"]["items"]["pattern"]
    assert re.search(origin, "https://www.example-motors.com")
    assert not re.search(origin, "https://www.example-motors.com/path")
