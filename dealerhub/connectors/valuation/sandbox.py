"""The offline sandbox provider: vehicles from the vPIC catalogue, a modelled MSRP and option
list, and the documented deterministic valuation model (docs/tradein.md, "Sandbox model").

Nothing depends on the clock: age is counted from the catalogue's book year, so the same
request always gives the same value. vPIC has no prices or options; those are modelled here
and are sandbox figures, not market data.
"""

from __future__ import annotations

import hashlib
import re

from dealerhub.connectors.valuation.base import (
    CONDITIONS,
    ModelYear,
    UnknownOption,
    Valuation,
    ValuationRequest,
    Vehicle,
    VehicleOption,
)
from dealerhub.tradein.catalog import Catalog, Trim, catalog
from dealerhub.tradein.regions import regional_factor

# --- the modelled MSRP (US dollars of the book year) -------------------------------------
BASE_MSRP = {1: 27_000, 2: 36_000, 3: 34_000, 4: 12_000}
LUXURY = frozenset(
    {
        "acura", "alfa romeo", "audi", "bmw", "cadillac", "genesis", "infiniti", "jaguar",
        "land rover", "lexus", "lincoln", "lucid", "maserati", "mercedes-benz", "polestar",
        "porsche", "rivian", "tesla", "volvo",
    }
)  # fmt: skip
EXOTIC = frozenset(
    {"aston martin", "bentley", "ferrari", "lamborghini", "maybach", "mclaren", "rolls-royce"}
)
MAKE_FACTOR = {"luxury": 1.6, "exotic": 5.0, "mainstream": 1.0}
ENGINE_FACTOR = {"Electric": 1.15, "Fuel cell": 1.15, "Plug-in hybrid": 1.10, "Hybrid": 1.05}
PRICE_INFLATION = 0.025  # a model year's sticker, back-cast from the book year per year

# --- the valuation model -----------------------------------------------------------------
FIRST_YEAR_RETENTION = 0.82  # clean trade-in of a book-year vehicle, share of MSRP
YEARLY_RETENTION = 0.87
MIN_RETENTION = 0.08
MILES_PER_YEAR = 12_000
MILEAGE_RATE = 0.004  # share of the base value per 1,000 miles over or under expectation
MILEAGE_FLOOR, MILEAGE_CEILING = -0.50, 0.15
CONDITION_FACTOR = {"extra_clean": 1.06, "clean": 1.00, "average": 0.90, "rough": 0.77}
VALUE_TYPE_FACTOR = {"trade_in": 1.00, "private_party": 1.14, "retail": 1.27}
OPTION_DECAY, OPTION_FLOOR = 0.90, 0.30

# option id -> (name, category, clean-condition value in dollars when new, who has it)
OPTIONS: dict[str, tuple[str, str, int, frozenset[int] | None]] = {
    "NAV": ("Navigation system", "technology", 450, None),
    "SUN": ("Power sunroof / moonroof", "comfort", 500, frozenset({1, 2})),
    "LTH": ("Leather seats", "interior", 600, None),
    "AUD": ("Premium audio", "technology", 300, None),
    "ACC": ("Adaptive cruise control", "safety", 400, None),
    "ALY": ("Alloy wheels", "exterior", 250, None),
    "3RD": ("Third-row seat", "interior", 700, frozenset({2})),
    "TOW": ("Towing package", "exterior", 450, frozenset({2, 3})),
    "4WD": ("Four-wheel drive", "drivetrain", 1500, frozenset({2})),
    "PSD": ("Power sliding doors", "comfort", 350, frozenset({3})),
    "RSE": ("Rear-seat entertainment", "technology", 400, frozenset({3})),
}

CATEGORY_OF_BODY = {
    "Sport Utility Vehicle (SUV)/Multi-Purpose Vehicle (MPV)": 2,
    "Crossover Utility Vehicle (CUV)": 2,
    "Pickup": 2,
    "Truck": 2,
    "Sport Utility Truck (SUT)": 2,
    "Minivan": 3,
    "Van": 3,
    "Cargo Van": 3,
    "Step Van / Walk-in Van": 3,
}
BODY_STYLE = {
    "Sedan/Saloon": "Sedan",
    "Convertible/Cabriolet": "Convertible",
    "Hatchback/Liftback/Notchback": "Hatchback",
    "Sport Utility Vehicle (SUV)/Multi-Purpose Vehicle (MPV)": "SUV",
    "Crossover Utility Vehicle (CUV)": "Crossover",
    "Sport Utility Truck (SUT)": "Sport utility truck",
    "Step Van / Walk-in Van": "Step van",
}
_DRIVE = (
    (re.compile(r"\b(4wd|4x4|four[- ]wheel)\b", re.I), "4WD"),
    (re.compile(r"\b(awd|all[- ]wheel|4matic|xdrive|quattro|sh-awd|4motion)\b", re.I), "AWD"),
    (re.compile(r"\b(rwd|rear[- ]wheel)\b", re.I), "RWD"),
    (re.compile(r"\b(fwd|front[- ]wheel)\b", re.I), "FWD"),
    (re.compile(r"\b(2wd|4x2)\b", re.I), "2WD"),
)
_ID = re.compile(r"^sbx_(\d+)_(\d{4})_(\d+)$")


