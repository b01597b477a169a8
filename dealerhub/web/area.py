"""The dealer-website area: CORS hooks for publishable-key endpoints, dealerhub.js and the
deposit example page."""

from __future__ import annotations

import click

from dealerhub import strictquery
from dealerhub.areas import Wiring
from dealerhub.web import cli, cors, routes


def init_app(wiring: Wiring) -> None:
    """Wired last (``AREAS`` ends with it): the checks below attach to every blueprint
    registered before."""
    app = wiring.app
    # App-level hooks run before the lifecycle's (areas are wired first): a preflight is
    # answered before authentication, and the header hook runs after the lifecycle has
    # finished the response.
    app.before_request(cors.preflight)
    app.after_request(cors.headers)
    # Blueprint-level hooks run after every app-level one, so after authentication: the
    # origin is checked against the key's dealer, and unknown query parameters are refused
    # after a missing key (401), both before the view changes anything.
    for name in list(app.blueprints):
        app.before_request_funcs.setdefault(name, []).extend([cors.check_origin, strictquery.check])
    app.register_blueprint(routes.blp)


def init_cli(group: click.Group) -> None:
    cli.register(group)
