"""The OpenAPI document is the contract (issue 15): every route is documented with its real
security, statuses and error envelope, and every error status it documents is one the app
really answers with, checked by calling each operation."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dealerhub.openapi_contract import ENVELOPE, access, flask_path
from tests.conftest import DealerKeys

NOT_API = {"static", "api-docs.openapi_json", "system.docs_page"}
KEYED_STATUSES = {400, 401, 403}


@pytest.fixture(scope="module")
def spec(app: Any) -> dict[str, Any]:
    document: dict[str, Any] = app.test_client().get("/openapi.json").get_json()
    return document


def _operations(app: Any, spec: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(rule, path, method, operation) for every documented route of the app."""
    out = []
    for rule in app.url_map.iter_rules():
        # The browser pages (web.*) and the staff desk (staff.*) are HTML, not the API.
        if rule.endpoint in NOT_API or rule.endpoint.startswith(("web.", "staff.")):
            continue
        path = flask_path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = spec["paths"].get(path, {}).get(method.lower())
            out.append((rule.endpoint, path, method.lower(), operation))
    return out


def test_every_route_is_documented(app: Any, spec: dict[str, Any]) -> None:
    missing = [f"{m.upper()} {p}" for _e, p, m, op in _operations(app, spec) if op is None]
    assert missing == []


def test_every_operation_has_summary_description_example_security(
    app: Any, spec: dict[str, Any]
) -> None:
    for endpoint, path, method, op in _operations(app, spec):
        where = f"{method.upper()} {path}"
        assert op["summary"] and op["description"], where
        assert "``" not in op["summary"] + op["description"], f"reStructuredText in {where}"
        assert op["x-codeSamples"][0]["source"].startswith("curl"), where
        kind = access(app, endpoint, method)
        schemes = {name for requirement in op["security"] for name in requirement}
        expected = {
            "public": set(),
            "publishable": {"bearerAuth", "apiKeyHeader", "publishableKey"},
            "secret": {"bearerAuth", "apiKeyHeader"},
        }[kind]
        assert schemes == expected, where
        assert "422" not in op["responses"] and "default" not in op["responses"], where
        for status, response in op["responses"].items():
            if kind == "public" and set(response.get("content", {})) == {"text/html"}:
                continue  # a page answers its errors as pages (documented as text/html)
            if int(status) >= 400 and path not in ("/set-dealer",):
                ref = response["content"]["application/json"]["schema"]
                assert ref == {"$ref": f"#/components/schemas/{ENVELOPE}"} or int(status) >= 500, (
                    where,
                    status,
                )


def test_health_and_inbound_webhooks_need_no_key(spec: dict[str, Any]) -> None:
    assert spec["paths"]["/healthz"]["get"]["security"] == []
    assert spec["paths"]["/payment/webhooks"]["post"]["security"] == []


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "zz_nosuchobject", path)


def _documented(op: dict[str, Any]) -> set[int]:
    return {int(s) for s in op["responses"]}


def test_documented_statuses_are_what_the_app_answers(
    app: Any, spec: dict[str, Any], client: Any, dealer: DealerKeys
) -> None:
    secret_key = {"Authorization": f"Bearer {dealer.secret_key}"}
    providers = {"/credit": "transunion", "/dms": "dealertrack"}
    publishable = {"Authorization": f"Bearer {dealer.publishable_key}"}
    big = b'{"a": "' + b"x" * (1024 * 1024 + 1) + b'"}'
    checked: dict[int, int] = {}

    def call(method: str, path: str, **kw: Any) -> int:
        status: int = client.open(_url(path), method=method.upper(), **kw).status_code
        return status

    for endpoint, path, method, op in _operations(app, spec):
        where = f"{method.upper()} {path}"
        documented = _documented(op)
        provider = next((v for k, v in providers.items() if path.startswith(k)), None)
        secret = {**secret_key, **({"x-service-provider": provider} if provider else {})}
        kind = access(app, endpoint, method)
        if 401 in documented:
            assert call(method, path) == 401, where
            checked[401] = checked.get(401, 0) + 1
        else:
            assert call(method, path) != 401, where
        if kind == "secret":
            assert 403 in documented, where
            assert call(method, path, headers=publishable) == 403, where
            checked[403] = checked.get(403, 0) + 1
        elif kind == "publishable":
            assert call(method, path, headers=publishable) != 403, where
        if kind != "public" and 400 in documented:
            got = call(method, path + "?no_such_parameter=1", headers=secret)
            assert got == 400, where
            checked[400] = checked.get(400, 0) + 1
        if 415 in documented:
            headers = {**secret, "Content-Type": "text/plain"}
            assert call(method, path, headers=headers, data=b'{"a": 1}') == 415, where
            checked[415] = checked.get(415, 0) + 1
        if 413 in documented:
            headers = {**secret, "Content-Type": "application/json"}
            assert call(method, path, headers=headers, data=big) == 413, where
            checked[413] = checked.get(413, 0) + 1
        if 404 in documented and method in ("get", "delete") and kind != "public":
            # A list's 404 is for a cursor naming no object.
            names = {p["name"] for p in op.get("parameters", [])}
            target = path + "?starting_after=obj_nope" if "starting_after" in names else path
            assert call(method, target, headers=secret) == 404, where
            checked[404] = checked.get(404, 0) + 1
    assert set(checked) == {400, 401, 403, 404, 413, 415}, checked


