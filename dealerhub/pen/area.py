"""The PEN area: dealer registration with the F&I Provider Exchange Network."""

from __future__ import annotations

from dealerhub.areas import Wiring
from dealerhub.pen import routes


def init_app(wiring: Wiring) -> None:
    wiring.api.register_blueprint(routes.blp)
