"""Unknown query parameters are a 400 ``parameter_unknown``, as unknown body fields are.

Views that declare a query schema already refuse unknown names (``StrictSchema``); this
check covers the views that declare none, where a misspelt filter
(``GET /payment/customers/cus_…?expand=x``) would otherwise be ignored in silence. What a
view accepts is read from the OpenAPI document the app serves (the contract), once per app.
HTML pages and other ``@public`` views read their own query strings and are left alone.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, request

from dealerhub.errors import ValidationFailed

_RULE_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _accepted() -> dict[tuple[str, str], frozenset[str]]:
    """``(openapi path, method) -> query parameter names`` of every documented operation."""
    cached: dict[tuple[str, str], frozenset[str]] | None = current_app.extensions.get("strictquery")
    if cached is None:
        spec: dict[str, Any] = current_app.extensions["api"].spec.to_dict()
        cached = {}
        for path, operations in spec.get("paths", {}).items():
            shared = [p for p in operations.get("parameters", []) if p.get("in") == "query"]
            for method, operation in operations.items():
                if method == "parameters":
                    continue
                params = shared + [
                    p for p in operation.get("parameters", []) if p.get("in") == "query"
                ]
                cached[(path, method.upper())] = frozenset(p["name"] for p in params)
        current_app.extensions["strictquery"] = cached
    return cached


def check() -> None:
    """``before_request``: refuse a query parameter the operation does not document."""
    if not request.args or request.url_rule is None or request.method == "OPTIONS":
        return
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, request.method.lower(), None) if view_class else view
    if getattr(view, "dealerhub_public", False) or getattr(handler, "dealerhub_public", False):
        return
    path = _RULE_PARAM.sub(r"{\1}", request.url_rule.rule)
    accepted = _accepted().get((path, request.method))
    if accepted is None:  # not an API operation (docs, static files)
        return
    for name in request.args:
        if name not in accepted:
            raise ValidationFailed(
                f"Received unknown parameter: {name}"
                + (f" (accepted: {', '.join(sorted(accepted))})." if accepted else "."),
                param=name,
                code="parameter_unknown",
                errors={name: ["Unknown field."]},
            )
