"""The HTTP contract of /dms/deals. Amounts are integer minor units (cents)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from dealerhub.dms.models import Deal
from dealerhub.dms.schemas import DmsSyncSchema, TradeInOutSchema, VehicleOutSchema, VehicleSchema
from dealerhub.pagination import ListArgsSchema
from dealerhub.schemas import (
    Computed,
    Const,
    Currency,
    Int,
    Metadata,
    Money,
    ObjectSchema,
    ResponseSchema,
    Str,
    list_schema,
)

# A deal's amounts, in cents: at most $100M each, so the desk's sums stay far inside the
# 64 bits the database and the JSON reader take (an unbounded amount was a body_invalid 400
# for a value the document allowed).
MAX_DEAL_AMOUNT = 10_000_000_000

Amount = lambda **kw: fields.Integer(  # noqa: E731 - a field factory reads best inline
    strict=True,
    validate=validate.Range(
        min=0, max=MAX_DEAL_AMOUNT, error="Must be between 0 and 10000000000 (cents)."
    ),
    **kw,
)


_APR_DOC = {"minimum": 0, "maximum": 40, "description": "Percent, 0 to 40"}


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
    apr = fields.Decimal(allow_none=True, validate=_apr_range, metadata=_APR_DOC)
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


class DealTradeInUpdateSchema(DealTradeInSchema):
    """A trade-in change: only the keys sent change (no defaults)."""

    allowance = Amount()
    payoff = Amount()


class FinanceUpdateSchema(FinanceSchema):
    """A finance change: only the keys sent change; ``amount_financed`` and, for a retail
    deal, ``monthly_payment`` are worked out again when left out."""

    type = fields.String(validate=validate.OneOf(("retail", "lease", "cash")))
    amount_financed = Amount()
    down_payment = Amount()
    tires_cost = Amount()
    taxes = Amount()
    fees = fields.List(fields.Nested(FeeSchema))


class DealUpdateSchema(Schema):
    """``PATCH /dms/deals/{deal_id}``: JSON merge-patch semantics. ``vehicle``, ``trade_in``
    and ``finance`` merge key by key (``null`` removes a key, ``trade_in: null`` the
    trade-in); ``products`` and ``finance.fees`` replace the stored list; ``metadata``
    merges (an empty string removes a key)."""

    customer_id = fields.String(validate=validate.Regexp(r"^cus_\w+$"))
    lead_id = fields.String(allow_none=True, validate=validate.Regexp(r"^lead_\w+$"))
    currency = fields.String(validate=validate.OneOf(("usd", "cad")))
    vehicle = fields.Nested(DealVehicleSchema)
    trade_in = fields.Nested(DealTradeInUpdateSchema, allow_none=True)
    finance = fields.Nested(FinanceUpdateSchema)
    products = fields.List(fields.Nested(ProductSchema))
    payment_intent = fields.String(allow_none=True, validate=validate.Regexp(r"^pi_\w+$"))
    metadata = Metadata()


class DealVehicleOutSchema(VehicleOutSchema):
    price = Money(allow_none=True)
    mileage = Int(allow_none=True)


class DealTradeInOutSchema(TradeInOutSchema):
    allowance = Money()
    payoff = Money()


class FeeOutSchema(ResponseSchema):
    description = Str()
    amount = Money()


class FinanceOutSchema(ResponseSchema):
    type = Str(metadata={"description": "retail, lease or cash"})
    amount_financed = Money()
    apr = Str(allow_none=True, metadata={"description": "Percent, as a decimal string"})
    term_months = Int(allow_none=True)
    down_payment = Money()
    monthly_payment = Money(allow_none=True)
    lender = Str(allow_none=True)
    tires_cost = Money()
    taxes = Money()
    fees = fields.List(fields.Nested(FeeOutSchema))


class ProductOutSchema(ResponseSchema):
    name = Str()
    type = Str(allow_none=True)
    price = Money()
    cost = Money()


class DealTotalsSchema(ResponseSchema):
    """The desk's arithmetic, in minor units (the keys that apply to the deal's type)."""

    cash_price = Money()
    taxes = Money()
    fees = Money()
    products = Money()
    products_gross = Money()
    tires_cost = Money()
    trade_equity = Money()
    down_payment = Money()
    amount_financed = Money()
    balance_due = Money()
    total_of_payments = Money()
    finance_charge = Money()


def _totals(deal: Deal) -> dict[str, Any]:
    totals: dict[str, Any] = deal.finance.get("totals", {})
    return totals


class DealSchema(ObjectSchema):
    object = Const("deal")
    customer_id = Str()
    lead_id = Str(allow_none=True)
    currency = Currency()
    vehicle = fields.Nested(DealVehicleOutSchema)
    trade_in = fields.Nested(DealTradeInOutSchema, allow_none=True)
    finance = fields.Nested(FinanceOutSchema)
    products = fields.List(fields.Nested(ProductOutSchema))
    payment_intent = Str(allow_none=True)
    totals = Computed(DealTotalsSchema, _totals)
    dms_sync = Computed(DmsSyncSchema)
    metadata = Metadata(attribute="metadata_")


DealListSchema = list_schema(DealSchema)
DEAL = DealSchema()


class DealListArgsSchema(ListArgsSchema):
    customer_id = fields.String()
    sync_status = fields.String(validate=validate.OneOf(("pending", "synced", "failed", "dead")))
