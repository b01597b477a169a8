from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def drill(pk_api: Any) -> Any:
    """Walk makes -> models -> vehicle with the publishable key; returns helpers."""

    class Drill:
        api = pk_api

        def post(self, path: str, body: Any) -> Any:
            return pk_api.post(f"/tradein/{path}", json=body)

        def make(self, name: str) -> dict[str, Any]:
            data = self.post("get-tradein-makes", {}).get_json()["data"]
            return next(m for m in data if m["name"] == name)

        def model(self, make: str, name: str) -> dict[str, Any]:
            make_id = self.make(make)["make_id"]
            data = self.post("get-tradein-models", {"make_id": make_id}).get_json()["data"]
            return next(m for m in data if m["name"] == name)

        def vehicle(self, make: str = "Toyota", model: str = "Camry", year: int = 2019) -> str:
            model_id = self.model(make, model)["model_id"]
            r = self.post("get-tradein-vehicle", {"model_id": model_id, "year": year})
            vehicle_id: str = r.get_json()["data"][0]["vehicle_id"]
            return vehicle_id

    return Drill()
