"""Service endpoints that need no key: version, health, and the API reference page."""

from __future__ import annotations

from typing import Any

import flask
from flask import current_app, render_template
from flask.views import MethodView
from marshmallow import Schema, fields

from dealerhub import __version__
from dealerhub import db as dbmod
from dealerhub.api import Blueprint, public
from dealerhub.system.service import check_health

blp = Blueprint("system", __name__, description="Service status and documentation.")


class VersionSchema(Schema):
    version = fields.String(required=True)


class HealthSchema(Schema):
    status = fields.String(
        required=True,
        metadata={
            "description": "ok; degraded when no worker has been seen for a minute (the API "
            "works, background work waits); unavailable when the database or broker is down"
        },
    )
    database = fields.String(required=True, metadata={"description": "ok or unavailable"})
    broker = fields.String(required=True, metadata={"description": "ok or unavailable"})
    worker = fields.String(
        required=True,
        metadata={
            "description": "ok (a heartbeat within a minute), starting (none yet, server up "
            "less than a minute), silent, or inline (tasks run in the request)"
        },
    )
    worker_last_seen = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Unix time of the latest worker heartbeat"},
    )
    queue_depth = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Messages waiting in the default task queue"},
    )


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
        """Database and broker reachability, worker heartbeat and queue depth; 503 when the
        database or broker is down, 200 with ``degraded`` when no worker has been seen for a
        minute."""
        settings = current_app.extensions["settings"]
        report = check_health(
            current_app.extensions["db"],
            current_app.extensions["celery"],
            now=dbmod.now(),
            started_at=current_app.extensions["started_at"],
            inline_tasks=settings.tasks_eager,
        )
        return report, 503 if report["status"] == "unavailable" else 200


@public
def docs_page() -> str:
    """A readable API reference rendered from the OpenAPI document (no external assets)."""
    spec = current_app.extensions["api"].spec.to_dict()
    return render_template("system/docs.html", spec=spec)


# The page is not part of the API it documents: register it with Flask's own add_url_rule
# so flask-smorest leaves it out of openapi.json.
flask.Blueprint.add_url_rule(blp, "/docs", view_func=docs_page)
