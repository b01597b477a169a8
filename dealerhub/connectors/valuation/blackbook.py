"""Black Book Cloud (UsedCarWS): the real valuation provider for live mode.

Wire format (``../shared/reference/dealer-domain.md`` §3.2): HTTPS GET under
``https://service.blackbookcloud.com/UsedCarWS/UsedCarWS`` with HTTP Basic auth and our
``customerid`` query parameter; JSON answers.

- ``Drilldown/ALL/{year}/{make}?model=&drilldeep=true&getclass=true``: the styles (UVCs) of
  a model year, nested ``drilldown.class_list[].year_list[].make_list[].model_list[]
  .series_list[].style_list[]`` (each level has ``name``; a style has ``uvc``).
- ``UsedVehicle/VIN/{vin}`` and ``UsedVehicle/UVC/{uvc}`` with ``mileage`` and ``state``:
  ``used_vehicles.used_vehicle_list[]``, each with ``base_*``, ``mileage_*``,
  ``add_deduct_*``, ``regional_*`` and ``adjusted_*`` values per value type (``tradein``,
  ``private``, ``retail``) and condition (``xclean``, ``clean``, ``avg``, ``rough``), the
  ``add_deduct_list[]`` of options (``uoc``, ``name``, ``auto`` = standard, a value per
  condition), ``msrp``, ``drivetrain`` and ``engine_description``. Amounts are whole dollars.

Selected options are added to Black Book's adjusted values by the hub from
``add_deduct_list`` (standard ones are already in them), so a request never depends on how
the vendor names an option parameter. Credentials are never logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from typing import Any

import requests

from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorRejected,
    ConnectorResponseError,
    ConnectorUnavailable,
)
from dealerhub.connectors.valuation.base import (
    CONDITIONS,
    ModelYear,
    UnknownOption,
    Valuation,
    ValuationRequest,
    Vehicle,
    VehicleOption,
)
from dealerhub.errors import InvalidRequest
from dealerhub.http import make_session

log = logging.getLogger(__name__)

BASE_URL = "https://service.blackbookcloud.com/UsedCarWS/UsedCarWS"
VENDOR = "black_book"
CONFIG_PATH = "trade_in.black_book"
REQUIRED = ("username", "password")
PREFIX = "bb_"
# our condition -> Black Book's suffix; our value type -> Black Book's infix
CONDITION_KEY = {"rough": "rough", "average": "avg", "clean": "clean", "extra_clean": "xclean"}
VALUE_TYPE_KEY = {"trade_in": "tradein", "private_party": "private", "retail": "retail"}


def _cents(amount: Any) -> int | None:
    if amount is None or amount == "":
        return None
    try:
        return round(float(amount)) * 100
    except (TypeError, ValueError):
        raise ConnectorResponseError(
            "Black Book returned a non-numeric amount.", vendor=VENDOR
        ) from None


class BlackBookValuation:
    name = "black_book"

    def __init__(
        self,
        *,
        username: str,
        password: str,
        customer_id: str | None = None,
        api_url: str = BASE_URL,
        timeout: float = 10.0,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.customer_id = customer_id
        self.timeout = timeout
        self._session = make_session(timeout=(min(5.0, timeout), timeout))
        self._session.auth = (username, password)
        self._session.headers["Accept"] = "application/json"

    def __repr__(self) -> str:  # the session holds the password
        return f"BlackBookValuation(api_url={self.api_url!r})"

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, timeout: float = 10.0) -> BlackBookValuation:
        missing = [f for f in REQUIRED if not config.get(f)]
        if missing:
            raise InvalidRequest(
                "The Black Book configuration is incomplete; set "
                + ", ".join(missing)
                + " with PATCH /configuration.",
                param=f"{CONFIG_PATH}.{missing[0]}",
                code="configuration_incomplete",
            )
        return cls(
            username=config["username"],
            password=config["password"],
            customer_id=config.get("customer_id"),
            api_url=config.get("api_url") or BASE_URL,
            timeout=timeout,
        )

    # --- transport ------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """GET one resource; None when Black Book has no such vehicle (404)."""
        if self.customer_id:
            params = {**params, "customerid": self.customer_id}
        started = time.perf_counter()
        try:
            response = self._session.get(f"{self.api_url}/{path}", params=params)
        except requests.Timeout:
            raise ConnectorUnavailable(
                "Black Book did not answer in time.", vendor=VENDOR, vendor_code="timeout"
            ) from None
        except requests.RequestException:
            raise ConnectorUnavailable(
                "Could not reach Black Book.", vendor=VENDOR, vendor_code="connection_failed"
            ) from None
        log.info(
            "black book responded %s",
            response.status_code,
            extra={
                "vendor": VENDOR,
                "endpoint": path.split("/", 1)[0],
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise ConnectorAuthError(
                "Black Book refused our credentials.",
                vendor=VENDOR,
                http_status=response.status_code,
            )
        if response.status_code >= 500 or response.status_code == 429:
            raise ConnectorUnavailable(
                f"Black Book returned HTTP {response.status_code}.",
                vendor=VENDOR,
                http_status=response.status_code,
            )
        if response.status_code >= 400:
            raise ConnectorRejected(
                f"Black Book rejected the request (HTTP {response.status_code}).",
                vendor=VENDOR,
                http_status=response.status_code,
            )
        try:
            body = response.json()
        except ValueError:
            raise ConnectorResponseError(
                "Black Book answered with invalid JSON.", vendor=VENDOR
            ) from None
        if not isinstance(body, dict):
            raise ConnectorResponseError(
                "Black Book answered an unexpected document.", vendor=VENDOR
            )
        return body

    def _used_vehicles(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        body = self._get(path, params)
        if body is None:
            return []
        listing = body.get("used_vehicles") or {}
        rows = listing.get("used_vehicle_list") or []
        if not isinstance(rows, list):
            raise ConnectorResponseError(
                "Black Book's used_vehicle_list is not a list.", vendor=VENDOR
            )
        return [r for r in rows if isinstance(r, dict) and r.get("uvc")]

    # --- vehicles -------------------------------------------------------------------------

    @staticmethod
    def _from_used(row: Mapping[str, Any]) -> Vehicle:
        return Vehicle(
            vehicle_id=PREFIX + str(row["uvc"]),
            year=int(row.get("model_year") or 0),
            make=str(row.get("make") or ""),
            model=str(row.get("model") or ""),
            trim=row.get("series") or None,
            body_style=row.get("style") or None,
            drivetrain=row.get("drivetrain") or None,
            engine=row.get("engine_description") or None,
            msrp=_cents(row.get("msrp")) or None,
        )

    def vehicles(self, model_year: ModelYear) -> list[Vehicle]:
        """https://service.blackbookcloud.com/UsedCarWS/UsedCarWS/Drilldown"""
        body = self._get(
            f"Drilldown/ALL/{model_year.year}/{model_year.make}",
            {"model": model_year.model, "drilldeep": "true", "getclass": "true"},
        )
        out: dict[str, Vehicle] = {}
        for year, make, model, series, style in _styles(body or {}):
            uvc = style.get("uvc")
            if not uvc:
                continue
            out.setdefault(
                str(uvc),
                Vehicle(
                    vehicle_id=PREFIX + str(uvc),
                    year=int(year.get("name") or model_year.year),
                    make=str(make.get("name") or model_year.make),
                    model=str(model.get("name") or model_year.model),
                    trim=series.get("name") or None,
                    body_style=style.get("name") or None,
                    drivetrain=None,
                    engine=None,
                    msrp=None,
                ),
            )
        return list(out.values())

    def vehicles_for_vin(self, vin: str, candidates: list[ModelYear]) -> list[Vehicle]:
        """https://service.blackbookcloud.com/UsedCarWS/UsedCarWS/UsedVehicle/VIN"""
        return [self._from_used(r) for r in self._used_vehicles(f"UsedVehicle/VIN/{vin}", {})]

    def _uvc_row(self, vehicle_id: str, params: dict[str, Any]) -> dict[str, Any] | None:
        if not vehicle_id.startswith(PREFIX) or not vehicle_id[len(PREFIX) :].isalnum():
            return None
        rows = self._used_vehicles(f"UsedVehicle/UVC/{vehicle_id[len(PREFIX) :]}", params)
        return rows[0] if rows else None

    def vehicle(self, vehicle_id: str) -> Vehicle | None:
        row = self._uvc_row(vehicle_id, {})
        return self._from_used(row) if row else None

    # --- options and values ---------------------------------------------------------------

    @staticmethod
    def _options_of(row: Mapping[str, Any]) -> list[VehicleOption]:
        return [
            VehicleOption(
                option_id=str(o["uoc"]),
                name=str(o.get("name") or o["uoc"]),
                category="equipment",
                standard=str(o.get("auto") or "N").upper() == "Y",
                adjustment=_cents(o.get("clean")) or 0,
            )
            for o in row.get("add_deduct_list") or []
            if isinstance(o, dict) and o.get("uoc")
        ]

    def options(self, vehicle_id: str) -> list[VehicleOption] | None:
        """https://service.blackbookcloud.com/UsedCarWS/UsedCarWS/UsedVehicle/UVC"""
        row = self._uvc_row(vehicle_id, {})
        return self._options_of(row) if row else None

    def value(self, request: ValuationRequest) -> Valuation | None:
        """https://service.blackbookcloud.com/UsedCarWS/UsedCarWS/UsedVehicle/UVC"""
        row = self._uvc_row(
            request.vehicle_id, {"mileage": request.mileage, "state": request.state}
        )
        if row is None:
            return None
        known = {
            str(o["uoc"]): o
            for o in row.get("add_deduct_list") or []
            if isinstance(o, dict) and o.get("uoc")
        }
        for option_id in request.option_ids:
            if option_id not in known:
                raise UnknownOption(option_id)
        chosen = [
            known[o]
            for o in set(request.option_ids)
            if str(known[o].get("auto") or "N").upper() != "Y"
        ]

        def extra(condition: str) -> int:
            return sum(_cents(o.get(CONDITION_KEY[condition])) or 0 for o in chosen)

        values: dict[str, dict[str, int | None]] = {}
        for kind, key in VALUE_TYPE_KEY.items():
            values[kind] = {}
            for condition in CONDITIONS:
                adjusted = _cents(row.get(f"adjusted_{key}_{CONDITION_KEY[condition]}"))
                values[kind][condition] = None if adjusted is None else adjusted + extra(condition)
        c = CONDITION_KEY[request.condition]
        auto = _cents(row.get(f"add_deduct_tradein_{c}"))
        # Black Book publishes no extra-clean trade-in: that breakdown is then null.
        return Valuation(
            vehicle_id=request.vehicle_id,
            base_value=_cents(row.get(f"base_tradein_{c}")),
            mileage_adjustment=_cents(row.get(f"mileage_tradein_{c}")),
            option_adjustment=None if auto is None else auto + extra(request.condition),
            regional_adjustment=_cents(row.get(f"regional_tradein_{c}")),
            values=values,
        )


def _styles(body: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], ...]]:
    """Walk the drill-down tree down to its styles: (year, make, model, series, style)."""
    drilldown = body.get("drilldown") or {}

    def items(node: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
        value = node.get(key) or []
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []

    for cls in items(drilldown, "class_list"):
        for year in items(cls, "year_list"):
            for make in items(year, "make_list"):
                for model in items(make, "model_list"):
                    for series in items(model, "series_list"):
                        for style in items(series, "style_list"):
                            yield year, make, model, series, style
