"""Free-text US addresses → parsed, USPS Publication 28 parts.

usaddress (a conditional-random-field tagger trained on US addresses) splits the text into
labelled parts; usaddress-scourgify turns a street address into Publication 28 form (upper
case, standard suffix, directional and unit abbreviations, two-letter state). Post-office boxes
are put together here, because scourgify only handles street addresses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import usaddress
from scourgify import normalize_address_record
from scourgify.exceptions import AddressNormalizationError
from scourgify.normalize import normalize_state

from dealerhub.connectors.address.base import AddressQuery, StandardAddress

MAX_LENGTH = 300
US_NAMES = frozenset({"US", "USA", "UNITED STATES", "UNITED STATES OF AMERICA", "AMERICA"})
_ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PUNCT = re.compile(r"[^A-Z0-9 #/&-]+")

# usaddress labels → the keys of the response's ``components``.
_LABELS = {
    "AddressNumber": "primary_number",
    "StreetNamePreDirectional": "street_predirection",
    "StreetNamePreType": "street_pretype",
    "StreetName": "street_name",
    "StreetNamePostType": "street_suffix",
    "StreetNamePostDirectional": "street_postdirection",
    "OccupancyType": "secondary_designator",
    "OccupancyIdentifier": "secondary_number",
    "USPSBoxType": "po_box_designator",
    "USPSBoxID": "po_box_number",
}
STREET_PARTS = tuple(dict.fromkeys(_LABELS.values()))


class UnparseableAddress(Exception):
    """The text is not a US address we can split into parts; ``str()`` says why."""


def clean(text: str) -> str:
    """The input as it is parsed: line breaks become commas, runs of spaces one space.
    Raises ``ValueError`` (the route's 400) for blank, overlong or control-character input."""
    if _CONTROL.search(text):
        raise ValueError("The address must not contain control characters.")
    cleaned = _SPACES.sub(" ", _LINE_BREAKS.sub(", ", text)).strip(" ,")
    if not cleaned:
        raise ValueError("The address must not be blank.")
    if len(cleaned) > MAX_LENGTH:
        raise ValueError(f"The address must be at most {MAX_LENGTH} characters.")
    return cleaned


def _tag(text: str) -> tuple[dict[str, str], str]:
    try:
        tags, kind = usaddress.tag(text)
    except usaddress.RepeatedLabelError:
        raise UnparseableAddress(
            "The address could not be parsed: a part of it (such as the street, unit or city) "
            "appears more than once."
        ) from None
    return dict(tags), kind


def parse(text: str) -> AddressQuery:
    """Parse cleaned text (see :func:`clean`). Raises :class:`UnparseableAddress`."""
    tags, kind = _tag(text)
    country = tags.get("CountryName")
    if country and _PUNCT.sub("", country.upper()).strip() not in US_NAMES:
        raise UnparseableAddress("Only US addresses can be verified.")
    if kind == "Intersection":
        raise UnparseableAddress(
            "An intersection is not a deliverable address; give a street number."
        )
    if kind == "PO Box" and tags.get("USPSBoxID"):
        line1 = "PO BOX " + _PUNCT.sub("", tags["USPSBoxID"].upper()).strip()
        parts = {
            "line1": line1,
            "line2": None,
            "city": _upper(tags.get("PlaceName")),
            "state": normalize_state(_upper(tags.get("StateName"))),
            "postal_code": tags.get("ZipCode"),
        }
    elif kind == "Street Address" and tags.get("AddressNumber") and tags.get("StreetName"):
        try:
            parts = dict(normalize_address_record(text))
        except AddressNormalizationError:
            raise UnparseableAddress(
                "The address could not be parsed into a street address, city, state and ZIP code."
            ) from None
        parts["line1"], parts["line2"] = parts["address_line_1"], parts["address_line_2"]
    else:
        raise UnparseableAddress(
            "The address could not be parsed: no street number and street name (or PO box) "
            "were found."
        )
    zip5, zip4 = _zip(parts.get("postal_code"))
    return AddressQuery(
        line1=parts["line1"],
        line2=parts.get("line2") or None,
        city=_upper(parts.get("city")),
        state=_upper(parts.get("state")),
        zip5=zip5,
        zip4=zip4,
    )


def _upper(value: str | None) -> str | None:
    if not value:
        return None
    return _SPACES.sub(" ", _PUNCT.sub("", value.upper())).strip() or None


def _zip(postal_code: str | None) -> tuple[str | None, str | None]:
    """``"62701-1234"`` → ``("62701", "1234")``; a malformed code is kept whole as the ZIP
    code, for the verifier to reject by name."""
    if not postal_code:
        return None, None
    match = _ZIP.match(postal_code.strip())
    if match is None:
        return postal_code.strip(), None
    return match.group(1), match.group(2)


def components(address: StandardAddress | None, details: Mapping[str, Any]) -> dict[str, Any]:
    """The ``components`` object: the standardised address's parts (its street line tagged
    again, so that every provider's answer splits the same way) and the provider's facts.
    Every key is present; unknown ones are null."""
    out: dict[str, Any] = dict.fromkeys(STREET_PARTS)
    if address is not None:
        street = ", ".join(p for p in (address.line1, address.line2) if p)
        try:
            tags, _kind = usaddress.tag(street)
        except usaddress.RepeatedLabelError:
            tags = {}
        for label, value in tags.items():
            key = _LABELS.get(label)
            if key is not None and out[key] is None:
                out[key] = value.strip(" ,")
        number = out["secondary_number"]
        if number and number.startswith("#") and not out["secondary_designator"]:
            # Publication 28 writes a unit without a known designator as "# 3B".
            out["secondary_designator"], out["secondary_number"] = "#", number[1:].strip()
    out["city"] = address.city if address else None
    out["state"] = address.state if address else None
    out["zip5"] = address.postal_code if address else None
    out["zip4"] = address.zip4 if address else None
    for key in DETAIL_KEYS:
        out[key] = details.get(key)
    return out


# Provider facts, in the order the response lists them (null when the provider has none).
DETAIL_KEYS = (
    "county",
    "zip_type",
    "dpv_confirmation",
    "dpv_cmra",
    "business",
    "vacant",
    "central_delivery_point",
    "carrier_route",
    "delivery_point",
    "firm",
    "corrections",
)
