"""The billing area: products, prices and invoices."""

from __future__ import annotations

from dealerhub.areas import Wiring
from dealerhub.billing import routes, routes_invoices, tasks

# Each of these adds its views to the billing blueprint when it is imported.
ROUTE_MODULES = (routes, routes_invoices)


def init_app(wiring: Wiring) -> None:
    wiring.api.register_blueprint(routes.blp)
    wiring.beat_schedule.update(tasks.BEAT_SCHEDULE)
