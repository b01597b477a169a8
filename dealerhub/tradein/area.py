"""The trade-in area: vehicle drill-down and valuation."""

from __future__ import annotations

from dealerhub.areas import Wiring
from dealerhub.tradein import routes, tasks


def init_app(wiring: Wiring) -> None:
    wiring.api.register_blueprint(routes.blp)
    wiring.beat_schedule.update(tasks.BEAT_SCHEDULE)
