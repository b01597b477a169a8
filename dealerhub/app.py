"""The application factory: settings, database, Celery, API blueprints, error rendering."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from flask_smorest import Api

from dealerhub import __version__, crypto, lifecycle
from dealerhub.addresses import area as addresses
from dealerhub.areas import Wiring
from dealerhub.billing import area as billing
from dealerhub.config import Settings, load_settings
from dealerhub.configuration import area as configuration
from dealerhub.connectors.registry import Registry
from dealerhub.credit import area as credit
from dealerhub.customers import area as customers
from dealerhub.db import Database
from dealerhub.dms import area as dms
from dealerhub.events import area as events
from dealerhub.fastjson import JSONProvider
from dealerhub.logs import configure_logging
from dealerhub.openapi_contract import ContractPlugin
from dealerhub.payments import area as payments
from dealerhub.pen import area as pen
from dealerhub.staff import area as staff
from dealerhub.system import area as system
from dealerhub.tasks import init_celery
from dealerhub.tradein import area as tradein
from dealerhub.web import area as web

log = logging.getLogger(__name__)

# Each area is a package under dealerhub/ whose ``area`` module wires it in (see
# dealerhub/areas.py). Adding an area is one import and one entry here.
AREAS: tuple[ModuleType, ...] = (
    system,
    events,
    customers,
    payments,
    configuration,
    credit,
    dms,
    pen,
    addresses,
    tradein,
    billing,
    staff,
    web,
)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    configure_logging(settings.log_level, json_output=settings.log_json)
    crypto.configure(settings.encryption_keys)
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    app = Flask(__name__)
    app.json = JSONProvider(app)
    app.config.update(
        SECRET_KEY=str(settings.secret_key),
        API_TITLE="dealerhub",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.extensions["settings"] = settings
    db = app.extensions["db"] = Database(settings.database_url)
    app.extensions["connectors"] = Registry.build(settings, db)

    api = Api(
        app,
        spec_kwargs={
            "info": {"description": API_DESCRIPTION},
            "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=_schema_namer()),
            "extra_plugins": [ContractPlugin(app)],
        },
    )
    app.extensions["api"] = api
    _add_security_schemes(api)
    wiring = Wiring(app, api)
    for area in AREAS:
        area.init_app(wiring)
    app.extensions["beat_schedule"] = wiring.beat_schedule
    app.extensions["task_queues"] = wiring.task_queues
    app.extensions["error_renderers"] = wiring.error_renderers
    lifecycle.install(app)
    bind_celery(app)
    return app


def bind_celery(app: Flask) -> None:
    """Run Celery tasks in ``app``, with every area's beat schedule (the last app bound wins;
    tests that build a second app bind the first one back)."""
    init_celery(
        app,
        app.extensions["settings"],
        app.extensions["beat_schedule"],
        app.extensions["task_queues"],
    )


API_DESCRIPTION = (
    "The dealerhub API: Stripe-style payments and dealer integrations. Authenticate with "
    "`Authorization: Bearer sk_test_…` (or `X-Api-Key`). Errors use one envelope: "
    '`{"error": {"type", "code", "message", "param", "errors", "request_id"}}`.'
)


def _schema_namer() -> Callable[[Any], str]:
    """Name OpenAPI components after their schema class; when two areas use one name (both
    have an ``AddressSchema``), the later one is prefixed with its area (``CreditAddress``)."""
    owners: dict[str, type] = {}

    def name(schema: Any) -> str:
        cls = schema if isinstance(schema, type) else type(schema)
        base = cls.__name__.removesuffix("Schema") or cls.__name__
        if owners.setdefault(base, cls) is cls:
            return base
        parts = cls.__module__.split(".")
        area = parts[1] if parts[0] == "dealerhub" and len(parts) > 1 else parts[0]
        return area.title().replace("_", "") + base

    return name


def _add_security_schemes(api: Api) -> None:
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme(
        "apiKeyHeader", {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}, {"apiKeyHeader": []}]