def _unit(*parts: object) -> float:
    """A fixed number in [0, 1) for these parts (a stable hash, not ``hash()``, which is
    salted per process)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _dollars(amount: float) -> int:
    """Whole dollars, as cents (books publish whole dollars)."""
    return round(amount) * 100


class SandboxValuation:
    name = "sandbox"

    def __init__(self, data: Catalog | None = None) -> None:
        self._data = data

    @property
    def data(self) -> Catalog:
        return self._data or catalog()

    # --- vehicles -------------------------------------------------------------------------

    def _vehicle(self, model_id: int, year: int, trim: Trim) -> Vehicle:
        model = self.data.models[model_id]
        make = self.data.makes[model.make_id].name
        return Vehicle(
            vehicle_id=f"sbx_{model_id}_{year}_{trim.index}",
            year=year,
            make=make,
            model=model.name,
            trim=trim.trim,
            body_style=BODY_STYLE.get(trim.body_class or "", trim.body_class),
            drivetrain=next((d for rx, d in _DRIVE if rx.search(trim.trim)), None),
            engine=trim.engine,
            msrp=_dollars(self._msrp(model_id, make, year, trim)),
        )

    def _category(self, model_id: int, year: int, trim: Trim) -> int:
        if trim.body_class in CATEGORY_OF_BODY:
            return CATEGORY_OF_BODY[trim.body_class]
        if trim.body_class:
            return 1
        return min(self.data.models[model_id].years.get(year) or {1})

    def _msrp(self, model_id: int, make: str, year: int, trim: Trim) -> float:
        tier = (
            "exotic"
            if make.lower() in EXOTIC
            else "luxury"
            if make.lower() in LUXURY
            else "mainstream"
        )
        price = BASE_MSRP[self._category(model_id, year, trim)] * MAKE_FACTOR[tier]
        price *= ENGINE_FACTOR.get(trim.engine or "", 1.0)
        price *= 0.90 + 0.25 * _unit("msrp", model_id, trim.trim)  # trims of a model differ
        price *= (1 - PRICE_INFLATION) ** (self.data.last_year - year)
        return round(price / 5) * 5

    def _lookup(self, vehicle_id: str) -> tuple[int, int, Trim] | None:
        match = _ID.match(vehicle_id)
        if not match:
            return None
        model_id, year, index = (int(g) for g in match.groups())
        trims = self.data.trims.get((model_id, year)) or []
        return (model_id, year, trims[index]) if index < len(trims) else None

    def vehicles(self, model_year: ModelYear) -> list[Vehicle]:
        trims = self.data.trims.get((model_year.model_id, model_year.year)) or []
        return [self._vehicle(model_year.model_id, model_year.year, t) for t in trims]

    def vehicles_for_vin(self, vin: str, candidates: list[ModelYear]) -> list[Vehicle]:
        return [v for c in candidates for v in self.vehicles(c)]

    def vehicle(self, vehicle_id: str) -> Vehicle | None:
        found = self._lookup(vehicle_id)
        return self._vehicle(*found) if found else None

    # --- options --------------------------------------------------------------------------

    def _options(self, model_id: int, year: int, trim: Trim) -> list[VehicleOption]:
        category = self._category(model_id, year, trim)
        drive = next((d for rx, d in _DRIVE if rx.search(trim.trim)), None)
        age = max(0, self.data.last_year - year)
        out = []
        for option_id, (name, kind, new_value, who) in OPTIONS.items():
            if who is not None and category not in who:
                continue
            if option_id == "4WD" and drive is not None:
                continue  # the trim name already says how it is driven
            # More equipment is standard on later model years (from 10% in 2000 to 62% now).
            standard = _unit("std", model_id, year, trim.index, option_id) < 0.10 + 0.02 * (
                year - 2000
            )
            value = new_value * max(OPTION_FLOOR, OPTION_DECAY**age)
            out.append(
                VehicleOption(option_id, name, kind, standard, _dollars(round(value / 25) * 25))
            )
        return out

    def options(self, vehicle_id: str) -> list[VehicleOption] | None:
        found = self._lookup(vehicle_id)
        return self._options(*found) if found else None

    # --- the valuation model --------------------------------------------------------------

    def value(self, request: ValuationRequest) -> Valuation | None:
        found = self._lookup(request.vehicle_id)
        if found is None:
            return None
        model_id, year, trim = found
        options = {o.option_id: o for o in self._options(model_id, year, trim)}
        for option_id in request.option_ids:
            if option_id not in options:
                raise UnknownOption(option_id)
        make = self.data.makes[self.data.models[model_id].make_id].name
        msrp = self._msrp(model_id, make, year, trim)
        age = max(0, self.data.last_year - year)
        base = msrp * max(MIN_RETENTION, FIRST_YEAR_RETENTION * YEARLY_RETENTION**age)
        expected = MILES_PER_YEAR * age + MILES_PER_YEAR // 2
        mileage = -(request.mileage - expected) / 1000 * MILEAGE_RATE * base
        mileage = min(max(mileage, MILEAGE_FLOOR * base), MILEAGE_CEILING * base)
        extras = sum(
            options[o].adjustment / 100 for o in set(request.option_ids) if not options[o].standard
        )
        regional = (base + mileage + extras) * regional_factor(request.state)

        def parts(condition: str) -> tuple[int, int, int, int]:
            f = CONDITION_FACTOR[condition]
            return (
                _dollars(base * f),
                _dollars(mileage * f),
                _dollars(extras),
                _dollars(regional * f),
            )

        values: dict[str, dict[str, int | None]] = {
            kind: {c: round(sum(parts(c)) * factor / 100) * 100 for c in CONDITIONS}
            for kind, factor in VALUE_TYPE_FACTOR.items()
        }
        b, m, o, r = parts(request.condition)
        return Valuation(request.vehicle_id, b, m, o, r, values)
