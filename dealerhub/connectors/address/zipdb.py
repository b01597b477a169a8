"""The embedded ZIP code database the sandbox verifies against.

The data ships inside the ``zipcodes`` package (no download, no network, no SQLite): one
record per 5-digit ZIP code with its USPS preferred city, the other acceptable and the
unacceptable city names, state, county and ZIP type. The index below is built once per process,
on first use (about 0.2 s), so that a lookup is a dict read rather than a scan.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import zipcodes

# USPS two-letter codes: states, DC, territories and the military "states" (the USPS
# Addresses API accepts the same list).
_STATE_CODES = (
    "AA AE AL AK AP AS AZ AR CA CO CT DE DC FM FL GA GU HI ID IL IN IA KS KY LA ME MH MD MA "
    "MI MN MS MO MP MT NE NV NH NJ NM NY NC ND OH OK OR PW PA PR RI SC SD TN TX UT VT VI VA "
    "WA WV WI WY"
)
STATES = frozenset(_STATE_CODES.split())

# Words that city names are written with either way ("ST LOUIS" / "SAINT LOUIS", "FT WORTH");
# both sides of a comparison are expanded, so either spelling matches the other.
_CITY_WORDS = {
    "ST": "SAINT",
    "STE": "SAINTE",
    "FT": "FORT",
    "MT": "MOUNT",
    "PT": "POINT",
    "N": "NORTH",
    "S": "SOUTH",
    "E": "EAST",
    "W": "WEST",
    "SPGS": "SPRINGS",
    "SPG": "SPRING",
    "TWP": "TOWNSHIP",
    "HTS": "HEIGHTS",
    "BCH": "BEACH",
    "VLG": "VILLAGE",
    "CTY": "CITY",
    "CTR": "CENTER",
    "JCT": "JUNCTION",
    "MLS": "MILLS",
    "LK": "LAKE",
    "IS": "ISLAND",
}
_NOT_LETTERS = re.compile(r"[^A-Z0-9 ]+")


def city_key(city: str) -> str:
    """A city name reduced for comparison: upper case, no punctuation, abbreviations spelled
    out (``"St. Louis"`` and ``"SAINT LOUIS"`` give the same key)."""
    words = _NOT_LETTERS.sub("", city.upper().replace("-", " ")).split()
    return " ".join(_CITY_WORDS.get(w, w) for w in words)


@dataclass(frozen=True)
class ZipRecord:
    zip5: str
    city: str  # the USPS preferred ("default") city name, upper case
    state: str
    county: str | None
    zip_type: str  # STANDARD, PO BOX, UNIQUE or MILITARY
    active: bool
    acceptable: frozenset[str]  # city_key() of the preferred and every acceptable name
    unacceptable: frozenset[str]  # city_key() of names USPS does not accept for mail

    def accepts(self, city: str) -> bool:
        return city_key(city) in self.acceptable


class ZipIndex:
    """ZIP code → record, and (city, state) → the ZIP codes that city name is acceptable for."""

    def __init__(self) -> None:
        self._by_zip: dict[str, ZipRecord] = {}
        self._by_city: dict[tuple[str, str], list[ZipRecord]] = {}
        self._lock = threading.Lock()
        self._loaded = False

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            for raw in zipcodes.list_all():
                names = [raw["city"], *raw.get("acceptable_cities", [])]
                record = ZipRecord(
                    zip5=raw["zip_code"],
                    city=raw["city"].upper(),
                    state=raw["state"],
                    county=raw.get("county") or None,
                    zip_type=raw.get("zip_code_type") or "STANDARD",
                    active=bool(raw.get("active", True)),
                    acceptable=frozenset(city_key(n) for n in names),
                    unacceptable=frozenset(city_key(n) for n in raw.get("unacceptable_cities", [])),
                )
                self._by_zip[record.zip5] = record
                for key in record.acceptable:
                    self._by_city.setdefault((key, record.state), []).append(record)
            self._loaded = True

    def get(self, zip5: str) -> ZipRecord | None:
        if not self._loaded:
            self._load()
        return self._by_zip.get(zip5)

    def for_city(self, city: str, state: str) -> list[ZipRecord]:
        """Active ZIP codes for which ``city`` is an acceptable name in ``state``, in ZIP
        order (the preferred-name ZIP codes first)."""
        if not self._loaded:
            self._load()
        found = [r for r in self._by_city.get((city_key(city), state), []) if r.active]
        key = city_key(city)
        return sorted(found, key=lambda r: (city_key(r.city) != key, r.zip5))


ZIPS = ZipIndex()
