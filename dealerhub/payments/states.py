"""Statuses and the one transition table per object (Stripe's PaymentIntent lifecycle).

Services never assign ``status`` directly: they call :func:`move`, which checks the table and
raises a 400 naming the current status for anything the table does not allow.
"""

from __future__ import annotations

import enum
import re
from typing import Protocol

from dealerhub.errors import InvalidState


class PIStatus(enum.StrEnum):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


class SIStatus(enum.StrEnum):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


_P = PIStatus
_OPEN = frozenset({_P.REQUIRES_PAYMENT_METHOD, _P.REQUIRES_CONFIRMATION, _P.REQUIRES_ACTION})
_OUTCOMES = frozenset(
    {
        _P.REQUIRES_ACTION,
        _P.PROCESSING,
        _P.REQUIRES_CAPTURE,
        _P.SUCCEEDED,
        _P.REQUIRES_PAYMENT_METHOD,
    }
)

# trigger -> (statuses it may start from, statuses it may lead to)
PI_TRANSITIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "update": (_OPEN, frozenset({_P.REQUIRES_PAYMENT_METHOD, _P.REQUIRES_CONFIRMATION})),
    "confirm": (
        frozenset({_P.REQUIRES_PAYMENT_METHOD, _P.REQUIRES_CONFIRMATION}),
        _OUTCOMES,
    ),
    "authenticate": (
        frozenset({_P.REQUIRES_ACTION}),
        frozenset({_P.PROCESSING, _P.REQUIRES_CAPTURE, _P.SUCCEEDED, _P.REQUIRES_PAYMENT_METHOD}),
    ),
    # A bank debit settles or is returned; an attempt whose outcome was unknown may turn
    # out to be an authorization waiting for capture.
    "settle": (
        frozenset({_P.PROCESSING}),
        frozenset({_P.PROCESSING, _P.SUCCEEDED, _P.REQUIRES_CAPTURE, _P.REQUIRES_PAYMENT_METHOD}),
    ),
    # A live attempt is committed (the intent processing) before the gateway is called; when
    # the gateway certainly did nothing, the intent goes back to await another confirm.
    "release": (frozenset({_P.PROCESSING}), frozenset({_P.REQUIRES_CONFIRMATION})),
    "capture": (frozenset({_P.REQUIRES_CAPTURE}), frozenset({_P.SUCCEEDED})),
    "cancel": (_OPEN | {_P.REQUIRES_CAPTURE}, frozenset({_P.CANCELED})),
    "expire": (frozenset({_P.REQUIRES_CAPTURE}), frozenset({_P.CANCELED})),
    "refund": (frozenset({_P.SUCCEEDED}), frozenset({_P.SUCCEEDED})),
}

# The event each arrival writes; a return to requires_payment_method from an attempt is a failure.
PI_EVENTS: dict[str, str] = {
    _P.REQUIRES_ACTION: "payment_intent.requires_action",
    _P.PROCESSING: "payment_intent.processing",
    _P.REQUIRES_CAPTURE: "payment_intent.amount_capturable_updated",
    _P.SUCCEEDED: "payment_intent.succeeded",
    _P.CANCELED: "payment_intent.canceled",
    _P.REQUIRES_PAYMENT_METHOD: "payment_intent.payment_failed",
}

_S = SIStatus
SI_TRANSITIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "update": (
        frozenset({_S.REQUIRES_PAYMENT_METHOD, _S.REQUIRES_CONFIRMATION, _S.REQUIRES_ACTION}),
        frozenset({_S.REQUIRES_PAYMENT_METHOD, _S.REQUIRES_CONFIRMATION}),
    ),
    "confirm": (
        frozenset({_S.REQUIRES_PAYMENT_METHOD, _S.REQUIRES_CONFIRMATION}),
        frozenset({_S.REQUIRES_ACTION, _S.SUCCEEDED, _S.REQUIRES_PAYMENT_METHOD}),
    ),
    "authenticate": (
        frozenset({_S.REQUIRES_ACTION}),
        frozenset({_S.SUCCEEDED, _S.REQUIRES_PAYMENT_METHOD}),
    ),
    "cancel": (
        frozenset({_S.REQUIRES_PAYMENT_METHOD, _S.REQUIRES_CONFIRMATION, _S.REQUIRES_ACTION}),
        frozenset({_S.CANCELED}),
    ),
}
SI_EVENTS: dict[str, str] = {
    _S.REQUIRES_ACTION: "setup_intent.requires_action",
    _S.SUCCEEDED: "setup_intent.succeeded",
    _S.CANCELED: "setup_intent.canceled",
    _S.REQUIRES_PAYMENT_METHOD: "setup_intent.setup_failed",
}

_R = RefundStatus
REFUND_TRANSITIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "settle": (frozenset({_R.PENDING}), frozenset({_R.SUCCEEDED, _R.FAILED})),
    "cancel": (frozenset({_R.PENDING}), frozenset({_R.CANCELED})),
}

_VERB = {
    "update": "update",
    "confirm": "confirm",
    "authenticate": "authenticate",
    "settle": "settle",
    "capture": "capture",
    "cancel": "cancel",
    "expire": "expire",
    "refund": "refund",
}


class _HasStatus(Protocol):
    id: str
    status: str


def check(
    table: dict[str, tuple[frozenset[str], frozenset[str]]],
    obj: _HasStatus,
    trigger: str,
    *,
    label: str,
    param: str | None = None,
) -> None:
    """Raise a 400 naming the current status unless ``trigger`` may start from it."""
    sources, _ = table[trigger]
    if obj.status not in sources:
        raise InvalidState(
            f"You cannot {_VERB[trigger]} this {label} because it has a status of {obj.status}.",
            code=re.sub(r"(?<!^)(?=[A-Z])", "_", label).lower() + "_unexpected_state",
            param=param,
        )


def move(
    table: dict[str, tuple[frozenset[str], frozenset[str]]],
    obj: _HasStatus,
    trigger: str,
    to: str,
    *,
    label: str,
) -> str:
    """Apply one transition of ``table``; returns the previous status."""
    check(table, obj, trigger, label=label)
    _, targets = table[trigger]
    if to not in targets:  # a programming error, not user input
        raise RuntimeError(f"{label} {obj.id}: {trigger} cannot lead to {to}")
    previous = obj.status
    obj.status = to
    return previous
