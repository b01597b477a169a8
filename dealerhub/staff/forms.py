"""From an HTML form to the API's schemas, and from their errors back to the fields.

The desk validates with the same marshmallow schemas as the API, so a field's message is
the API's message; a service's error names its field in ``param`` and is shown beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import Schema, ValidationError

from dealerhub.api import session
from dealerhub.errors import DealerhubError


class FormErrors(Exception):
    """The form's errors, keyed by field name (dotted for nested API fields)."""

    def __init__(self, errors: Mapping[str, str], status: int = 400) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)
        self.status = status


def flatten(messages: Any, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages as ``{"consent.pull_type": "first message"}``."""
    out: dict[str, str] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten(value, path))
    elif isinstance(messages, list) and messages:
        if all(isinstance(m, str) for m in messages):
            out[prefix or "_form"] = str(messages[0])
        else:
            for item in messages:
                out.update(flatten(item, prefix))
    elif messages:
        out[prefix or "_form"] = str(messages)
    return out


def load(schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        raise FormErrors(flatten(exc.messages)) from None
    return loaded


def money(value: str | None, field: str, *, required: bool = True) -> int | None:
    """``"1,234.50"`` dollars → 123450 cents (the API's integer minor units)."""
    text = (value or "").replace(",", "").replace("$", "").strip()
    if not text:
        if required:
            raise FormErrors({field: "Enter an amount."})
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise FormErrors({field: "Enter an amount such as 125.00."}) from None
    if amount != amount.quantize(Decimal("0.01")) or amount < 0:
        raise FormErrors({field: "Enter a positive amount with at most two decimals."})
    return int(amount * 100)


def blank_to_none(form: Mapping[str, str], *names: str) -> dict[str, Any]:
    """The named fields that were filled in (an empty input means "not given")."""
    return {n: form[n].strip() for n in names if form.get(n, "").strip()}


def run(action: Callable[[], Any]) -> Any:
    """Run a service call; its error becomes the form's errors (the field its ``param``
    names, else the whole form), and its partial changes are rolled back unless the error
    records an outcome worth keeping (a declined card, a processor that failed)."""
    try:
        return action()
    except DealerhubError as exc:
        if not getattr(exc, "keeps_changes", False):
            session().rollback()
        raise FormErrors({exc.param or "_form": exc.message}, exc.status) from None
