"""The simulators ``dealerhub simulate`` serves, by gateway name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from dealerhub.simulators import acceptblue, bluedog, forward, hubcash


@dataclass(frozen=True)
class Simulator:
    create_app: Callable[..., Flask]  # (webhook_url=, webhook_secret=) -> app
    port: int  # the port `dealerhub simulate` uses by default


SIMULATORS: dict[str, Simulator] = {
    "acceptblue": Simulator(acceptblue.create_app, 8804),
    "bluedog": Simulator(bluedog.create_app, 8801),
    "forward": Simulator(forward.create_app, 8803),
    "hubcash": Simulator(hubcash.create_app, 8802),
}
