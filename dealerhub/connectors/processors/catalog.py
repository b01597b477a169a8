"""The live gateways dealerhub speaks, by the name a dealer's configuration uses.

A :class:`GatewaySpec` says how to build a gateway's connector from its configuration block
(``payment_gateways.<name>``), which fields that block needs, which of them are secrets and
what the gateway can do, so configuration checks routing rules before any call is made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dealerhub.connectors.processors import acceptblue, bluedog, forward, hubcash
from dealerhub.connectors.processors.base import PaymentProcessor, ProcessorCapabilities

SANDBOX = "sandbox"  # the built-in test-mode processor; never configured, never live


@dataclass(frozen=True)
class GatewaySpec:
    name: str
    build: Callable[..., PaymentProcessor]  # (block, *, timeout=(connect, read))
    capabilities: ProcessorCapabilities
    required_fields: tuple[str, ...]
    secret_fields: frozenset[str]
    base_urls: Mapping[str, str]  # environment ("sandbox" | "production") → base URL


GATEWAYS: dict[str, GatewaySpec] = {
    spec.name: spec
    for spec in (
        GatewaySpec(
            "bluedog",
            bluedog.BlueDogProcessor,
            bluedog.BlueDogProcessor.capabilities,
            bluedog.CONFIG_FIELDS,
            bluedog.SECRET_FIELDS,
            bluedog.BASE_URLS,
        ),
        GatewaySpec(
            "acceptblue",
            acceptblue.AcceptBlueProcessor,
            acceptblue.AcceptBlueProcessor.capabilities,
            acceptblue.CONFIG_FIELDS,
            acceptblue.SECRET_FIELDS,
            acceptblue.BASE_URLS,
        ),
        GatewaySpec(
            "forward",
            forward.ForwardProcessor,
            forward.ForwardProcessor.capabilities,
            forward.CONFIG_FIELDS,
            forward.SECRET_FIELDS,
            forward.BASE_URLS,
        ),
        GatewaySpec(
            "hubcash",
            hubcash.HubcashProcessor,
            hubcash.HubcashProcessor.capabilities,
            hubcash.CONFIG_FIELDS,
            hubcash.SECRET_FIELDS,
            hubcash.BASE_URLS,
        ),
    )
}
