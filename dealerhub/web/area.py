"""The dealer-website area: CORS hooks for publishable-key endpoints, dealerhub.js and the
deposit example page."""

from __future__ import annotations

from dealerhub.areas import Wiring
from dealerhub.web import cors, routes


def init_app(wiring: Wiring) -> None:
    # Registered before the lifecycle's hooks (areas are wired first): the CORS guard runs
    # before authentication, so a preflight needs no key and a refused origin runs nothing;
    # the header hook runs after the lifecycle has finished the response.
    wiring.app.before_request(cors.guard)
    wiring.app.after_request(cors.headers)
    wiring.app.register_blueprint(routes.blp)
