"""Live mode end to end: a dealer configures a gateway whose ``api_url`` points at that
gateway's simulator, served on 127.0.0.1 over real HTTP, and takes payments through the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from dealerhub.simulators.catalog import SIMULATORS
from dealerhub.simulators.server import serving


@dataclass
class Simulated:
    name: str
    url: str
    config: dict[str, Any]
    tokenize: Callable[[str], str]  # card number -> the gateway's token

    def control(self, action: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.post(f"{self.url}/__simulator__/{action}", json=body or {}, timeout=10)
        response.raise_for_status()
        return response.json()

    def transactions(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/__simulator__/transactions", timeout=10)
        response.raise_for_status()
        data: list[dict[str, Any]] = response.json()["data"]
        return data


def _forward_token(url: str) -> Callable[[str], str]:
    def tokenize(number: str) -> str:
        r = requests.post(
            f"{url}/__simulator__/payment_methods",
            headers={"x-api-key": "sim_public_key"},
            json={"card": {"number": number, "exp_month": "12", "exp_year": "2034"}},
            timeout=10,
        )
        r.raise_for_status()
        token: str = r.json()["id"]
        return token

    return tokenize


def _acceptblue_token(url: str) -> Callable[[str], str]:
    def tokenize(number: str) -> str:
        r = requests.post(
            f"{url}/__simulator__/tokenize",
            json={"card": number, "expiry_month": 12, "expiry_year": 2034, "cvv2": "123"},
            timeout=10,
        )
        r.raise_for_status()
        return f"{r.json()['nonce']}|12/2034"

    return tokenize


def _bluedog_token(url: str) -> Callable[[str], str]:
    def tokenize(number: str) -> str:
        r = requests.post(
            f"{url}/__simulator__/tokenize",
            json={"card": {"number": number, "expiration_date": "12/34", "cvc": "123"}},
            timeout=10,
        )
        r.raise_for_status()
        token: str = r.json()["token"]
        return token

    return tokenize


def _hubcash_token(url: str) -> Callable[[str], str]:
    def tokenize(number: str) -> str:
        r = requests.post(
            f"{url}/__simulator__/cards",
            json={
                "number": number,
                "exp_month": 12,
                "exp_year": 2034,
                "cvc": "123",
                "holder_name": "Jane Doe",
            },
            timeout=10,
        )
        r.raise_for_status()
        token: str = r.json()["CardId"]
        return token

    return tokenize


GATEWAY_SETUPS: dict[str, Callable[[str], tuple[dict[str, Any], Callable[[str], str]]]] = {
    "acceptblue": lambda url: (
        {"source_key": "sim_source_key", "pin": "sim_pin", "public_key": "sim_public_key"},
        _acceptblue_token(url),
    ),
    "bluedog": lambda url: (
        {"api_key": "sim_api_key", "public_key": "pub_sim_public"},
        _bluedog_token(url),
    ),
    "hubcash": lambda url: ({"code": "sim_code", "token": "sim_token"}, _hubcash_token(url)),
    "forward": lambda url: (
        {"api_key": "sim_api_key", "public_key": "sim_public_key", "account_id": "sim_account_id"},
        _forward_token(url),
    ),
}


@pytest.fixture(scope="module")
def simulators() -> Iterator[dict[str, str]]:
    """Every simulator, served once per module (each test resets the one it uses)."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield {
            name: stack.enter_context(serving(sim.create_app())) for name, sim in SIMULATORS.items()
        }


@pytest.fixture
def gateway_of(simulators: dict[str, str], live_api: Any) -> Callable[..., Simulated]:
    """``gateway_of("forward")``: the live dealer configured with that simulator."""

    def configure(name: str, **routing: Any) -> Simulated:
        url = simulators[name]
        requests.post(f"{url}/__simulator__/reset", timeout=10).raise_for_status()
        credentials, tokenize = GATEWAY_SETUPS[name](url)
        block = {"enabled": True, "environment": "production", "api_url": url, **credentials}
        body = {"payment_gateways": {name: block}, "payment_routing": {"default": name, **routing}}
        r = live_api.patch("/configuration", json=body)
        if r.status_code == 404:
            r = live_api.post("/configuration", json=body)
        assert r.status_code == 200, r.get_data(as_text=True)
        return Simulated(name, url, block, tokenize)

    return configure
