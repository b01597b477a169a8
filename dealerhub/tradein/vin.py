"""VIN validation and the offline decode of what the VIN itself says (vininfo): 17 allowed
characters, the North American check digit (position 9), the WMI and the model-year
candidates of position 10."""

from __future__ import annotations

from dataclasses import dataclass

from vininfo import Vin
from vininfo.exceptions import ValidationError as VinValidationError

from dealerhub.errors import InvalidRequest


@dataclass(frozen=True)
class DecodedVin:
    vin: str
    wmi: str
    manufacturer: str | None
    # vPIC matches descriptor patterns against positions 4-8 and 10-17 (the check digit out)
    descriptor: str
    years: list[int]


def decode_vin(value: str, *, first_year: int, last_year: int) -> DecodedVin:
    """Validate and decode ``value``; a bad VIN is a 400 naming ``vin``."""
    try:
        vin = Vin(value)
    except VinValidationError as exc:
        raise InvalidRequest(f"Invalid vin: {exc}", param="vin", code="vin_invalid") from None
    if not vin.verify_checksum(check_year=False):
        raise InvalidRequest(
            "Invalid vin: the check digit (9th character) does not match; check the VIN for a "
            "mistyped character.",
            param="vin",
            code="vin_invalid",
        )
    years = [y for y in vin.years if first_year <= y <= last_year]
    if not years:
        raise InvalidRequest(
            f"Invalid vin: its model-year character does not denote a year from {first_year} "
            f"to {last_year}.",
            param="vin",
            code="vin_invalid",
        )
    manufacturer = vin.manufacturer
    return DecodedVin(
        vin=vin.num,
        wmi=vin.wmi,
        manufacturer=None if manufacturer in (None, "UnsupportedBrand") else manufacturer,
        descriptor=f"{vin.num[3:8]}|{vin.num[9:]}",
        years=years,
    )
