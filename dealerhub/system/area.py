"""The system area: health, version and the API reference page."""

from __future__ import annotations

from dealerhub import db as dbmod
from dealerhub.areas import Wiring
from dealerhub.system import routes, tasks


def init_app(wiring: Wiring) -> None:
    wiring.api.register_blueprint(routes.blp)
    wiring.beat_schedule.update(tasks.BEAT_SCHEDULE)
    # /healthz gives the workers of a freshly started server a minute to report.
    wiring.app.extensions["started_at"] = dbmod.now()
