"""The credit-bureau Protocol and the DTOs it exchanges with the credit service.

A DTO holding PII hides it from ``repr`` so a stray log line or traceback cannot leak it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

PullType = Literal["soft", "hard"]
Outcome = Literal["hit", "no_hit", "frozen"]


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str | None = None
    country: str = "US"


@dataclass(frozen=True)
class Applicant:
    first_name: str
    last_name: str
    date_of_birth: str = field(repr=False)  # YYYY-MM-DD
    social_security_number: str = field(repr=False)  # 9 digits
    addresses: tuple[Address, ...] = field(repr=False)
    middle_name: str | None = None
    suffix: str | None = None
    gender: str | None = None
    phone_numbers: tuple[str, ...] = field(default=(), repr=False)
    occupation: str | None = None
    employer: str | None = None
    driver_license_number: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CreditRequest:
    applicant: Applicant
    pull_type: PullType
    permissible_purpose: str
    reference: str  # our credit check id: a correlation id that carries no PII


@dataclass(frozen=True)
class CreditReport:
    """The bureau's answer in the shape of Hubex 1.1.74 (unmasked: the service masks it)."""

    outcome: Outcome
    consumer: dict[str, Any] = field(default_factory=dict, repr=False)
    addresses: list[dict[str, Any]] = field(default_factory=list, repr=False)
    phones: list[dict[str, Any]] = field(default_factory=list, repr=False)
    social_security_number: str | None = field(default=None, repr=False)
    trade: list[dict[str, Any]] = field(default_factory=list, repr=False)
    risk_model: dict[str, Any] | None = None
    raw: str = field(default="", repr=False)  # the bureau's response document, stored encrypted


class CreditBureau(Protocol):
    """Pull one consumer report. Raises ``dealerhub.connectors.base.ConnectorError``."""

    name: str

    def pull(self, request: CreditRequest) -> CreditReport: ...
