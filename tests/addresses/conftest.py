from __future__ import annotations

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
def counting(swap_connectors: Any) -> CountingVerifier:
    verifier = CountingVerifier()
    swap_connectors(address_override=lambda _session, _tenant: verifier)
    return verifier
