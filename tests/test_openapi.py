"""The OpenAPI document types every property of every response object: a client generated from
it (or a reader of /docs) must never meet an untyped field."""

from __future__ import annotations

from typing import Any

import pytest

REQUIRED_OBJECTS = (
    "PaymentIntent",
    "Charge",
    "Refund",
    "PaymentMethod",
    "Customer",
    "Event",
    "Lead",
    "Deal",
    "CreditCheck",
)


@pytest.fixture(scope="module")
def spec(app: Any) -> dict[str, Any]:
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.get_json()
    return document


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    ref = node.get("$ref")
    if ref is None:
        return None, node
    name = ref.rsplit("/", 1)[-1]
    return name, spec["components"]["schemas"][name]


def untyped(spec: dict[str, Any], node: dict[str, Any], path: str, seen: set[str]) -> list[str]:
    """Every property under ``node`` (through $ref, allOf/anyOf/oneOf, items and
    additionalProperties) that has neither a type nor a reference to a typed schema."""
    name, node = _resolve(spec, node)
    if name is not None:
        if name in seen:
            return []
        seen.add(name)
        path = name
    found: list[str] = []
    for key in ("allOf", "anyOf", "oneOf"):
        for i, part in enumerate(node.get(key, [])):
            found += untyped(spec, part, f"{path}.{key}[{i}]", seen)
    combined = any(key in node for key in ("allOf", "anyOf", "oneOf", "$ref"))
    if "type" not in node and not combined:
        found.append(path)
    if isinstance(node.get("items"), dict):
        found += untyped(spec, node["items"], f"{path}[]", seen)
    if node.get("additionalProperties"):  # {} is a free-form map: its values may be anything
        found += untyped(spec, node["additionalProperties"], f"{path}{{}}", seen)
    for prop, sub in node.get("properties", {}).items():
        found += untyped(spec, sub, f"{path}.{prop}", seen)
    return found


def response_schemas(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for route, item in spec["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
                for media, content in response.get("content", {}).items():
                    if "schema" in content and media == "application/json":
                        out.append((f"{method.upper()} {route} {status}", content["schema"]))
    return out


def test_every_response_property_is_typed(spec):
    problems = []
    schemas = response_schemas(spec)
    assert len(schemas) > 40
    for where, schema in schemas:
        problems += [f"{where}: {p}" for p in untyped(spec, schema, where, set())]
    assert problems == []


@pytest.mark.parametrize("name", REQUIRED_OBJECTS)
def test_object_schema_exists_and_is_fully_typed(spec, name):
    schemas = spec["components"]["schemas"]
    assert name in schemas
    schema = schemas[name]
    assert schema["type"] == "object"
    for field in ("id", "object", "created", "livemode"):
        assert field in schema["properties"], field
    assert untyped(spec, {"$ref": f"#/components/schemas/{name}"}, name, set()) == []
