"""The offline vehicle catalogue (NHTSA vPIC makes, models, model years, trims and VIN
descriptor patterns; see ``data/README.md``), loaded once per process.

Every trade-in drill-down reads it: the ids it hands out (``make_id``, ``model_id``) are
vPIC's own, so they are stable across releases of the file.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

CATEGORIES = {1: "cars", 2: "trucks and SUVs", 3: "vans", 4: "motorcycles"}


@dataclass(frozen=True)
class Make:
    make_id: int
    name: str


@dataclass(frozen=True)
class Model:
    model_id: int
    make_id: int
    name: str
    categories: frozenset[int]
    # model year -> categories of that year's body styles
    years: dict[int, frozenset[int]] = field(hash=False, compare=False)


@dataclass(frozen=True)
class Trim:
    """One trim and body style of a model year, as vPIC's patterns name them."""

    index: int
    trim: str
    body_class: str | None
    engine: str | None


@dataclass
class Catalog:
    source: dict[str, str]
    first_year: int
    last_year: int
    makes: dict[int, Make]
    models: dict[int, Model]
    trims: dict[tuple[int, int], list[Trim]]
    # WMI -> [(compiled descriptor pattern, model_id, from_year, to_year)]
    vin_patterns: dict[str, list[tuple[re.Pattern[str], int, int, int]]]

    def makes_for(self, category_id: int | None, year: int | None) -> list[Make]:
        wanted = {m.make_id for m in self.models_for(None, category_id, year)}
        return sorted((self.makes[i] for i in wanted), key=lambda m: m.name.lower())

    def models_for(
        self, make_id: int | None, category_id: int | None, year: int | None
    ) -> list[Model]:
        out = []
        for model in self.models.values():
            if make_id is not None and model.make_id != make_id:
                continue
            if year is not None:
                cats = model.years.get(year)
                if cats is None or (category_id is not None and category_id not in cats):
                    continue
            elif category_id is not None and category_id not in model.categories:
                continue
            out.append(model)
        return sorted(out, key=lambda m: (m.name.lower(), m.model_id))

    def models_for_vin(
        self, wmi: str, descriptor: str, years: list[int]
    ) -> list[tuple[Model, int]]:
        """(model, model year) pairs whose vPIC pattern matches the VIN, most recent first."""
        found: dict[tuple[int, int], None] = {}
        for year in sorted(years, reverse=True):
            for pattern, model_id, lo, hi in self.vin_patterns.get(wmi, ()):
                if lo <= year <= hi and pattern.match(descriptor):
                    found[(model_id, year)] = None
            if found:
                break  # the later reading of an ambiguous year character wins when it matches
        return [(self.models[m], y) for m, y in found if (m, y) in self.trims]


def _load() -> Catalog:
    raw: dict[str, Any] = json.loads(
        gzip.decompress(files("dealerhub.tradein.data").joinpath("catalog.json.gz").read_bytes())
    )
    makes = {i: Make(i, name) for i, name in raw["makes"]}
    models = {
        mid: Model(
            mid,
            make_id,
            name,
            frozenset(cats),
            {int(y): frozenset(c) for y, c in years.items()},
        )
        for mid, make_id, name, cats, years in raw["models"]
    }
    trims = {}
    for key, rows in raw["vehicles"].items():
        model_id, year = key.split(":")
        trims[(int(model_id), int(year))] = [
            Trim(i, label, body, engine) for i, (label, body, engine) in enumerate(rows)
        ]
    patterns = {
        wmi: [(re.compile(vds), model_id, lo, hi) for vds, model_id, lo, hi in rows]
        for wmi, rows in raw["vin_patterns"].items()
    }
    first, last = raw["years"]
    return Catalog(raw["source"], first, last, makes, models, trims, patterns)


_CATALOG: Catalog | None = None
_LOCK = threading.Lock()


def catalog() -> Catalog:
    """The catalogue, parsed on first use (about 0.3 s) and shared by every thread."""
    global _CATALOG
    if _CATALOG is None:
        with _LOCK:
            if _CATALOG is None:
                _CATALOG = _load()
    return _CATALOG
