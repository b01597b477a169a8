"""The DMS capability: what the hub asks of a dealer management system, and the DTOs it passes.

Every push carries ``reference`` (our lead or deal id) and looks the customer up before it
inserts one, so sending the same record twice (a retry, a worker killed after the call but
before our commit) never creates a second DMS customer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class DmsContact:
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    address: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print PII in tracebacks or logs
        return "DmsContact(<redacted>)"


@dataclass(frozen=True)
class DmsLeadPush:
    reference: str
    contact: DmsContact
    customer_key: str | None = None
    vehicles: list[dict[str, Any]] = field(default_factory=list)
    trade_in: dict[str, Any] | None = None
    source: str | None = None
    comments: str | None = None


@dataclass(frozen=True)
class DmsDealPush:
    reference: str
    contact: DmsContact
    customer_key: str | None = None
    deal_key: str | None = None
    vehicle: dict[str, Any] = field(default_factory=dict)
    trade_in: dict[str, Any] | None = None
    finance: dict[str, Any] = field(default_factory=dict)
    products: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class DmsPushResult:
    """``customer_key`` is the DMS customer number; ``record_key`` the DMS key of the pushed
    record (the customer for a lead, the deal number for a deal); ``matched`` is True when
    the customer already existed at the DMS (found by the look-up, not inserted)."""

    customer_key: str
    record_key: str
    matched: bool = False


class DmsConnector(Protocol):
    name: str

    def push_lead(self, lead: DmsLeadPush) -> DmsPushResult: ...

    def push_deal(self, deal: DmsDealPush) -> DmsPushResult: ...
