"""HTTP contract of products and prices: request bodies, query arguments and the response
objects (dumped from the models for responses and event snapshots alike)."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from dealerhub.pagination import ListArgsSchema
from dealerhub.schemas import (
    Bool,
    Const,
    Currency,
    Int,
    Metadata,
    Money,
    ObjectSchema,
    ResponseSchema,
    Str,
    StrictSchema,
    StrList,
    list_schema,
    search_result_schema,
)

# The currencies the payments area takes (lower-case ISO 4217).
CURRENCIES = ("usd", "cad", "eur", "gbp", "mxn", "aud", "jpy", "chf", "nzd", "brl")
TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")
INTERVALS = ("day", "week", "month", "year")
# Stripe's limit: a recurring price bills at most every three years.
MAX_INTERVAL_DAYS = {"day": 1095, "week": 156, "month": 36, "year": 3}
MAX_AMOUNT = 99_999_999  # eight digits, as a PaymentIntent takes


def _text(max_len: int, **kw: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_len), **kw)


def _currency(**kw: Any) -> fields.String:
    return fields.String(
        validate=validate.OneOf(CURRENCIES, error="Use a lower-case ISO 4217 code we support."),
        **kw,
    )


def _amount(**kw: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_AMOUNT), **kw)


# -- requests --------------------------------------------------------------------------------


class RecurringInSchema(StrictSchema):
    interval = fields.String(required=True, validate=validate.OneOf(INTERVALS))
    interval_count = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1))
    # _at_most_three_years for the OpenAPI document: the limit of each interval.
    json_schema: ClassVar[dict[str, Any]] = {
        "anyOf": [
            {
                "properties": {
                    "interval": {"enum": [interval]},
                    "interval_count": {"maximum": limit},
                }
            }
            for interval, limit in MAX_INTERVAL_DAYS.items()
        ]
    }

    @validates_schema
    def _at_most_three_years(self, data: dict[str, Any], **_kw: Any) -> None:
        limit = MAX_INTERVAL_DAYS[data["interval"]]
        if data.get("interval_count", 1) > limit:
            raise ValidationError(
                f"A {data['interval']} price may recur at most every {limit} intervals.",
                "interval_count",
            )


class CustomUnitAmountInSchema(StrictSchema):
    enabled = fields.Boolean(load_default=True)
    minimum = _amount(allow_none=True)
    maximum = _amount(allow_none=True)
    preset = _amount(allow_none=True)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_kw: Any) -> None:
        if not data.get("enabled", True):
            raise ValidationError("Only enabled=true is accepted.", "enabled")
        low, high, preset = data.get("minimum"), data.get("maximum"), data.get("preset")
        if low is not None and high is not None and low > high:
            raise ValidationError("minimum must not exceed maximum.", "minimum")
        if preset is not None and (
            (low is not None and preset < low) or (high is not None and preset > high)
        ):
            raise ValidationError("preset must lie between minimum and maximum.", "preset")


class ProductDataSchema(StrictSchema):
    """``product_data``: a product created together with the price."""

    name = _text(250, required=True)
    active = fields.Boolean()
    description = _text(2000)
    unit_label = _text(12)
    metadata = Metadata()


class DefaultPriceDataSchema(StrictSchema):
    currency = _currency(required=True)
    unit_amount = _amount(required=True)
    recurring = fields.Nested(RecurringInSchema)
    tax_behavior = fields.String(validate=validate.OneOf(TAX_BEHAVIORS))


class ProductCreateSchema(StrictSchema):
    name = _text(250, required=True)
    description = _text(2000, allow_none=True)
    active = fields.Boolean(load_default=True)
    unit_label = _text(12, allow_none=True)
    images = fields.List(fields.Url(schemes={"https", "http"}), validate=validate.Length(max=8))
    metadata = Metadata()
    default_price_data = fields.Nested(DefaultPriceDataSchema)


class ProductUpdateSchema(StrictSchema):
    name = _text(250)
    description = _text(2000, allow_none=True)
    active = fields.Boolean()
    unit_label = _text(12, allow_none=True)
    images = fields.List(fields.Url(schemes={"https", "http"}), validate=validate.Length(max=8))
    metadata = Metadata()
    default_price = fields.String(allow_none=True, validate=validate.Length(min=3, max=40))


class ProductListArgs(ListArgsSchema):
    active = fields.Boolean()
    ids = fields.List(fields.String(validate=validate.Length(max=40)), data_key="ids[]")


class PriceCreateSchema(StrictSchema):
    # _consistent's rules for the OpenAPI document (dealerhub.openapi_contract).
    json_schema: ClassVar[dict[str, Any]] = {
        "allOf": [
            {"oneOf": [{"required": ["product"]}, {"required": ["product_data"]}]},
            {"oneOf": [{"required": ["unit_amount"]}, {"required": ["custom_unit_amount"]}]},
            {"not": {"required": ["custom_unit_amount", "recurring"]}},
            {
                "anyOf": [
                    {"not": {"required": ["type"]}},
                    {
                        "properties": {"type": {"enum": ["recurring"]}},
                        "required": ["recurring"],
                    },
                    {
                        "properties": {"type": {"enum": ["one_time"]}},
                        "not": {"required": ["recurring"]},
                    },
                ]
            },
        ]
    }
    product = fields.String(validate=validate.Length(min=3, max=40))
    product_data = fields.Nested(ProductDataSchema)
    currency = _currency(required=True)
    unit_amount = _amount()
    custom_unit_amount = fields.Nested(CustomUnitAmountInSchema)
    type = fields.String(validate=validate.OneOf(("one_time", "recurring")))
    recurring = fields.Nested(RecurringInSchema)
    nickname = _text(250)
    lookup_key = _text(200)
    transfer_lookup_key = fields.Boolean(load_default=False)
    tax_behavior = fields.String(load_default="unspecified", validate=validate.OneOf(TAX_BEHAVIORS))
    active = fields.Boolean(load_default=True)
    metadata = Metadata()

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_kw: Any) -> None:
        if bool(data.get("product")) == bool(data.get("product_data")):
            raise ValidationError("Pass exactly one of product or product_data.", "product")
        if ("unit_amount" in data) == ("custom_unit_amount" in data):
            raise ValidationError(
                "Pass exactly one of unit_amount or custom_unit_amount.", "unit_amount"
            )
        kind = data.get("type")
        if kind == "recurring" and "recurring" not in data:
            raise ValidationError("A recurring price needs recurring.interval.", "recurring")
        if kind == "one_time" and "recurring" in data:
            raise ValidationError("A one_time price takes no recurring.", "recurring")
        if "custom_unit_amount" in data and "recurring" in data:
            raise ValidationError(
                "custom_unit_amount is only for one_time prices.", "custom_unit_amount"
            )


def _immutable(name: str) -> fields.Field:
    def refuse(_value: Any) -> None:
        raise ValidationError(
            f"{name} cannot be changed after a price is created; create a new price and "
            "set active=false on this one."
        )

    return fields.Raw(
        validate=refuse,
        metadata={"description": "Immutable: always refused.", "json_schema": {"not": {}}},
    )


class PriceUpdateSchema(StrictSchema):
    active = fields.Boolean()
    nickname = _text(250, allow_none=True)
    lookup_key = _text(200, allow_none=True)
    transfer_lookup_key = fields.Boolean(load_default=False)
    tax_behavior = fields.String(validate=validate.OneOf(TAX_BEHAVIORS))
    metadata = Metadata()
    unit_amount = _immutable("unit_amount")
    currency = _immutable("currency")
    type = _immutable("type")
    recurring = _immutable("recurring")
    custom_unit_amount = _immutable("custom_unit_amount")
    product = _immutable("product")


class PriceListArgs(ListArgsSchema):
    product = fields.String(validate=validate.Length(max=40))
    active = fields.Boolean()
    type = fields.String(validate=validate.OneOf(("one_time", "recurring")))
    currency = _currency()
    lookup_keys = fields.List(
        fields.String(validate=validate.Length(max=200)),
        data_key="lookup_keys[]",
        validate=validate.Length(max=10),
    )


class SearchArgs(Schema):
    query = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    page = fields.String(validate=validate.Length(min=1, max=100))


# -- responses -------------------------------------------------------------------------------


class ProductSchema(ObjectSchema):
    """The Product object (also the event snapshot)."""

    object = Const("product")
    name = Str()
    description = Str(allow_none=True)
    active = Bool()
    default_price = Str(attribute="default_price_id", allow_none=True)
    unit_label = Str(allow_none=True)
    images = StrList()
    updated = Int(metadata={"description": "Unix seconds of the last change"})
    metadata = Metadata(attribute="metadata_")


class RecurringSchema(ResponseSchema):
    interval = Str(metadata={"enum": list(INTERVALS)})
    interval_count = Int()
    usage_type = Str(dump_default="licensed")


class CustomUnitAmountSchema(ResponseSchema):
    minimum = Money(allow_none=True, dump_default=None)
    maximum = Money(allow_none=True, dump_default=None)
    preset = Money(allow_none=True, dump_default=None)


class PriceSchema(ObjectSchema):
    """The Price object (also the event snapshot)."""

    object = Const("price")
    active = Bool()
    billing_scheme = Const("per_unit")
    currency = Currency()
    custom_unit_amount = fields.Nested(CustomUnitAmountSchema, allow_none=True)
    lookup_key = Str(allow_none=True)
    metadata = Metadata(attribute="metadata_")
    nickname = Str(allow_none=True)
    product = Str(attribute="product_id")
    recurring = fields.Nested(RecurringSchema, allow_none=True)
    tax_behavior = Str(metadata={"enum": list(TAX_BEHAVIORS)})
    type = Str(metadata={"enum": ["one_time", "recurring"]})
    unit_amount = Money(allow_none=True)


ProductListSchema = list_schema(ProductSchema)
ProductSearchResultSchema = search_result_schema(ProductSchema)
PriceListSchema = list_schema(PriceSchema)

PRODUCT = ProductSchema()
PRICE = PriceSchema()
