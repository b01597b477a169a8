"""Service endpoints that need no key: version, health, and the API reference page."""

from __future__ import annotations

from typing import Any

import flask
from flask import current_app, render_template
from flask.views import MethodView
from marshmallow import Schema, fields

from dealerhub import __version__
from dealerhub.api import Blueprint, public
from dealerhub.system.service import check_health

blp = Blueprint("system", __name__, description="Service status and documentation.")


class VersionSchema(Schema):
    version = fields.String(required=True)


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"description": "ok or unavailable"})
    database = fields.String(required=True)
    broker = fields.String(required=True)


@blp.route("/api-version")
class ApiVersion(MethodView):
    @public
    @blp.response(200, VersionSchema)
    def get(self) -> dict[str, str]:
        """The running package version."""
        return {"version": __version__}


@blp.route("/healthz")
class Health(MethodView):
    @public
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="The database or broker is down.")
    def get(self) -> Any:
        """Database and broker reachability; 503 when either is down."""
        report = check_health(current_app.extensions["db"], current_app.extensions["celery"])
        return report, 200 if report["status"] == "ok" else 503


@public
def docs_page() -> str:
    """A readable API reference rendered from the OpenAPI document (no external assets)."""
    spec = current_app.extensions["api"].spec.to_dict()
    return render_template("system/docs.html", spec=spec)


# The page is not part of the API it documents: register it with Flask's own add_url_rule
# so flask-smorest leaves it out of openapi.json.
flask.Blueprint.add_url_rule(blp, "/docs", view_func=docs_page)
