"""The mail capability: hand over one RFC 5322 message (stdlib ``EmailMessage``).

Implementations raise only ``dealerhub.connectors.base`` errors: ``ConnectorUnavailable``
(retryable: the server was unreachable or answered 4xx) or ``ConnectorRejected`` (a 5xx: the
same message will never be accepted)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol


class Mailer(Protocol):
    name: str

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` to its ``To`` recipients (or fail with a ConnectorError)."""
