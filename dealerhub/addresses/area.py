"""The addresses area: address verification (sandbox in test mode, USPS in live mode)."""

from __future__ import annotations

from dealerhub import lifecycle
from dealerhub.addresses import redaction, routes, tasks
from dealerhub.addresses.cache import AnswerCache
from dealerhub.areas import Wiring


def init_app(wiring: Wiring) -> None:
    app = wiring.app
    settings = app.extensions["settings"]
    app.extensions["address_cache"] = AnswerCache(
        app.extensions["db"], hash_key=str(settings.secret_key).encode()
    )
    wiring.api.register_blueprint(routes.blp)
    # The request lifecycle's access log would otherwise record each address (in the path).
    redaction.install(lifecycle.log)
    wiring.beat_schedule.update(tasks.BEAT_SCHEDULE)
