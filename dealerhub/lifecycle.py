"""Per-request plumbing: request ids, authentication, idempotency, one commit, error envelope.

Order of a request: request id → API key → Idempotency-Key lock and claim → view → (commit
or rollback, stored idempotent response, key unlocked) → headers. Views never commit: the
commit here is the only one, so the work and its idempotent response land together.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from dealerhub import idempotency
from dealerhub.api import database, session, writes
from dealerhub.context import Actor, actor_var, dealer_id_var, idempotency_key_var, request_id_var
from dealerhub.dealers.models import KeyKind
from dealerhub.dealers.service import authenticate
from dealerhub.errors import (
    AuthenticationFailed,
    DealerhubError,
    InternalError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    PermissionDenied,
)
from dealerhub.jsonbody import RequestTooLarge
from dealerhub.tenancy import Tenant

log = logging.getLogger("dealerhub.request")


def install(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_teardown)
    app.register_error_handler(DealerhubError, _render_error)
    app.register_error_handler(HTTPException, _render_http_exception)
    app.register_error_handler(Exception, _render_unexpected)


# Served by Flask or flask-smorest themselves, so they carry no ``@public`` flag.
_PUBLIC_ENDPOINTS = frozenset({"static", "api-docs.openapi_json"})


def _view_flag(name: str) -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return False
    if getattr(view, name, False):
        return True
    view_class = getattr(view, "view_class", None)
    method = getattr(view_class, request.method.lower(), None) if view_class else None
    return bool(getattr(method, name, False))


def _start() -> Response | None:
    g.started = time.perf_counter()
    caller = request.headers.get("x-correlation-id", "")
    g.request_id = "req_" + secrets.token_hex(12)
    g.correlation_id = caller[:200] if caller else g.request_id
    request_id_var.set(g.request_id)
    dealer_id_var.set(None)
    idempotency_key_var.set(None)
    actor_var.set(None)
    endpoint = request.endpoint or ""
    if not endpoint or endpoint in _PUBLIC_ENDPOINTS or _view_flag("dealerhub_public"):
        return None
    _authenticate()
    if request.method == "POST" and "Idempotency-Key" in request.headers:
        return _claim_idempotency_key(request.headers["Idempotency-Key"])
    return None


def _authenticate() -> None:
    auth = request.headers.get("Authorization", "")
    raw = auth[7:].strip() if auth[:7].lower() == "bearer " else request.headers.get("X-Api-Key")
    if not raw:
        raise AuthenticationFailed(
            "You did not provide an API key. Send it as 'Authorization: Bearer <key>' or "
            "'X-Api-Key: <key>'.",
            code="api_key_missing",
        )
    db, write = database(), writes()
    if db.is_sqlite and write:
        # A SQLite write transaction takes the database's one write lock at its first
        # statement: the key is checked on a connection of its own (no BEGIN/ROLLBACK; a
        # cached key costs one row read there) so that the lock waits for the request's writes.
        with db.engine.connect().execution_options(sqlite_begin="NONE") as conn:
            key = authenticate(connect=lambda: conn, raw_key=raw, cache=db.config_cache)
    else:
        # Elsewhere the check is the first query of the request's own transaction (saving a
        # connection checkout and its round trips), or on PostgreSQL no statement at all for
        # a key in the process's cache: the transaction then begins with its first write.
        key = authenticate(
            connect=lambda: session().connection(), raw_key=raw, cache=db.config_cache
        )
    if key is None:
        raise AuthenticationFailed("Invalid API key provided: " + raw[:8] + "…" + raw[-4:])
    kind, tenant, key_id = key.kind, Tenant(key.dealer_id, key.livemode), key.id
    if kind is KeyKind.PUBLISHABLE and not _view_flag("dealerhub_publishable"):
        raise PermissionDenied(
            "This endpoint needs a secret key; publishable keys may only create card payment "
            "methods, retrieve or confirm an intent with its client_secret, look up "
            "trade-ins and create leads."
        )
    g.tenant = tenant
    g.key_kind = kind.value
    actor_var.set(Actor("api_key", f"{kind.value}:{key_id}"))  # audit entries name the key
    dealer_id_var.set(tenant.dealer_id)


def _claim_idempotency_key(key: str) -> Response | None:
    idempotency.validate_key(key)
    fp = idempotency.fingerprint(
        g.key_kind,
        request.method,
        request.path,
        request.query_string.decode(),
        request.get_data(),
    )
    g.idempotency_release = idempotency.hold(session(), database(), g.tenant, key)
    outcome = idempotency.claim(session(), g.tenant, key, fp)
    if isinstance(outcome, idempotency.Replay):
        g.replayed = True
        return Response(
            outcome.body,
            status=outcome.status,
            mimetype="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    g.idempotency_record = outcome
    idempotency_key_var.set(key)
    return None


def _finish(response: Response) -> Response:
    session = g.pop("db_session", None)
    record = g.pop("idempotency_record", None)
    error = g.get("error")
    keep = error is None or getattr(error, "keeps_changes", False)
    if session is not None:
        try:
            if keep:
                if record is not None:
                    idempotency.complete(
                        record, response.status_code, response.get_data(as_text=True)
                    )
                session.commit()
            else:
                session.rollback()  # the key's record goes too: a retry executes afresh
        except Exception:
            session.rollback()
            log.exception("commit failed")
            response = _envelope(InternalError())
        finally:
            session.close()
            _release_idempotency_key()
    response.headers["Request-Id"] = g.get("request_id", "")
    response.headers["x-correlation-id"] = g.get("correlation_id", g.get("request_id", ""))
    _log_access(response)
    return response


def _teardown(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:  # _finish did not run (e.g. a failure while building the response)
        session.rollback()
        session.close()
    _release_idempotency_key()


def _release_idempotency_key() -> None:
    """After the request's transaction has ended, never before: a request waiting for the key
    must find the stored response."""
    release = g.pop("idempotency_release", None)
    if release is not None:
        release()


def _log_access(response: Response) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    duration = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(duration, 2),
        },
    )


ErrorRenderer = Callable[[DealerhubError, str | None], Response]


def render_api_error(error: DealerhubError, request_id: str | None) -> Response:
    """The API's one error envelope (docs/API conventions), for every status."""
    body = error.to_dict()
    body["request_id"] = request_id
    response = current_app.response_class(
        json.dumps({"error": body}), status=error.status, mimetype="application/json"
    )
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def _envelope(error: DealerhubError) -> Response:
    """The error rendered for the surface the request came through: a blueprint whose users
    are not API clients (the staff desk's HTML pages, PEN's own body) registers its renderer
    in ``Wiring.error_renderers``; everything else gets the API envelope."""
    renderers: dict[str, ErrorRenderer] = current_app.extensions.get("error_renderers", {})
    render = renderers.get(request.blueprint or "", render_api_error)
    return render(error, g.get("request_id"))


def _render_error(error: DealerhubError) -> Response:
    g.error = error
    if error.status >= 500:
        log.warning("%s: %s", error.code, error.message)
    return _envelope(error)


def _render_http_exception(exc: HTTPException) -> Response:
    mapped: DealerhubError
    if exc.code == 404:
        mapped = NotFound(f"Unrecognized request URL ({request.method}: {request.path}).")
    elif exc.code == 405:
        allowed = ", ".join(sorted(getattr(exc, "valid_methods", None) or []))
        mapped = MethodNotAllowed(
            f"{request.method} is not allowed on {request.path}.",
            headers={"Allow": allowed} if allowed else None,
        )
    elif exc.code == 413:
        mapped = RequestTooLarge(
            f"The request body is over the {current_app.config['MAX_CONTENT_LENGTH']:,}-byte limit."
        )
    elif exc.code is not None and exc.code < 500:
        mapped = InvalidRequest(exc.description or "Bad request.", code="bad_request")
    else:
        mapped = InternalError()
    return _render_error(mapped)


def _render_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error")
    return _render_error(InternalError())
