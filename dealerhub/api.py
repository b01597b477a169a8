"""What every API route shares: the Blueprint class, the request's session and tenant, and the
decorators that open an endpoint to publishable keys or to everyone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import flask_smorest
from flask import current_app, g, request
from marshmallow import ValidationError
from sqlalchemy.orm import Session
from webargs import missing
from webargs.core import is_json
from webargs.flaskparser import FlaskParser

from dealerhub import jsonbody
from dealerhub.connectors.registry import Registry
from dealerhub.db import Database
from dealerhub.errors import ValidationFailed
from dealerhub.tenancy import Tenant

F = TypeVar("F", bound=Callable[..., Any])


class _Parser(FlaskParser):
    """webargs parser that raises our 400 envelope instead of smorest's 422, and reads JSON
    bodies strictly (:mod:`dealerhub.jsonbody`)."""

    DEFAULT_VALIDATION_STATUS = 400  # what flask-smorest documents for invalid arguments

    def load_json(self, req: Any, schema: Any) -> Any:
        data = req.get_data(cache=True)
        if not data:
            return missing
        if not is_json(req.mimetype):
            # Read as empty, a form or text body would create an empty object: refuse it.
            sent = req.mimetype or "a body without Content-Type"
            raise jsonbody.UnsupportedMediaType(
                f"This endpoint takes application/json, not {sent}: send the body with "
                "'Content-Type: application/json'.",
                param="Content-Type",
            )
        return jsonbody.load(data)

    def handle_error(self, error: ValidationError, *args: Any, **kwargs: Any) -> NoReturn:
        messages = error.messages
        # webargs nests messages under the location ("json", "query"): drop that level.
        if isinstance(messages, dict) and len(messages) == 1:
            (only,) = messages.values()
            if isinstance(only, dict):
                messages = only
        raise ValidationFailed.from_messages(messages if isinstance(messages, dict) else {})


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = _Parser()

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        """As flask-smorest's, but a schema class is instantiated once here rather than by
        webargs on every request (schemas keep no per-load state)."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)


def public(fn: F) -> F:
    """No API key needed (health, version, docs)."""
    fn.dealerhub_public = True  # type: ignore[attr-defined]
    return fn


def publishable(fn: F) -> F:
    """A publishable key may call this endpoint (browser flows)."""
    fn.dealerhub_publishable = True  # type: ignore[attr-defined]
    return fn


def answers(*statuses: int) -> Callable[[F], F]:
    """Document error statuses the view answers with beyond those the OpenAPI contract
    infers (:mod:`dealerhub.openapi_contract`), for example a 404 for a singleton the
    dealer has not created yet."""

    def mark(fn: F) -> F:
        fn.dealerhub_statuses = statuses  # type: ignore[attr-defined]
        return fn

    return mark


def database() -> Database:
    db: Database = current_app.extensions["db"]
    return db


def connectors() -> Registry:
    """The app's connector registry: routes hand services the connectors they need."""
    registry: Registry = current_app.extensions["connectors"]
    return registry


def writes() -> bool:
    """Whether the request may write (its session is a write session)."""
    return request.method not in ("GET", "HEAD")


def session() -> Session:
    """The request's session; committed (or rolled back) once, after the view returns."""
    if "db_session" not in g:
        g.db_session = database().session(write=writes())
    s: Session = g.db_session
    return s


def tenant() -> Tenant:
    t: Tenant = g.tenant
    return t


def key_kind() -> str:
    kind: str = g.key_kind
    return kind
