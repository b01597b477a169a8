"""Managers edit the payment gateways (``payment_gateways.<name>``) and the payment routing
(``payment_routing``) at the desk, through the configuration area's own services and schema,
exactly as ``PATCH /configuration`` does: the same validation (a gateway in the mode's
environment, routing only to configured, capable gateways), the same encryption of secrets,
the same ``configuration.updated`` event and audit entry (with the staff user as actor).

Secrets are write-only: the form never shows a stored one; an empty secret input keeps it.
Any other input left empty removes that setting. Errors are shown beside their inputs (the
input names are the API's dotted paths) and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, request, url_for
from marshmallow import fields, validate
from werkzeug.wrappers import Response

from dealerhub.api import connectors, session
from dealerhub.configuration import service as configuration
from dealerhub.configuration.health import gateway_health
from dealerhub.configuration.schemas import ConfigurationSchema, PaymentGatewaysSchema
from dealerhub.connectors.processors.catalog import GATEWAYS
from dealerhub.connectors.processors.routing import GATEWAYS_KEY, ROUTING_KEY
from dealerhub.crypto import MASK
from dealerhub.errors import NotFound
from dealerhub.staff import forms
from dealerhub.staff.desk import actor, audit, render, tenant, view
from dealerhub.staff.roles import Permission

_CONFIGURATION = ConfigurationSchema()
RULE_ROWS = 2  # empty routing rows under the stored rules
MAX_RULES = 20  # the schema's own limit
RULE_KEYS = ("payment_method_type", "currency", "on_behalf_of")


@dataclass(frozen=True)
class Setting:
    """One input of a gateway's form, read off the API's schema for that gateway."""

    name: str
    label: str
    path: str
    kind: str  # checkbox | choice | secret | text
    required: bool
    hint: str
    choices: tuple[str, ...] = ()


_WORDS = {"api": "API", "url": "URL", "id": "ID", "pin": "PIN"}


def _label(field_name: str) -> str:
    """``api_key`` → "API key", ``processor_id`` → "Processor ID"."""
    words = [_WORDS.get(w, w) for w in field_name.split("_")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


def _settings_of(name: str) -> list[Setting]:
    spec = GATEWAYS[name]
    nested = PaymentGatewaysSchema().fields[name]
    assert isinstance(nested, fields.Nested)
    out = []
    for field_name, field in nested.schema.fields.items():
        choices: tuple[str, ...] = ()
        for validator in field.validators:
            if isinstance(validator, validate.OneOf):
                choices = tuple(str(c) for c in validator.choices)
        if isinstance(field, fields.Boolean):
            kind = "checkbox"
        elif choices:
            kind = "choice"
        elif field_name in spec.secret_fields:
            kind = "secret"
        else:
            kind = "text"
        out.append(
            Setting(
                field_name,
                _label(field_name),
                f"{GATEWAYS_KEY}.{name}.{field_name}",
                kind,
                field_name in spec.required_fields,
                # The schema's descriptions are Markdown for the API reference.
                str(field.metadata.get("description", "")).replace("`", ""),
                choices,
            )
        )
    return out


SETTINGS: dict[str, list[Setting]] = {name: _settings_of(name) for name in GATEWAYS}


def _store() -> Any:
    return connectors().cert_store


def _stored() -> dict[str, Any]:
    """The configuration as the API shows it (secrets as "********"), ``{}`` when none."""
    try:
        return configuration.get_configuration(session(), tenant())
    except NotFound:
        return {}


def _save(payload: dict[str, Any]) -> None:
    """Validate with the API's schema, then the API's update (or create, the first time)."""
    data = forms.load(_CONFIGURATION, payload)

    def write() -> Any:
        args = (session(), tenant(), data)
        kw = {"actor": str(actor()), "store": _store()}
        try:
            return configuration.update_configuration(*args, **kw)
        except NotFound:
            return configuration.create_configuration(*args, **kw)

    forms.run(write)


def gateway_block(name: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The ``payment_gateways.<name>`` change a gateway's form asks for."""
    block: dict[str, Any] = {}
    for s in SETTINGS[name]:
        value = form.get(s.path, "").strip()
        if s.kind == "checkbox":
            block[s.name] = value == "on"
        elif s.kind == "secret":
            if value:  # write-only: an empty input keeps the stored secret
                block[s.name] = value
        else:
            block[s.name] = value or None
    return block


