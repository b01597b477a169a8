from __future__ import annotations

import json

from openapi_spec_validator import validate

from dealerhub import __version__
from tests.conftest import assert_error, bind_tasks_to


def test_api_version_is_public(client):
    response = client.get("/api-version")
    assert response.status_code == 200
    assert response.get_json() == {"version": __version__}
    assert response.headers["Request-Id"].startswith("req_")
    assert response.headers["x-correlation-id"] == response.headers["Request-Id"]


def test_correlation_id_is_echoed(client):
    response = client.get("/api-version", headers={"x-correlation-id": "abc-123"})
    assert response.headers["x-correlation-id"] == "abc-123"
    assert response.headers["Request-Id"].startswith("req_")


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["broker"] == "ok"
    assert body["worker"] == "inline"  # the suite runs tasks in the request
    assert isinstance(body["queue_depth"], int)


def test_healthz_is_503_when_the_database_is_down(app, client, monkeypatch):
    def boom(*_a, **_k):
        raise OSError("connection refused")

    monkeypatch.setattr(app.extensions["db"].engine, "connect", boom)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"


def test_healthz_is_503_when_the_broker_is_down(app, client, monkeypatch):
    def boom(*_a, **_k):
        raise ConnectionError("broker gone")

    monkeypatch.setattr(app.extensions["celery"], "connection_for_write", boom)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["broker"] == "unavailable"


def test_openapi_document_is_valid(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert "/api-version" in spec["paths"]


def test_docs_page_renders_without_external_assets(client):
    response = client.get("/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/api-version" in html
    # Every asset is served by the app itself: no scheme-qualified or protocol-relative URLs.
    assert "http://" not in html and "https://" not in html and 'src="//' not in html
    css = client.get("/static/docs.css")
    assert css.status_code == 200
    assert b"font" in css.data
    css.close()


def test_unknown_route_is_404_envelope(api):
    body = assert_error(api.get("/no/such/thing"), 404, "invalid_request_error", "resource_missing")
    assert "/no/such/thing" in body["message"]


def test_unknown_route_without_key_is_still_404(client):
    assert_error(client.get("/nope"), 404, "invalid_request_error", "resource_missing")


def test_wrong_method_is_405_envelope(client):
    response = client.post("/api-version")
    body = assert_error(response, 405, "invalid_request_error", "method_not_allowed")
    assert "POST" in body["message"]
    assert "GET" in response.headers["Allow"]


def test_unexpected_exception_is_500_without_internals(app, base_settings, caplog):
    from dealerhub.api import public
    from dealerhub.app import create_app

    fresh = create_app(base_settings)
    bind_tasks_to(app)  # the main app keeps the tasks

    @public
    def boom() -> str:
        raise RuntimeError("secret internal detail sk_test_abcdefghijkl")

    fresh.add_url_rule("/boom", view_func=boom)
    response = fresh.test_client().get("/boom")
    fresh.extensions["db"].dispose()
    body = assert_error(response, 500, "api_error", "internal_error")
    raw = json.dumps(body)
    assert "RuntimeError" not in raw and "internal detail" not in raw and "Traceback" not in raw
    # The traceback is logged, with the key masked.
    assert "sk_test_abcdefghijkl" not in caplog.text
    assert "sk_test_********" in caplog.text


def test_a_surface_renders_its_own_errors(toy_app, toy_api, monkeypatch):
    """A blueprint whose users are not API clients (the staff desk, PEN) registers its own
    error renderer; the API's envelope stays the default everywhere else."""
    from flask import Response

    def plain(error, request_id):
        return Response(f"{error.code} ({request_id})", status=error.status, mimetype="text/plain")

    monkeypatch.setitem(toy_app.extensions["error_renderers"], "toy", plain)
    r = toy_api.post("/toy/widgets", json={"name": "x", "fail": True})
    assert r.status_code == 400 and r.mimetype == "text/plain"
    assert r.get_data(as_text=True).startswith("parameter_invalid (req_")
    other = toy_api.get("/payment/customers/cus_missing")
    assert other.status_code == 404 and other.get_json()["error"]["code"] == "resource_missing"
