"""What every surface (API, CLI, tasks and later the staff desk) says about the work in
hand: the request id, the dealer, the idempotency key and who is acting. Logs, event
``request`` blocks and the audit log read it from here.

Each value is a context variable, so concurrent requests (threads) never see each other's.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who acts: ``kind`` is ``api_key``, ``cli``, ``staff`` or ``task``; ``id`` names the
    key (``secret:key_…``), the operating-system user or the staff user."""

    kind: str
    id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
dealer_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "dealer_id", default=None
)
idempotency_key_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "idempotency_key", default=None
)
actor_var: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("actor", default=None)


def actor() -> Actor:
    """The current actor; work started by nothing we know of acts as the system."""
    return actor_var.get() or Actor("system", "dealerhub")
