from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from dealerhub.connectors.address.base import AddressQuery, VerifierAnswer
from dealerhub.connectors.address.sandbox import SandboxVerifier


def path(address: str) -> str:
    """The endpoint for ``address``, URL-encoded as a browser's encodeURIComponent would."""
    return "/api/verify-address/" + quote(address, safe="")


class CountingVerifier:
    """The sandbox, counting the questions that reach it (to see the cache work)."""

    name = "sandbox"

    def __init__(self) -> None:
        self.inner = SandboxVerifier()
        self.asked: list[AddressQuery] = []

    def verify(self, query: AddressQuery) -> VerifierAnswer:
        self.asked.append(query)
        return self.inner.verify(query)


@pytest.fixture
def swap_verifiers(app: Any) -> Iterator[Any]:
    """``swap_verifiers(override=…)`` for one test; the app's own resolver is back after."""
    original = app.extensions["address_verifiers"]

    def swap(**changes: Any) -> None:
        app.extensions["address_verifiers"] = original.replace(**changes)

    yield swap
    app.extensions["address_verifiers"] = original


@pytest.fixture
def counting(swap_verifiers: Any) -> CountingVerifier:
    verifier = CountingVerifier()
    swap_verifiers(override=lambda _session, _tenant: verifier)
    return verifier
