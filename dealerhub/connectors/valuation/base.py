"""The valuation-provider Protocol and the DTOs it exchanges with the trade-in service.

The drill-down to a model year is the hub's own offline catalogue (NHTSA vPIC, the same in
every mode); a provider lists the vehicles (trims / styles) of a model year or a VIN, their
options, and values one. Money is integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

Condition = Literal["rough", "average", "clean", "extra_clean"]
CONDITIONS: tuple[Condition, ...] = ("rough", "average", "clean", "extra_clean")
VALUE_TYPES = ("trade_in", "private_party", "retail")


@dataclass(frozen=True)
class ModelYear:
    """A catalogue model year, with the names a vendor's drill-down is keyed by."""

    model_id: int
    year: int
    make: str
    model: str
    categories: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Vehicle:
    vehicle_id: str
    year: int
    make: str
    model: str
    trim: str | None
    body_style: str | None
    drivetrain: str | None
    engine: str | None
    msrp: int | None  # cents


@dataclass(frozen=True)
class VehicleOption:
    option_id: str
    name: str
    category: str
    standard: bool
    adjustment: int  # cents, for a vehicle in clean condition


@dataclass(frozen=True)
class ValuationRequest:
    vehicle_id: str
    mileage: int  # the lower bound of the mileage band: every provider values the band
    zip_code: str
    state: str
    condition: Condition
    option_ids: tuple[str, ...]


@dataclass(frozen=True)
class Valuation:
    vehicle_id: str
    # the trade-in breakdown at the requested condition (None where the vendor has none)
    base_value: int | None
    mileage_adjustment: int | None
    option_adjustment: int | None
    regional_adjustment: int | None
    # value type -> condition -> cents (None where the vendor publishes no such value)
    values: dict[str, dict[str, int | None]] = field(default_factory=dict)


class UnknownOption(Exception):
    """An option id the vehicle does not have."""

    def __init__(self, option_id: str) -> None:
        super().__init__(option_id)
        self.option_id = option_id


class ValuationProvider(Protocol):
    """Raises ``dealerhub.connectors.base.ConnectorError`` when the vendor fails."""

    name: str

    def vehicles(self, model_year: ModelYear) -> list[Vehicle]:
        """The trims / styles of one catalogue model year."""
        ...

    def vehicles_for_vin(self, vin: str, candidates: list[ModelYear]) -> list[Vehicle]:
        """The vehicles a (validated) VIN may be; ``candidates`` are the catalogue's model
        years whose VIN patterns match it. Several answers are normal."""
        ...

    def vehicle(self, vehicle_id: str) -> Vehicle | None:
        """One vehicle by id; None when the provider does not know it."""
        ...

    def options(self, vehicle_id: str) -> list[VehicleOption] | None:
        """The vehicle's options; None when the provider does not know the vehicle."""
        ...

    def value(self, request: ValuationRequest) -> Valuation | None:
        """Value a vehicle; None for an unknown vehicle, ``UnknownOption`` for an option id
        the vehicle does not have."""
        ...
