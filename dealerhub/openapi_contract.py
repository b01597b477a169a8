"""The OpenAPI document as the contract the app keeps (issue 15).

An apispec plugin run on every operation as flask-smorest documents it:

- errors: the statuses the operation can really answer with, each with the API's one error
  envelope (not flask-smorest's own ``422`` and ``default`` error schema): 400 always
  (validation, unknown query parameters), 401/403 unless the operation is public, 404 with a
  path parameter, 413/415 with a JSON body, 402 where a card is charged, 409 for
  ``Idempotency-Key`` on POST;
- security: what the view really accepts (secret key, secret or publishable key, none);
- summary and description: from the docstring, written for Markdown (reStructuredText's
  double backticks become single ones), and a summary made from the path where the view has
  no docstring;
- an example request for every operation (``x-codeSamples``, a curl line);
- the rules a marshmallow field or schema checks that apispec cannot see, so that what the
  document calls valid the app accepts: a field's ``metadata={"json_schema": {…}}`` and a
  schema's ``json_schema`` class attribute (``allOf``/``not``/``oneOf`` over its fields, for
  "one of these, not both") are merged into its JSON schema, and a free-form request object
  documents the values a body may hold (no number outside 64 bits, :mod:`dealerhub.jsonbody`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask
from marshmallow import Schema, fields, validate

from dealerhub.jsonbody import MAX_INT
from dealerhub.schemas import ResponseSchema

ENVELOPE = "ApiError"


class ApiErrorBodySchema(Schema):
    type = fields.String(
        required=True,
        metadata={"description": "invalid_request_error, card_error, … (docs/errors.md)"},
    )
    code = fields.String(required=True, metadata={"example": "parameter_invalid"})
    message = fields.String(required=True)
    param = fields.String(allow_none=True, metadata={"description": "The field at fault"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={
            "description": "Validation messages per field: a list of strings, or for a "
            "nested object or a list an object of the same shape per key or index "
            '(`{"card": {"number": ["…"]}}`, `{"lines": {"0": {"amount": ["…"]}}}`)'
        },
    )
    decline_code = fields.String(metadata={"description": "402 only"})
    retryable = fields.Boolean(metadata={"description": "provider errors: may a retry help"})
    request_id = fields.String(allow_none=True, metadata={"example": "req_5f2a…"})


class ApiErrorSchema(Schema):
    error = fields.Nested(ApiErrorBodySchema, required=True)


STATUS_TEXT = {
    400: "Invalid request: a field, a query parameter, the body or the object's state",
    401: "No API key, or an unknown or revoked one",
    402: "The card was declined",
    403: "A key that may not call this (publishable key, browser origin)",
    404: "No such object for this dealer and mode (in the path, a cursor or the body)",
    409: "The same Idempotency-Key is still being processed",
    413: "The body is over 1 MiB",
    415: "The body is not application/json",
}

# Where a card is charged or verified, a decline is a 402.
_CHARGES = re.compile(
    r"^/payment/(payment-intents(/\{[^}]+\}/confirm)?|setup-intents(/\{[^}]+\}/confirm)?"
    r"|payment-methods|invoices/\{[^}]+\}/pay)$"
)
_OBJECT_PARAM = re.compile(r"\{[a-z_]*(_id|token)\}")
# A list's cursors and the body fields that name another object of the dealer: an id that
# names none is a 404 ``resource_missing`` (API conventions), so the operation documents it.
# (A list's filters, ``?customer=``, only narrow the list.)
CURSORS = frozenset({"starting_after", "ending_before"})
REFERENCES = frozenset(
    {
        "customer",
        "customer_id",
        "lead_id",
        "payment_intent",
        "payment_method",
        "default_payment_method",
        "setup_intent",
        "charge",
        "invoice",
        "price",
        "product",
    }
)
_RST = re.compile(r"``([^`]+)``")
_RULE_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _markdown(text: str) -> str:
    return _RST.sub(r"`\1`", text)


def _summary(method: str, path: str) -> str:
    words = [p for p in path.strip("/").split("/") if p and not p.startswith("{")]
    thing = " ".join(words[-2:] if len(words) > 1 else words).replace("-", " ")
    verb = {
        "get": "Retrieve" if path.endswith("}") else "List",
        "post": "Create",
        "patch": "Update",
        "put": "Replace",
        "delete": "Delete",
    }.get(method, method.upper())
    return f"{verb} {thing}".strip()


def _flag(app: Flask, endpoint: str, method: str, flag: str) -> bool:
    view = app.view_functions.get(endpoint)
    if view is None:
        return False
    if getattr(view, flag, False):
        return True
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, method, None) if view_class else None
    return bool(getattr(handler, flag, False))


def declared_statuses(app: Flask, endpoint: str, method: str) -> set[int]:
    """Error statuses the view declares it answers with (``dealerhub.api.answers``)."""
    view = app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, method, None) if view_class else view
    return set(getattr(handler, "dealerhub_statuses", ()))


def access(app: Flask, endpoint: str, method: str) -> str:
    """``public``, ``publishable`` or ``secret``: which keys the view takes."""
    if _flag(app, endpoint, method, "dealerhub_public"):
        return "public"
    if _flag(app, endpoint, method, "dealerhub_publishable"):
        return "publishable"
    return "secret"


def page_response(description: str, mimetype: str = "text/html") -> dict[str, Any]:
    """A response of a page (HTML) or a file rather than JSON, for views to document."""
    schema: dict[str, Any] = {"type": "string"}
    if not mimetype.startswith("text/"):
        schema["format"] = "binary"
    return {"description": description, "content": {mimetype: {"schema": schema}}}


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": STATUS_TEXT[status],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ENVELOPE}"}}},
    }


def _has_json_body(operation: Mapping[str, Any]) -> bool:
    content = (operation.get("requestBody") or {}).get("content") or {}
    return "application/json" in content


def _curl(method: str, path: str, kind: str, operation: Mapping[str, Any]) -> str:
    parts = ["curl"]
    if method != "get":
        parts.append(f"-X {method.upper()}")
    parts.append(f'"$HUB{path}"')
    if kind != "public":
        parts.append(
            '-H "Authorization: Bearer $SK"'
            if kind == "secret"
            else '-H "Authorization: Bearer $PK"'
        )
    if method == "post" and kind != "public":
        parts.append('-H "Idempotency-Key: $(uuidgen)"')
    if _has_json_body(operation):
        parts.append("-H \"Content-Type: application/json\" -d '{…}'")
    return " ".join(parts)


# What a free-form request object (``fields.Dict()`` with no value type) may hold per key.
FREE_FORM_VALUE: dict[str, Any] = {
    "nullable": True,
    "anyOf": [
        {"type": "string", "maxLength": 5000},
        {"type": "boolean"},
        {"type": "number", "minimum": -MAX_INT - 1, "maximum": MAX_INT},
    ],
}


# URLs the marshmallow URL validator accepts, as a pattern (a conservative subset of its own
# regular expression: DNS-label hosts, a top-level domain where one is required, a real port,
# a path without spaces).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = (
    r"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}"
    r"|[1-9][0-9]{0,3}))?"
)
_PATH = r"(?:/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?"


def url_pattern(validator: validate.URL) -> str:
    schemes = "|".join(sorted(validator.schemes or {"http", "https"}))
    host = rf"(?:{_LABEL}\.)+[A-Za-z0-9]{{2,63}}"  # the last label: 2 characters or more
    if not validator.require_tld:
        host = rf"(?:{host}|{_LABEL})"
    return rf"^(?:{schemes})://{host}{_PORT}{_PATH}$"


def _validators(field: fields.Field) -> list[Any]:
    found: list[Any] = []
    for v in field.validators:
        found.extend(getattr(v, "validators", [v]) if isinstance(v, validate.And) else [v])
    return found


def _field_rules(_converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: the field's own ``json_schema`` rules, the values of a
    free-form request object, a URL's pattern, and a nullable object that is null or the
    object (apispec's ``anyOf`` with ``{type: object, nullable: true}`` let any object in)."""
    ret: dict[str, Any] = kwargs.get("ret") or {}
    rules = dict(field.metadata.get("json_schema") or {})
    url = next((v for v in _validators(field) if isinstance(v, validate.URL)), None)
    if url is not None and "pattern" not in ret:
        rules.setdefault("pattern", url_pattern(url))
    any_of = ret.get("anyOf")
    if isinstance(any_of, list) and {"type": "object", "nullable": True} in any_of:
        rules["anyOf"] = [
            {"type": "object", "nullable": True, "enum": [None]}
            if branch == {"type": "object", "nullable": True}
            else branch
            for branch in any_of
        ]
    if (
        type(field) is fields.Dict
        and field.value_field is None
        and not field.dump_only
        and not isinstance(field.parent, ResponseSchema)
    ):
        rules.setdefault("additionalProperties", FREE_FORM_VALUE)
    return rules