def routing_change(form: Mapping[str, str]) -> tuple[dict[str, Any], list[int]]:
    """The ``payment_routing`` change, and the form row of each rule (empty rows skipped)."""
    rules, rows = [], []
    for i in range(MAX_RULES + RULE_ROWS):
        prefix = f"{ROUTING_KEY}.rules.{i}."
        names = [g.strip() for g in form.get(prefix + "gateways", "").split(",") if g.strip()]
        facts = {k: form.get(prefix + k, "").strip() for k in RULE_KEYS}
        if not names and not any(facts.values()):
            continue
        rules.append({"gateways": names, **{k: v for k, v in facts.items() if v}})
        rows.append(i)
    routing = {
        "default": form.get(f"{ROUTING_KEY}.default") or None,
        "test_mode": form.get(f"{ROUTING_KEY}.test_mode") or None,
        "rules": rules or None,
    }
    return routing, rows


def _rows_back(errors: Mapping[str, str], rows: list[int]) -> dict[str, str]:
    """Errors about the n-th rule sent, shown on the form row it came from."""
    out = {}
    for key, message in errors.items():
        parts = key.split(".")
        if key.startswith(f"{ROUTING_KEY}.rules.") and len(parts) > 2 and parts[2].isdigit():
            parts[2] = str(rows[int(parts[2])]) if int(parts[2]) < len(rows) else parts[2]
            key = ".".join(parts[:4])  # the rule's input (gateways.<j> → gateways)
        out[key] = message
    return out


def _page(
    errors: dict[str, str] | None = None,
    status: int = 200,
    form: Mapping[str, str] | None = None,
    posted: str | None = None,
) -> Response:
    """The screen; after a refused save, ``posted`` (a gateway, or "routing") shows what was
    typed in, the other forms what is stored."""
    stored = _stored()
    tree = configuration.resolved_config(session(), tenant())
    health = {h["name"]: h for h in gateway_health(session(), tenant(), tree)}
    routing = stored.get(ROUTING_KEY) or {}
    rules = list(routing.get("rules") or [])
    return render(
        "staff/gateways.html",
        status=status,
        errors=errors or {},
        form=form or {},
        posted=posted,
        settings=SETTINGS,
        stored=stored.get(GATEWAYS_KEY) or {},
        health=health,
        routing=routing,
        rules=rules,
        rule_rows=range(min(len(rules) + RULE_ROWS, MAX_RULES)),
        names=list(GATEWAYS),
        mask=MASK,
    )


@view("/configuration/gateways", Permission.CONFIGURATION)
def gateways() -> Response:
    page = _page()
    audit("desk.gateways_viewed")
    return page


@view("/configuration/gateways/<name>", Permission.CONFIGURATION, methods=["POST"])
def gateway_save(name: str) -> Response:
    """Save one gateway's settings (``action=remove``: delete its block)."""
    if name not in GATEWAYS:
        raise NotFound(f"No such gateway: {name!r}.")
    remove = request.form.get("action") == "remove"
    block = None if remove else gateway_block(name, request.form)
    try:
        _save({GATEWAYS_KEY: {name: block}})
    except forms.FormErrors as exc:
        return _page(exc.errors, exc.status, request.form, name)
    flash(f"Gateway {name} removed." if remove else f"Gateway {name} saved.")
    return redirect(url_for("staff.gateways") + f"#gw-{name}")


@view("/configuration/routing", Permission.CONFIGURATION, methods=["POST"])
def routing_save() -> Response:
    routing, rows = routing_change(request.form)
    try:
        _save({ROUTING_KEY: routing})
    except forms.FormErrors as exc:
        return _page(_rows_back(exc.errors, rows), exc.status, request.form, "routing")
    flash("Payment routing saved.")
    return redirect(url_for("staff.gateways") + "#routing")
