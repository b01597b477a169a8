"""The HTTP contract of /dms/deals. Amounts are integer minor units (cents)."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate

from dealerhub.dms.schemas import VehicleSchema
from dealerhub.pagination import ListArgsSchema
from dealerhub.schemas import Metadata, list_schema

Amount = lambda **kw: fields.Integer(  # noqa: E731 - a field factory reads best inline
    strict=True, validate=validate.Range(min=0, error="Must not be negative."), **kw
)


def _apr_range(value: Decimal) -> None:
    # A plain function, not validate.Range: apispec would render Decimal bounds as strings.
    if not Decimal(0) <= value <= Decimal(40):
        raise ValidationError("APR must be between 0 and 40 percent.")


class DealVehicleSchema(VehicleSchema):
    price = Amount(allow_none=True)
    mileage = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=2_000_000))


class DealTradeInSchema(Schema):
    vin = fields.String(allow_none=True, validate=validate.Length(equal=17))
    year = fields.Integer(allow_none=True, validate=validate.Range(min=1900, max=2100))
    make = fields.String(allow_none=True, validate=validate.Length(max=60))
    model = fields.String(allow_none=True, validate=validate.Length(max=60))
    mileage = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=2_000_000))
    allowance = Amount(load_default=0)
    payoff = Amount(load_default=0)


class FeeSchema(Schema):
    description = fields.String(required=True, validate=validate.Length(min=1, max=100))
    amount = Amount(required=True)


class FinanceSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(("retail", "lease", "cash")))
    amount_financed = Amount(load_default=0)
    apr = fields.Decimal(allow_none=True, validate=_apr_range)
    term_months = fields.Integer(
        allow_none=True,
        validate=validate.Range(min=1, max=96, error="Term must be 1 to 96 months."),
    )
    down_payment = Amount(load_default=0)
    monthly_payment = Amount(allow_none=True)
    lender = fields.String(allow_none=True, validate=validate.Length(max=100))
    tires_cost = Amount(load_default=0)
    taxes = Amount(load_default=0)
    fees = fields.List(fields.Nested(FeeSchema), load_default=list)


class ProductSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    type = fields.String(allow_none=True, validate=validate.Length(max=40))
    price = Amount(required=True)
    cost = Amount(load_default=0)


class DealCreateSchema(Schema):
    customer_id = fields.String(required=True, validate=validate.Regexp(r"^cus_\w+$"))
    lead_id = fields.String(allow_none=True, validate=validate.Regexp(r"^lead_\w+$"))
    currency = fields.String(load_default="usd", validate=validate.OneOf(("usd", "cad")))
    vehicle = fields.Nested(DealVehicleSchema, required=True)
    trade_in = fields.Nested(DealTradeInSchema, allow_none=True)
    finance = fields.Nested(FinanceSchema, required=True)
    products = fields.List(fields.Nested(ProductSchema), load_default=list)
    payment_intent = fields.String(allow_none=True, validate=validate.Regexp(r"^pi_\w+$"))
    metadata = Metadata()


class DealSchema(Schema):
    id = fields.String()
    object = fields.String()
    created = fields.Integer()
    livemode = fields.Boolean()
    customer_id = fields.String()
    lead_id = fields.String(allow_none=True)
    currency = fields.String()
    vehicle = fields.Dict()
    trade_in = fields.Dict(allow_none=True)
    finance = fields.Dict()
    products = fields.List(fields.Dict())
    payment_intent = fields.String(allow_none=True)
    totals = fields.Dict()
    dms_sync = fields.Dict()
    metadata = fields.Dict()


DealListSchema = list_schema(DealSchema)


class DealListArgsSchema(ListArgsSchema):
    customer_id = fields.String()
    sync_status = fields.String(validate=validate.OneOf(("pending", "synced", "failed", "dead")))
