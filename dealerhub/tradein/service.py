"""Trade-in valuation: the catalogue drill-down (makes -> models -> model years), vehicles by
model year or VIN, options, and valuations with a day cache.

The drill-down reads the offline vPIC catalogue in every mode; vehicles, options and values
come from the dealer's provider (the sandbox in test mode, Black Book in live mode), handed in
as ``provider``: a callable, so a request answered from the cache builds no client.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, delete

from dealerhub.connectors.base import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorUnavailable,
)
from dealerhub.connectors.valuation.base import (
    ModelYear,
    UnknownOption,
    ValuationProvider,
    ValuationRequest,
    VehicleOption,
)
from dealerhub.db import new_id, now
from dealerhub.errors import InvalidRequest, NotFound
from dealerhub.tenancy import Tenant, scoped
from dealerhub.tradein.catalog import Make, Model, catalog
from dealerhub.tradein.errors import ValuationProviderError
from dealerhub.tradein.models import TradeinValuation
from dealerhub.tradein.regions import state_of_zip
from dealerhub.tradein.vin import decode_vin

CACHE_SECONDS = 86_400
MILEAGE_BAND = 1_000
ProviderFactory = Callable[[], ValuationProvider]


def _listing(data: list[Any]) -> dict[str, Any]:
    return {"object": "list", "data": data}


# --- the catalogue drill-down ---------------------------------------------------------------


def _make(make_id: int) -> Make:
    found = catalog().makes.get(make_id)
    if found is None:
        raise NotFound(f"No such make: {make_id}", param="make_id")
    return found


def _model(model_id: int, make_id: int | None = None) -> Model:
    found = catalog().models.get(model_id)
    if found is None or (make_id is not None and found.make_id != make_id):
        suffix = "" if make_id is None else f" for make {make_id}"
        raise NotFound(f"No such model: {model_id}{suffix}", param="model_id")
    return found


def list_makes(payload: Mapping[str, Any]) -> dict[str, Any]:
    f = payload.get("filter") or {}
    return _listing(catalog().makes_for(f.get("category_id"), f.get("year")))


def list_models(payload: Mapping[str, Any]) -> dict[str, Any]:
    make = _make(payload["make_id"])
    f = payload.get("filter") or {}
    return _listing(catalog().models_for(make.make_id, f.get("category_id"), f.get("year")))


def list_model_years(payload: Mapping[str, Any]) -> dict[str, Any]:
    _make(payload["make_id"])
    model = _model(payload["model_id"], payload["make_id"])
    return _listing([{"year": y} for y in sorted(model.years, reverse=True)])


def _model_year(model: Model, year: int) -> ModelYear:
    data = catalog()
    return ModelYear(
        model.model_id,
        year,
        data.makes[model.make_id].name,
        model.name,
        model.years.get(year, frozenset()),
    )


# --- provider calls -----------------------------------------------------------------------


def _provider_error(exc: ConnectorError) -> ValuationProviderError:
    # Drill-down and valuation calls are reads: retrying is always safe.
    if isinstance(exc, ConnectorUnavailable):
        timeout = exc.vendor_code == "timeout"
        return ValuationProviderError(
            exc.message[:300],
            status=504 if timeout else 502,
            code="valuation_provider_timeout" if timeout else "valuation_provider_unavailable",
            retryable=True,
        )
    code = (
        "valuation_provider_authentication_failed"
        if isinstance(exc, ConnectorAuthError)
        else "valuation_provider_error"
    )
    return ValuationProviderError(exc.message[:300], code=code, retryable=False)


def get_vehicles(payload: Mapping[str, Any], *, provider: ProviderFactory) -> dict[str, Any]:
    """Vehicles of a catalogue model year, or the vehicles a VIN may be."""
    data = catalog()
    if "vin" in payload:
        vin = decode_vin(payload["vin"], first_year=data.first_year, last_year=data.last_year)
        candidates = [
            _model_year(m, y) for m, y in data.models_for_vin(vin.wmi, vin.descriptor, vin.years)
        ]
        try:
            found = provider().vehicles_for_vin(vin.vin, candidates)
        except ConnectorError as exc:
            raise _provider_error(exc) from None
        if not found:
            raise NotFound(
                f"No vehicle matches VIN {vin.vin}; choose it by make, model and year instead.",
                param="vin",
            )
        return _listing(found)
    model = _model(payload["model_id"])
    if payload["year"] not in model.years:
        raise NotFound(f"Model {model.model_id} has no model year {payload['year']}.", param="year")
    try:
        return _listing(provider().vehicles(_model_year(model, payload["year"])))
    except ConnectorError as exc:
        raise _provider_error(exc) from None


def _vehicle_missing(vehicle_id: str) -> NotFound:
    return NotFound(f"No such vehicle: '{vehicle_id}'", param="vehicle_id")


def get_options(payload: Mapping[str, Any], *, provider: ProviderFactory) -> dict[str, Any]:
    try:
        options: list[VehicleOption] | None = provider().options(payload["vehicle_id"])
    except ConnectorError as exc:
        raise _provider_error(exc) from None
    if options is None:
        raise _vehicle_missing(payload["vehicle_id"])
    return _listing(options)


# --- valuation and its day cache ----------------------------------------------------------


def _cache_key(provider: str, request: ValuationRequest) -> str:
    parts = {
        "provider": provider,
        "vehicle_id": request.vehicle_id,
        "mileage_band": request.mileage,
        "condition": request.condition,
        "option_ids": sorted(set(request.option_ids)),
        "zip_code": request.zip_code,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def value_vehicle(
    session: Session,
    tenant: Tenant,
    payload: Mapping[str, Any],
    *,
    provider: ProviderFactory,
    provider_name: str,
    clock: Callable[[], int] | None = None,
) -> tuple[dict[str, Any], bool]:
    """Value a vehicle; returns (valuation, cached). The same vehicle, mileage band,
    condition, options and ZIP within a day are answered from the cache."""
    zip_code = payload["zip_code"][:5]
    state = state_of_zip(zip_code)
    if state is None:
        raise InvalidRequest(
            f"Invalid zip_code: {zip_code} is not in a ZIP code range USPS has allocated.",
            param="zip_code",
        )
    request = ValuationRequest(
        vehicle_id=payload["vehicle_id"],
        mileage=payload["mileage"] // MILEAGE_BAND * MILEAGE_BAND,
        zip_code=zip_code,
        state=state,
        condition=payload["condition"],
        option_ids=tuple(dict.fromkeys(payload.get("option_ids") or ())),
    )
    at = clock() if clock is not None else now()
    key = _cache_key(provider_name, request)
    stmt = (
        scoped(TradeinValuation, tenant)
        .where(col(TradeinValuation.cache_key) == key, col(TradeinValuation.expires_at) > at)
        .order_by(col(TradeinValuation.created).desc())
    )
    hit: TradeinValuation | None = session.scalars(stmt).first()
    if hit is not None:
        return {**hit.body, "mileage": payload["mileage"]}, True

    try:
        valuation = provider().value(request)
    except UnknownOption as exc:
        raise NotFound(
            f"Vehicle '{request.vehicle_id}' has no option '{exc.option_id}'; list them with "
            "POST /tradein/get-tradein-allOptions.",
            param="option_ids",
        ) from None
    except ConnectorError as exc:
        raise _provider_error(exc) from None
    if valuation is None:
        raise _vehicle_missing(request.vehicle_id)
    body = {
        "object": "tradein_valuation",
        "vehicle_id": valuation.vehicle_id,
        "mileage": payload["mileage"],
        "condition": request.condition,
        "currency": "usd",
        "base_value": valuation.base_value,
        "mileage_adjustment": valuation.mileage_adjustment,
        "option_adjustment": valuation.option_adjustment,
        "regional_adjustment": valuation.regional_adjustment,
        "values": valuation.values,
        "provider": provider_name,
        "valued_at": at,
    }
    session.add(
        TradeinValuation(
            id=new_id("tiv"),
            dealer_id=tenant.dealer_id,
            livemode=tenant.livemode,
            created=at,
            cache_key=key,
            provider=provider_name,
            vehicle_id=request.vehicle_id,
            expires_at=at + CACHE_SECONDS,
            body=body,
        )
    )
    return body, False


def purge_expired(session: Session, *, at: int | None = None) -> int:
    """Delete cached valuations past their day."""
    result = session.execute(
        delete(TradeinValuation).where(
            col(TradeinValuation.expires_at) <= (at if at is not None else now())
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
