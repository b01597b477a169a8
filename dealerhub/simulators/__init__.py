"""Offline, stateful fakes of the live payment gateways, for rehearsing live mode and for the
end-to-end tests. Nothing on the product's request path imports this package."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask


@dataclass(frozen=True)
class Simulator:
    create_app: Callable[..., Flask]  # (webhook_url=, webhook_secret=) -> app
    port: int  # the port `dealerhub simulate` uses by default


# Filled in as each gateway's simulator lands (name → Simulator).
SIMULATORS: dict[str, Simulator] = {}
