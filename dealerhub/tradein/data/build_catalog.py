"""Build ``catalog.json.gz`` (the sandbox's vehicle catalogue) from NHTSA vPIC data.

Input: the ``vehicle.db`` SQLite file shipped inside the PyPI package ``vin`` 0.6.2 (a subset
of NHTSA's vPIC Lite standalone database, release 3.45 of 2024-03-16, passenger cars, MPVs
and light trucks). Run::

    pip download --no-deps vin==0.6.2 && unzip vin-0.6.2-py3-none-any.whl 'vin/vehicle.db'
    python -m dealerhub.tradein.data.build_catalog vin/vehicle.db

Only facts found in vPIC go into the catalogue (makes, models, model years, series and trim
names, body classes, electrification, VIN descriptor patterns); see README.md for the rules.
Prices and options are not in vPIC: the sandbox provider models them (docs/tradein.md).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

FIRST_YEAR = 2000
LAST_YEAR = 2026  # vPIC leaves a current pattern open (to_year 2999): it runs to this year
MAX_TRIMS = 6
MAX_BODIES = 3

CATEGORY_OF_BODY = {
    "Sedan/Saloon": 1,
    "Coupe": 1,
    "Convertible/Cabriolet": 1,
    "Hatchback/Liftback/Notchback": 1,
    "Wagon": 1,
    "Roadster": 1,
    "Limousine": 1,
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
# Makes sold new to US retail buyers since 2000 (vPIC also lists truck-body builders, kit-car
# makers and coachbuilders, which no trade-in widget offers). Names as vPIC spells them,
# compared case-insensitively.
US_RETAIL_MAKES = frozenset(
    name.lower()
    for name in (
        "Acura",
        "Alfa Romeo",
        "Aston Martin",
        "Audi",
        "Bentley",
        "BMW",
        "Buick",
        "Cadillac",
        "Chevrolet",
        "Chrysler",
        "Daewoo",
        "Dodge",
        "Ferrari",
        "FIAT",
        "Fisker",
        "Ford",
        "Genesis",
        "GMC",
        "Honda",
        "Hummer",
        "Hyundai",
        "Infiniti",
        "Isuzu",
        "Jaguar",
        "Jeep",
        "Karma",
        "Kia",
        "Lamborghini",
        "Land Rover",
        "Lexus",
        "Lincoln",
        "Lotus",
        "Lucid",
        "Maserati",
        "Maybach",
        "Mazda",
        "McLaren",
        "Mercedes-Benz",
        "Mercury",
        "MINI",
        "Mitsubishi",
        "Nissan",
        "Oldsmobile",
        "Plymouth",
        "Polestar",
        "Pontiac",
        "Porsche",
        "Ram",
        "Rivian",
        "Rolls-Royce",
        "Saab",
        "Saturn",
        "Scion",
        "Smart",
        "Subaru",
        "Suzuki",
        "Tesla",
        "Toyota",
        "VinFast",
        "Volkswagen",
        "Volvo",
    )
)
# When no body-class pattern applies: the WMI's vehicle type (2 car, 7 MPV, 3 light truck).
CATEGORY_OF_VEHICLE_TYPE = {2: 1, 7: 2, 3: 2}

ENGINE_OF_ELECTRIFICATION = {
    "Mild HEV (Hybrid Electric Vehicle)": "Mild hybrid",
    "Strong HEV (Hybrid Electric Vehicle)": "Hybrid",
    "HEV (Hybrid Electric Vehicle) - Level Unknown": "Hybrid",
    "PHEV (Plug-in Hybrid Electric Vehicle)": "Plug-in hybrid",
    "BEV (Battery Electric Vehicle)": "Electric",
    "FCEV (Fuel Cell Electric Vehicle)": "Fuel cell",
}

_CLASS = re.compile(r"\[([^\]]*)\]")
_ALNUM = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def positions(pattern: str) -> list[set[str] | None]:
    """A vPIC descriptor pattern as one character set per position (None: any character)."""
    out: list[set[str] | None] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == ".":
            out.append(None)
            i += 1
        elif ch == "[":
            end = pattern.index("]", i)
            body = pattern[i + 1 : end]
            chars: set[str] = set()
            j = 0
            while j < len(body):
                if j + 2 < len(body) and body[j + 1] == "-":
                    chars.update(c for c in _ALNUM if body[j] <= c <= body[j + 2])
                    j += 3
                else:
                    chars.add(body[j])
                    j += 1
            out.append(chars)
            i = end + 1
        else:
            out.append({ch})
            i += 1
    return out


def related(a: list[set[str] | None], b: list[set[str] | None]) -> bool:
    """Whether a detail pattern (trim, body...) describes the model pattern's vehicles: one
    VIN descriptor could match both, and they constrain at least one position in common
    (a pattern on other positions says nothing about this model)."""
    shared = False
    for x, y in zip(a, b, strict=False):
        if x is not None and y is not None:
            if not (x & y):
                return False
            shared = True
    return shared


def dominant(counts: Counter[str]) -> list[str]:
    """The values seen at least half as often as the most frequent one, most frequent first
    (a pattern that only happens to be compatible is outvoted by the model's own)."""
    if not counts:
        return []
    top = max(counts.values())
    return [name for name, n in counts.most_common() if n * 2 >= top]


def _engine(label: str, electrified: list[str]) -> str | None:
    """A battery or fuel-cell model is that for every trim; a hybrid powertrain is named only
    on the trims that say so (the same model year also sells the petrol trims)."""
    if not electrified:
        return None
    if electrified[0] in ("Electric", "Fuel cell"):
        return electrified[0]
    words = label.lower()
    if "plug-in" in words or "phev" in words:
        return "Plug-in hybrid"
    if "hybrid" in words:
        return "Hybrid"
    return None


def _years(lo: int, hi: int) -> range:
    return range(max(lo, FIRST_YEAR), min(hi, LAST_YEAR) + 1)


def build(db_path: Path) -> dict[str, Any]:
    con = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
    names = {
        table: dict(con.execute(f"select id, name from {table}"))  # noqa: S608 - fixed names
        for table in ("make", "model", "series", "trim", "body_class", "electrification_level")
    }
    make_of_model = dict(con.execute("select model_id, make_id from make_model"))
    wmi_type = {
        code: (vtype, ttype)
        for code, vtype, ttype in con.execute(
            "select code, vehicle_type_id, truck_type_id from wmi"
        )
    }
    version = dict(
        zip(
            ("version", "released", "url"),
            con.execute("select version, released, url from vpic_version").fetchone(),
            strict=True,
        )
    )
    rows = con.execute(
        "select wmi, vds, model_id, series_id, trim_id, body_class_id, electrification_level_id,"
        " from_year, to_year from pattern where to_year >= ? and from_year <= ?",
        (FIRST_YEAR, LAST_YEAR),
    ).fetchall()

    by_wmi: dict[str, list[tuple]] = defaultdict(list)
    for row in rows:
        wmi = row[0]
        vtype, ttype = wmi_type.get(wmi, (None, None))
        if vtype not in CATEGORY_OF_VEHICLE_TYPE or (vtype == 3 and ttype == 2):
            continue  # heavy trucks, buses, trailers: not trade-ins a dealer widget values
        by_wmi[wmi].append(row)

    # (model_id, year) -> facts gathered from the patterns compatible with the model's pattern
    trims: dict[tuple[int, int], dict[str, None]] = defaultdict(dict)
    series: dict[tuple[int, int], dict[str, None]] = defaultdict(dict)
    bodies: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    engines: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    fallback_category: dict[int, set[int]] = defaultdict(set)
    vin_patterns: dict[str, set[tuple[str, int, int, int]]] = defaultdict(set)

    for wmi, wrows in by_wmi.items():
        parsed = [(r, positions(r[1])) for r in wrows]
        details = [(r, p) for r, p in parsed if r[3] or r[4] or r[5] or r[6]]
        for r, p in parsed:
            model_id = r[2]
            if not model_id or model_id not in make_of_model:
                continue
            if names["make"][make_of_model[model_id]].strip().lower() not in US_RETAIL_MAKES:
                continue
            lo, hi = r[7], r[8]
            vin_patterns[wmi].add((r[1], model_id, max(lo, FIRST_YEAR), min(hi, LAST_YEAR)))
            fallback_category[model_id].add(CATEGORY_OF_VEHICLE_TYPE[wmi_type[wmi][0]])
            for d, dp in details:
                if d[8] < lo or d[7] > hi or not related(p, dp):
                    continue
                for year in _years(max(lo, d[7]), min(hi, d[8])):
                    key = (model_id, year)
                    if d[4]:
                        trims[key][names["trim"][d[4]].strip()] = None
                    if d[3]:
                        series[key][names["series"][d[3]].strip()] = None
                    if d[5]:
                        bodies[key][names["body_class"][d[5]]] += 1
                    if d[6]:
                        engines[key][names["electrification_level"][d[6]]] += 1
            for year in _years(lo, hi):
                trims.setdefault((model_id, year), {})

    models: dict[int, dict[str, Any]] = {}
    vehicles: dict[str, list[list[object]]] = {}
    for (model_id, year), trim_labels in sorted(trims.items()):
        # Trim names when vPIC has them; series names otherwise (for some makes those are
        # chassis codes, still what the VIN encodes).
        labels = [t for t in trim_labels if t] or [s for s in series.get((model_id, year), {}) if s]
        body_list = dominant(bodies.get((model_id, year), Counter()))
        kept = [b for b in body_list if b in CATEGORY_OF_BODY]
        if body_list and not kept:
            continue  # only incomplete chassis, buses, tractors...
        cats = {CATEGORY_OF_BODY[b] for b in kept} or fallback_category[model_id]
        model = models.setdefault(
            model_id,
            {
                "make_id": make_of_model[model_id],
                "name": names["model"][model_id].strip(),
                "years": {},
                "categories": set(),
            },
        )
        model["years"][year] = sorted(cats)
        model["categories"] |= cats
        engine_names = [
            ENGINE_OF_ELECTRIFICATION[e]
            for e in dominant(engines.get((model_id, year), Counter()))
            if e in ENGINE_OF_ELECTRIFICATION
        ]
        vehicles[f"{model_id}:{year}"] = [
            [label, body, _engine(label, engine_names)]
            for label in (sorted(labels)[:MAX_TRIMS] or ["Base"])
            for body in (list[str | None](kept[:MAX_BODIES]) or [None])
        ]

    make_ids = sorted({m["make_id"] for m in models.values()})
    return {
        "source": {
            "name": "NHTSA vPIC (Product Information Catalog and Vehicle Listing), vPIC Lite",
            **version,
            "via": "PyPI package vin 0.6.2 (vin/vehicle.db)",
            "licence": "US Government work, public domain (17 U.S.C. 105)",
        },
        "years": [FIRST_YEAR, LAST_YEAR],
        "makes": [[i, names["make"][i].strip()] for i in make_ids],
        "models": [
            [
                mid,
                m["make_id"],
                m["name"],
                sorted(m["categories"]),
                {str(y): c for y, c in sorted(m["years"].items())},
            ]
            for mid, m in sorted(models.items())
        ],
        "vehicles": vehicles,
        "vin_patterns": {
            wmi: sorted([list(p) for p in pats if p[1] in models])
            for wmi, pats in sorted(vin_patterns.items())
            if any(p[1] in models for p in pats)
        },
    }


def write(catalog: dict[str, Any], out: Path) -> None:
    data = json.dumps(catalog, separators=(",", ":"), sort_keys=True).encode()
    # mtime=0: the same input always gives the same bytes (reviewable, reproducible)
    out.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vehicle_db", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("catalog.json.gz"))
    args = parser.parse_args(list(argv) if argv is not None else None)
    catalog = build(args.vehicle_db)
    write(catalog, args.out)
    print(
        f"{len(catalog['makes'])} makes, {len(catalog['models'])} models, "
        f"{len(catalog['vehicles'])} model years -> {args.out}"
    )


if __name__ == "__main__":
    main()
