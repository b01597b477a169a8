"""The address-verifier Protocol and the DTOs it exchanges with the addresses service.

A verifier is asked about an address the service has already parsed and normalised to USPS
Publication 28 (upper case, standard suffixes and unit designators); it answers whether the
address is verified, the standardised form it knows, and any candidates. It raises only
``dealerhub.connectors.base`` errors (provider down, credentials refused); "not found" and
"does not match" are answers, not errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class AddressQuery:
    """A parsed US address, normalised to Publication 28. Parts the input lacked are None."""

    line1: str
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    zip5: str | None = None
    zip4: str | None = None

    def key(self) -> str:
        """The normalised input as one string: equal for inputs that differ only in case,
        punctuation, abbreviations or spacing (the answer cache's key, before hashing)."""
        parts = (self.line1, self.line2, self.city, self.state, self.zip5, self.zip4)
        return "|".join(p or "" for p in parts)


@dataclass(frozen=True)
class StandardAddress:
    line1: str
    line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None  # the 5-digit ZIP code
    zip4: str | None = None
    country: str = "US"

    def as_dict(self) -> dict[str, Any]:
        return {
            "line1": self.line1,
            "line2": self.line2,
            "city": self.city,
            "state": self.state,
            "postal_code": self.postal_code,
            "zip4": self.zip4,
            "country": self.country,
        }


@dataclass(frozen=True)
class VerifierAnswer:
    """``details`` holds what the provider knows beyond the address (county, ZIP type, DPV
    confirmation, carrier route, …), keyed like the response's ``components``."""

    verified: bool
    address: StandardAddress | None
    candidates: tuple[StandardAddress, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    error_message: str | None = None


class AddressVerifier(Protocol):
    """Verify one parsed address. Raises ``dealerhub.connectors.base.ConnectorError``."""

    name: str

    def verify(self, query: AddressQuery) -> VerifierAnswer: ...
