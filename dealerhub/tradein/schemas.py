"""The /tradein contract (issue 13): the six drill-down and valuation endpoints' request and
response bodies, exactly as specified; ``category_id`` is 1 cars, 2 trucks and SUVs, 3 vans,
4 motorcycles."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import ValidationError, fields, validate, validates_schema

from dealerhub.connectors.valuation.base import CONDITIONS
from dealerhub.schemas import Const, Int, Money, ResponseSchema, Str, StrictSchema
from dealerhub.tradein.catalog import CATEGORIES
from dealerhub.tradein.regions import ALLOCATED_ZIP

FIRST_YEAR, LAST_YEAR = 2000, 2026
MAX_MILEAGE = 999_999


def _id(**kw: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1), **kw)


_YEAR = validate.Range(
    min=FIRST_YEAR, max=LAST_YEAR, error="Must be a model year from {min} to {max}."
)
_CATEGORY_DOC = ", ".join(f"{k} {v}" for k, v in CATEGORIES.items())


class FilterSchema(StrictSchema):
    category_id = fields.Integer(
        strict=True,
        validate=validate.OneOf(list(CATEGORIES), error="Must be one of: 1, 2, 3, 4."),
        metadata={"description": f"Category ID for filtering vehicle valuations: {_CATEGORY_DOC}."},
    )
    year = fields.Integer(strict=True, validate=_YEAR, metadata={"description": "Model year"})


class MakesRequestSchema(StrictSchema):
    filter = fields.Nested(
        FilterSchema,
        load_default=dict,
        metadata={"description": "If not specified, all makes will be returned"},
    )


class ModelsRequestSchema(StrictSchema):
    make_id = _id(required=True)
    filter = fields.Nested(
        FilterSchema,
        load_default=dict,
        metadata={"description": "If not specified, all models will be returned"},
    )


class ModelYearsRequestSchema(StrictSchema):
    make_id = _id(required=True)
    model_id = _id(required=True)


class VehicleRequestSchema(StrictSchema):
    # _one_form for the OpenAPI document: vin alone, or model_id and year.
    json_schema: ClassVar[dict[str, Any]] = {
        "oneOf": [
            {
                "required": ["vin"],
                "not": {"anyOf": [{"required": ["model_id"]}, {"required": ["year"]}]},
            },
            {"required": ["model_id", "year"], "not": {"required": ["vin"]}},
        ]
    }
    model_id = _id()
    year = fields.Integer(strict=True, validate=_YEAR)
    vin = fields.String(
        validate=validate.Length(min=1, max=32),
        metadata={
            "description": "17 characters; validated (check digit included) and decoded offline",
            "json_schema": {"pattern": "^[A-HJ-NPR-Z0-9]{17}$"},
        },
    )

    @validates_schema
    def _one_form(self, data: dict[str, Any], **_kw: Any) -> None:
        if "vin" in data:
            extra = next((k for k in ("model_id", "year") if k in data), None)
            if extra:
                raise ValidationError("Send either vin, or model_id and year; not both.", extra)
            return
        for name in ("model_id", "year"):
            if name not in data:
                raise ValidationError("Required with model_id/year (or send vin instead).", name)


class OptionsRequestSchema(StrictSchema):
    vehicle_id = fields.String(required=True, validate=validate.Length(min=1, max=80))


class ValueRequestSchema(StrictSchema):
    vehicle_id = fields.String(required=True, validate=validate.Length(min=1, max=80))
    mileage = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=MAX_MILEAGE),
        metadata={"description": "Odometer miles; valued in 1,000-mile bands"},
    )
    zip_code = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^\d{5}(-\d{4})?$", error="Must be a US ZIP code (12345 or 12345-6789)."
        ),
        metadata={"json_schema": {"pattern": ALLOCATED_ZIP}},
    )
    condition = fields.String(
        required=True, validate=validate.OneOf(CONDITIONS, error="Must be one of: {choices}.")
    )
    option_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        load_default=list,
        validate=validate.Length(max=50),
    )


# --- responses ---------------------------------------------------------------------------


class MakeSchema(ResponseSchema):
    make_id = Int()
    name = Str()


class ModelSchema(ResponseSchema):
    model_id = Int()
    make_id = Int()
    name = Str()


class ModelYearSchema(ResponseSchema):
    year = Int()


class VehicleSchema(ResponseSchema):
    vehicle_id = Str()
    year = Int()
    make = Str()
    model = Str()
    trim = Str(allow_none=True)
    body_style = Str(allow_none=True)
    drivetrain = Str(allow_none=True)
    engine = Str(allow_none=True)
    msrp = Money(allow_none=True)


class OptionSchema(ResponseSchema):
    option_id = Str()
    name = Str()
    category = Str()
    standard = fields.Boolean()
    adjustment = Money()


def _list(item: type[ResponseSchema], name: str) -> type[ResponseSchema]:
    return type(
        name,
        (ResponseSchema,),
        {"object": Const("list"), "data": fields.List(fields.Nested(item))},
    )


MakeListSchema = _list(MakeSchema, "TradeinMakeListSchema")
ModelListSchema = _list(ModelSchema, "TradeinModelListSchema")
ModelYearListSchema = _list(ModelYearSchema, "TradeinModelYearListSchema")
VehicleListSchema = _list(VehicleSchema, "TradeinVehicleListSchema")
OptionListSchema = _list(OptionSchema, "TradeinOptionListSchema")


class ConditionValuesSchema(ResponseSchema):
    rough = Money(allow_none=True)
    average = Money(allow_none=True)
    clean = Money(allow_none=True)
    extra_clean = Money(allow_none=True)


class ValuesSchema(ResponseSchema):
    trade_in = fields.Nested(ConditionValuesSchema)
    private_party = fields.Nested(ConditionValuesSchema)
    retail = fields.Nested(ConditionValuesSchema)


class TradeinValuationSchema(ResponseSchema):
    object = Const("tradein_valuation")
    vehicle_id = Str()
    mileage = Int()
    condition = Str()
    currency = Const("usd")
    base_value = Money(allow_none=True)
    mileage_adjustment = Money(allow_none=True)
    option_adjustment = Money(allow_none=True)
    regional_adjustment = Money(allow_none=True)
    values = fields.Nested(ValuesSchema)
    provider = Str()
    valued_at = Int(metadata={"description": "Unix seconds: when the provider valued it"})