def test_the_error_envelope_documents_nested_messages(
    spec: dict[str, Any], client: Any, dealer: DealerKeys
) -> None:
    """``errors`` holds a nested object's (or a list's) messages per key or index, as the app
    sends them: the documented envelope accepts what the app answers."""
    import jsonschema

    r = client.post(
        "/payment/products",
        json={"name": "Mats", "images": ["not a url"], "default_price_data": {"x": 1}},
        headers={"Authorization": f"Bearer {dealer.secret_key}"},
    )
    body = r.get_json()
    assert r.status_code == 400 and isinstance(body["error"]["errors"]["images"], dict)
    envelope = {"$ref": f"#/components/schemas/{ENVELOPE}", "components": spec["components"]}
    jsonschema.validate(body, envelope)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/payment/customers"),  # a cursor
        ("get", "/events"),
        ("post", "/dms/deals"),  # customer_id, lead_id, payment_intent in the body
        ("post", "/payment/payment-intents"),  # customer, payment_method
        ("post", "/payment/refunds"),  # payment_intent
        ("get", "/configuration"),  # none created yet (declared by the view)
        ("patch", "/configuration"),
        ("delete", "/configuration"),
    ],
)
def test_operations_naming_other_objects_document_404(
    spec: dict[str, Any], method: str, path: str
) -> None:
    assert "404" in spec["paths"][path][method]["responses"]


def test_search_documents_no_cursor(spec: dict[str, Any]) -> None:
    """Search pages with ``page``; cursors it would refuse are not documented as valid."""
    names = {p["name"] for p in spec["paths"]["/payment/invoices/search"]["get"]["parameters"]}
    assert "page" in names
    assert not names & {"starting_after", "ending_before"}


def _validator(spec: dict[str, Any], name: str) -> Any:
    import jsonschema

    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return jsonschema.Draft7Validator(schema)


def test_a_nullable_object_is_null_or_that_object(
    spec: dict[str, Any], client: Any, dealer: DealerKeys
) -> None:
    """apispec documents a nullable nested object as ``anyOf: [{type: object, nullable:
    true}, {$ref}]``, whose first branch let any object in; the document now says null or
    the object, as the app checks."""
    junk = {"web": {"no_such_key": 1}}
    assert not _validator(spec, "Configuration").is_valid(junk)
    web = spec["components"]["schemas"]["Configuration"]["properties"]["web"]
    assert {"type": "object", "nullable": True, "enum": [None]} in web["anyOf"]
    r = client.post(
        "/configuration", json=junk, headers={"Authorization": f"Bearer {dealer.secret_key}"}
    )
    assert r.status_code == 400


def test_metadata_rules_are_documented(spec: dict[str, Any]) -> None:
    metadata = spec["components"]["schemas"]["CustomerCreate"]["properties"]["metadata"]
    assert metadata["maxProperties"] == 50
    assert metadata["additionalProperties"] == {"type": "string", "maxLength": 500}
    names = re.compile(metadata["x-propertyNames"]["pattern"])
    assert names.search("order_id") and not names.search("") and not names.search("a[b]")
    assert not names.search("k" * 41)


@pytest.mark.parametrize(
    ("schema", "field", "good", "bad"),
    [
        ("EndpointCreateArgs", "url", "https://hooks.example.com/x", "hooks.example.com"),
        ("SetDealerRequest", "webSite", "https://www.example-motors.com", "www.example"),
    ],
)
def test_url_fields_document_a_pattern(
    spec: dict[str, Any], schema: str, field: str, good: str, bad: str
) -> None:
    pattern = re.compile(spec["components"]["schemas"][schema]["properties"][field]["pattern"])
    assert pattern.search(good) and not pattern.search(bad)


def test_webhook_endpoints_document_what_they_may_subscribe_to(spec: dict[str, Any]) -> None:
    events = spec["components"]["schemas"]["EndpointCreateArgs"]["properties"]["enabled_events"]
    enum = events["items"]["enum"]
    assert {"*", "payment_intent.*", "payment_intent.succeeded"} <= set(enum)
    assert "" not in enum
