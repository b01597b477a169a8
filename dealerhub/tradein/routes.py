"""/tradein: the six trade-in endpoints (publishable keys allowed: they serve website
widgets). Every one is a POST with a JSON body, as Hubex documents them."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from dealerhub.api import Blueprint, answers, connectors, publishable, session, tenant
from dealerhub.connectors.valuation.base import ValuationProvider
from dealerhub.tradein import schemas, service

blp = Blueprint("tradein", __name__, url_prefix="/tradein", description="Trade-in valuation.")


def _provider() -> ValuationProvider:
    return connectors().valuation(session(), tenant())


@blp.route("/get-tradein-makes")
class Makes(MethodView):
    @publishable
    @blp.arguments(schemas.MakesRequestSchema)
    @blp.response(200, schemas.MakeListSchema)
    def post(self, payload: dict[str, Any]) -> Any:
        """Vehicle makes, by name (filter by category and model year)."""
        return service.list_makes(payload)


@blp.route("/get-tradein-models")
class Models(MethodView):
    @publishable
    @answers(404)  # a make, model, year or vehicle the catalogue does not have
    @blp.arguments(schemas.ModelsRequestSchema)
    @blp.response(200, schemas.ModelListSchema)
    def post(self, payload: dict[str, Any]) -> Any:
        """A make's models, by name (filter by category and model year)."""
        return service.list_models(payload)


@blp.route("/get-tradein-modelyears")
class ModelYears(MethodView):
    @publishable
    @answers(404)  # a make, model, year or vehicle the catalogue does not have
    @blp.arguments(schemas.ModelYearsRequestSchema)
    @blp.response(200, schemas.ModelYearListSchema)
    def post(self, payload: dict[str, Any]) -> Any:
        """A model's model years, newest first."""
        return service.list_model_years(payload)


@blp.route("/get-tradein-vehicle")
class Vehicles(MethodView):
    @publishable
    @answers(404)  # a make, model, year or vehicle the catalogue does not have
    @blp.arguments(schemas.VehicleRequestSchema)
    @blp.response(200, schemas.VehicleListSchema)
    def post(self, payload: dict[str, Any]) -> Any:
        """The vehicles (trims and body styles) of a model year, or those a VIN may be."""
        return service.get_vehicles(payload, provider=_provider)


@blp.route("/get-tradein-allOptions")
class Options(MethodView):
    @publishable
    @answers(404)  # a make, model, year or vehicle the catalogue does not have
    @blp.arguments(schemas.OptionsRequestSchema)
    @blp.response(200, schemas.OptionListSchema)
    def post(self, payload: dict[str, Any]) -> Any:
        """A vehicle's equipment options with their value adjustments."""
        return service.get_options(payload, provider=_provider)


@blp.route("/get-tradein-vehiclevalue")
class VehicleValue(MethodView):
    @publishable
    @answers(404)  # a make, model, year or vehicle the catalogue does not have
    @blp.arguments(schemas.ValueRequestSchema)
    @blp.response(200, schemas.TradeinValuationSchema)
    def post(self, payload: dict[str, Any]) -> Any:
        """Value a vehicle: trade-in, private-party and retail values per condition. The same
        vehicle, mileage band, condition, options and ZIP are answered from a day's cache
        (header `Valuation-Cached: true`)."""
        valuation, cached = service.value_vehicle(
            session(),
            tenant(),
            payload,
            provider=_provider,
            provider_name=connectors().valuation_name(tenant()),
        )
        return valuation, 200, {"Valuation-Cached": "true" if cached else "false"}
