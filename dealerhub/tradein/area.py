"""The trade-in area: vehicle drill-down and valuation."""

from __future__ import annotations

from dealerhub.areas import Wiring
from dealerhub.connectors.valuation.resolve import ValuationProviders
from dealerhub.tradein import routes, tasks


def init_app(wiring: Wiring) -> None:
    settings = wiring.app.extensions["settings"]
    wiring.app.extensions["valuation"] = ValuationProviders(
        timeout=float(settings.option("BLACK_BOOK_TIMEOUT", "10"))
    )
    wiring.api.register_blueprint(routes.blp)
    wiring.beat_schedule.update(tasks.BEAT_SCHEDULE)