class ContractPlugin(BasePlugin):
    def __init__(self, app: Flask) -> None:
        self.app = app

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        self.spec = spec
        for plugin in spec.plugins:
            if isinstance(plugin, MarshmallowPlugin) and plugin.converter is not None:
                plugin.converter.add_attribute_function(_field_rules)
        spec.components.schema(ENVELOPE, schema=ApiErrorSchema)
        spec.components.security_scheme(
            "publishableKey",
            {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "pk_test_… / pk_live_…",
                "description": "A publishable key: for browsers, on the endpoints that say so.",
            },
        )

    def schema_helper(self, name: str, definition: Any, **kwargs: Any) -> dict[str, Any] | None:
        """A schema's ``json_schema`` class attribute: rules across its fields."""
        schema = kwargs.get("schema")
        if schema is None:
            return None
        rules = getattr(resolve_schema_cls(schema), "json_schema", None)
        if not rules:
            return None
        # Under allOf: client generators (openapi-python-client) read an object with a
        # top-level oneOf/anyOf as a union of other types, and keep it one model under allOf.
        return dict(rules) if set(rules) == {"allOf"} else {"allOf": [dict(rules)]}

    def operation_helper(
        self,
        path: str | None = None,
        operations: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations or path is None:
            return
        for method, operation in operations.items():
            if method in ("parameters", "options", "head"):
                continue
            kind = access(self.app, rule.endpoint, method)
            extra = declared_statuses(self.app, rule.endpoint, method)
            self._document(path, method, kind, operation, extra)

    def _names_objects(self, operation: Mapping[str, Any]) -> bool:
        """Whether a cursor or a body field names another object (``REFERENCES``)."""
        query = {p.get("name") for p in operation.get("parameters") or [] if p.get("in") == "query"}
        content = (operation.get("requestBody") or {}).get("content") or {}
        body = (content.get("application/json") or {}).get("schema") or {}
        names = {
            name
            for name, prop in self._properties(body).items()
            if isinstance(prop, Mapping) and prop.get("type") == "string"
        }
        return bool(query & CURSORS or names & REFERENCES)

    def _properties(self, schema: Any) -> Mapping[str, Any]:
        if not isinstance(schema, Mapping):
            return {}
        ref = schema.get("$ref")
        if isinstance(ref, str):
            schema = self.spec.components.schemas.get(ref.rsplit("/", 1)[-1], {})
        properties = schema.get("properties") if isinstance(schema, Mapping) else None
        return properties if isinstance(properties, Mapping) else {}

    def _document(
        self,
        path: str,
        method: str,
        kind: str,
        operation: dict[str, Any],
        extra: set[int] | None = None,
    ) -> None:
        if operation.get("summary"):
            operation["summary"] = _markdown(operation["summary"])
        else:
            operation["summary"] = _summary(method, path)
        summary = operation["summary"]
        operation["description"] = _markdown(
            operation.get("description") or summary + ("" if summary.endswith(".") else ".")
        )
        responses: dict[Any, Any] = operation.setdefault("responses", {})
        for smorest_default in (422, "422", "default"):
            responses.pop(smorest_default, None)
        for key in list(responses):
            # flask-smorest's own error responses are named references ("BAD_REQUEST") to its
            # error schema: ours replace them; a response the view documents itself stays.
            if isinstance(responses[key], str):
                responses.pop(key)
            elif isinstance(key, int):
                responses[str(key)] = responses.pop(key)
        statuses = set(extra or ())
        if kind != "public" or operation.get("parameters") or operation.get("requestBody"):
            statuses.add(400)  # validation, unknown query parameters (keyed operations)
        if kind != "public":
            statuses |= {401, 403}
        if _OBJECT_PARAM.search(path) or self._names_objects(operation):
            statuses.add(404)  # an object id (or a hosted page's token) that may not exist
        if _has_json_body(operation):
            statuses |= {413, 415}
        if method == "post" and kind != "public":
            statuses.add(409)
        if method == "post" and _CHARGES.match(path):
            statuses.add(402)
        for status in sorted(statuses):
            responses.setdefault(str(status), _error_response(status))
        if kind == "public":
            operation["security"] = []
        elif kind == "publishable":
            operation["security"] = [
                {"bearerAuth": []},
                {"apiKeyHeader": []},
                {"publishableKey": []},
            ]
        else:
            operation["security"] = [{"bearerAuth": []}, {"apiKeyHeader": []}]
        operation["x-dealerhub-keys"] = {
            "public": [],
            "publishable": ["secret", "publishable"],
            "secret": ["secret"],
        }[kind]
        operation.setdefault(
            "x-codeSamples", [{"lang": "curl", "source": _curl(method, path, kind, operation)}]
        )


def flask_path(rule: str) -> str:
    """``/payment/customers/<customer_id>`` → ``/payment/customers/{customer_id}``."""
    return _RULE_PARAM.sub(r"{\1}", rule)
