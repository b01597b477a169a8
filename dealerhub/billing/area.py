"""The billing area: products, prices and invoices."""

from __future__ import annotations

from dealerhub.areas import Wiring
from dealerhub.billing import routes


def init_app(wiring: Wiring) -> None:
    wiring.api.register_blueprint(routes.blp)
