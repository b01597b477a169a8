"""The system area: health, version and the API reference page."""

from __future__ import annotations

from dealerhub.areas import Wiring
from dealerhub.system import routes


def init_app(wiring: Wiring) -> None:
    wiring.api.register_blueprint(routes.blp)
