"""HTTP contract of invoices: request bodies, query arguments and the Invoice object (the
API response and the event snapshot alike)."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from dealerhub.billing.schemas import CURRENCIES, MAX_AMOUNT
from dealerhub.pagination import ListArgsSchema, ListFilterArgsSchema
from dealerhub.schemas import (
    INT64,
    TIMESTAMP,
    Bool,
    Computed,
    Const,
    Currency,
    Int,
    Metadata,
    Money,
    ObjectSchema,
    ResponseSchema,
    Str,
    StrictSchema,
    list_schema,
    search_result_schema,
)

COLLECTION_METHODS = ("charge_automatically", "send_invoice")
STATUSES = ("draft", "open", "paid", "uncollectible", "void")
MAX_LINES = 100
MAX_QUANTITY = 10_000
MAX_DAYS_UNTIL_DUE = 730


def _id(**kw: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=3, max=40), **kw)


def _text(max_len: int, **kw: Any) -> fields.String:
    return fields.String(validate=validate.Length(max=max_len), **kw)


class LineInSchema(StrictSchema):
    """``{price, quantity}`` or ``{amount, currency, description, quantity}``; ``amount`` is
    the unit amount (the line's amount is ``amount x quantity``); a negative one is a credit."""

    # _price_or_amount for the OpenAPI document.
    json_schema: ClassVar[dict[str, Any]] = {
        "oneOf": [
            {
                "required": ["price"],
                "not": {
                    "anyOf": [
                        {"required": ["amount"]},
                        {"required": ["currency"]},
                        {"required": ["tax_behavior"]},
                    ]
                },
            },
            {
                "required": ["amount", "description"],
                "not": {"anyOf": [{"required": ["price"]}, {"required": ["unit_amount"]}]},
                "properties": {"description": {"minLength": 1}},
            },
        ]
    }
    price = _id()
    quantity = fields.Integer(
        strict=True, load_default=1, validate=validate.Range(min=1, max=MAX_QUANTITY)
    )
    unit_amount = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=MAX_AMOUNT),
        metadata={"description": "For a price with custom_unit_amount only."},
    )
    amount = fields.Integer(strict=True, validate=validate.Range(min=-MAX_AMOUNT, max=MAX_AMOUNT))
    currency = fields.String(validate=validate.OneOf(CURRENCIES))
    description = _text(500)
    tax_behavior = fields.String(validate=validate.OneOf(("exclusive", "inclusive")))

    @validates_schema
    def _price_or_amount(self, data: dict[str, Any], **_kw: Any) -> None:
        if ("price" in data) == ("amount" in data):
            raise ValidationError("Each line takes either price or amount.", "price")
        if "amount" in data:
            if not data.get("description"):
                raise ValidationError("A line with an amount needs a description.", "description")
            if "unit_amount" in data:
                raise ValidationError("unit_amount goes with a price.", "unit_amount")
        elif "currency" in data or "tax_behavior" in data:
            name = "currency" if "currency" in data else "tax_behavior"
            raise ValidationError(f"A price line takes its {name} from the price.", name)


def _tax_rate(**kw: Any) -> fields.Decimal:
    return fields.Decimal(
        places=4,
        allow_nan=False,
        validate=validate.Range(min=0, max=100),
        # apispec renders a Decimal field's bounds as strings; the document needs numbers.
        metadata={
            "description": "Percentage (e.g. 8.25) applied to exclusive lines.",
            "minimum": 0,
            "maximum": 100,
        },
        **kw,
    )


class _InvoiceFields(StrictSchema):
    collection_method = fields.String(validate=validate.OneOf(COLLECTION_METHODS))
    days_until_due = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=MAX_DAYS_UNTIL_DUE)
    )
    due_date = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0))
    auto_advance = fields.Boolean()
    default_payment_method = _id(allow_none=True)
    description = _text(1500, allow_none=True)
    footer = _text(5000, allow_none=True)
    metadata = Metadata()
    currency = fields.String(validate=validate.OneOf(CURRENCIES))
    tax_rate = _tax_rate(allow_none=True)
    lines = fields.List(fields.Nested(LineInSchema), validate=validate.Length(max=MAX_LINES))

    json_schema: ClassVar[dict[str, Any]] = {"not": {"required": ["days_until_due", "due_date"]}}

    @validates_schema
    def _due(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("days_until_due") is not None and data.get("due_date") is not None:
            raise ValidationError("Pass days_until_due or due_date, not both.", "due_date")


class InvoiceCreateSchema(_InvoiceFields):
    # _send_invoice_needs_a_due_date for the OpenAPI document.
    json_schema: ClassVar[dict[str, Any]] = {
        "allOf": [
            _InvoiceFields.json_schema,
            {
                "anyOf": [
                    {
                        "required": ["collection_method"],
                        "properties": {"collection_method": {"enum": ["send_invoice"]}},
                        "anyOf": [
                            {
                                "required": ["days_until_due"],
                                "properties": {"days_until_due": {"type": "integer"}},
                            },
                            {
                                "required": ["due_date"],
                                "properties": {"due_date": {"type": "integer"}},
                            },
                        ],
                    },
                    {
                        "properties": {
                            "collection_method": {"enum": ["charge_automatically"]},
                            "days_until_due": {"enum": [None]},
                            "due_date": {"enum": [None]},
                        }
                    },
                ]
            },
        ]
    }
    customer = _id(required=True)

    @validates_schema
    def _send_invoice_needs_a_due_date(self, data: dict[str, Any], **_kw: Any) -> None:
        method = data.get("collection_method", "charge_automatically")
        has_due = data.get("days_until_due") is not None or data.get("due_date") is not None
        if method == "send_invoice" and not has_due:
            raise ValidationError(
                "An invoice with collection_method=send_invoice needs days_until_due or due_date.",
                "days_until_due",
            )
        if method == "charge_automatically" and has_due:
            name = "days_until_due" if data.get("days_until_due") is not None else "due_date"
            raise ValidationError(
                f"{name} is only for collection_method=send_invoice (an automatically charged "
                "invoice is paid when it is finalized).",
                name,
            )


class InvoiceUpdateSchema(_InvoiceFields):
    customer = _id()


class PaySchema(StrictSchema):
    json_schema: ClassVar[dict[str, Any]] = {
        "not": {
            "properties": {"paid_out_of_band": {"enum": [True]}},
            "required": ["paid_out_of_band", "payment_method"],
        }
    }
    payment_method = _id()
    paid_out_of_band = fields.Boolean(load_default=False)

    @validates_schema
    def _one(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("paid_out_of_band") and data.get("payment_method"):
            raise ValidationError("paid_out_of_band takes no payment_method.", "payment_method")


class EmptySchema(StrictSchema):
    """Actions that take no parameters (an unknown one is still a 400)."""


class UpcomingSchema(_InvoiceFields):
    """A preview: a ``customer`` and ``lines``, or a draft ``invoice`` plus changes."""

    json_schema: ClassVar[dict[str, Any]] = {
        "allOf": [
            _InvoiceFields.json_schema,
            {"anyOf": [{"required": ["customer"]}, {"required": ["invoice"]}]},
        ]
    }

    customer = _id()
    invoice = _id()

    @validates_schema
    def _customer_or_invoice(self, data: dict[str, Any], **_kw: Any) -> None:
        if not data.get("customer") and not data.get("invoice"):
            raise ValidationError("Pass customer (with lines) or a draft invoice.", "customer")


class UpcomingLinesArgs(Schema):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    starting_after = fields.String(validate=validate.Length(min=1, max=64))


class _RangeFilters(ListFilterArgsSchema):
    customer = _id()
    status = fields.String(validate=validate.OneOf(STATUSES))
    collection_method = fields.String(validate=validate.OneOf(COLLECTION_METHODS))
    due_date_gt = fields.Integer(data_key="due_date[gt]", validate=TIMESTAMP)
    due_date_gte = fields.Integer(data_key="due_date[gte]", validate=TIMESTAMP)
    due_date_lt = fields.Integer(data_key="due_date[lt]", validate=TIMESTAMP)
    due_date_lte = fields.Integer(data_key="due_date[lte]", validate=TIMESTAMP)


class InvoiceListArgs(_RangeFilters, ListArgsSchema):
    pass


class InvoiceSearchArgs(_RangeFilters):
    """The list's filters plus ``number``, ``total[gte|lte]``; paged by ``page``."""

    number = _text(40)
    total_gte = fields.Integer(data_key="total[gte]", validate=INT64)
    total_lte = fields.Integer(data_key="total[lte]", validate=INT64)
    page = fields.String(validate=validate.Length(min=1, max=100))


# -- responses -------------------------------------------------------------------------------


class LineItemSchema(ResponseSchema):
    id = Str()
    object = Const("line_item")
    amount = Money(metadata={"description": "unit_amount x quantity"})
    currency = Currency()
    description = Str(allow_none=True)
    price = Str(attribute="price_id", allow_none=True)
    product = Str(attribute="product_id", allow_none=True)
    quantity = Int()
    unit_amount = Money()
    tax_behavior = Str(metadata={"enum": ["exclusive", "inclusive", "unspecified"]})
    tax_amount = Money(metadata={"description": "Tax on this line (included when inclusive)."})


class LineListSchema(ResponseSchema):
    object = Const("list")
    data = fields.List(fields.Nested(LineItemSchema), required=True)
    has_more = Bool(required=True)
    url = Str(required=True)
    total_count = Int()


def _lines(invoice: Any) -> dict[str, Any]:
    # A preview (``invoices.preview``) carries its lines apart: they never join a session.
    preview = invoice.__dict__.get("preview_lines")
    lines = list(invoice.lines if preview is None else preview)
    return {
        "object": "list",
        "data": lines,
        "has_more": False,
        "url": f"/payment/invoices/{invoice.id}/lines"
        if preview is None
        else "/payment/invoices/upcoming/lines",
        "total_count": len(lines),
    }


class StatusTransitionsSchema(ResponseSchema):
    finalized_at = Int(allow_none=True)
    paid_at = Int(allow_none=True)
    voided_at = Int(allow_none=True)
    marked_uncollectible_at = Int(allow_none=True)


class FinalizationErrorSchema(ResponseSchema):
    type = Str()
    code = Str(allow_none=True)
    decline_code = Str(allow_none=True)
    message = Str(allow_none=True)
    payment_intent = Str(allow_none=True)


def _remaining(invoice: Any) -> int:
    return int(invoice.amount_due - invoice.amount_paid)


def _paid(invoice: Any) -> bool:
    return bool(invoice.status == "paid")


def _total_excluding_tax(invoice: Any) -> int:
    return int(invoice.total - invoice.tax)


def _tax_rate_out(invoice: Any) -> str | None:
    return None if invoice.tax_rate is None else str(invoice.tax_rate)


class InvoiceSchema(ObjectSchema):
    """The Invoice object (also the event snapshot)."""

    object = Const("invoice")
    amount_due = Money()
    amount_paid = Money()
    amount_remaining = fields.Function(_remaining, metadata={"type": "integer"})
    attempt_count = Int()
    auto_advance = Bool()
    collection_method = Str(metadata={"enum": list(COLLECTION_METHODS)})
    currency = Currency()
    customer = Str(attribute="customer_id")
    customer_email = Str(allow_none=True)
    customer_name = Str(allow_none=True)
    days_until_due = Int(allow_none=True)
    default_payment_method = Str(allow_none=True)
    description = Str(allow_none=True)
    due_date = Int(allow_none=True)
    footer = Str(allow_none=True)
    hosted_invoice_url = Str(allow_none=True)
    invoice_pdf = Str(allow_none=True)
    last_finalization_error = fields.Nested(FinalizationErrorSchema, allow_none=True)
    lines = Computed(LineListSchema, _lines)
    metadata = Metadata(attribute="metadata_")
    number = Str(allow_none=True)
    paid = fields.Function(_paid, metadata={"type": "boolean"})
    paid_out_of_band = Bool()
    payment_intent = Str(attribute="payment_intent_id", allow_none=True)
    status = Str(metadata={"enum": list(STATUSES)})
    status_transitions = Computed(StatusTransitionsSchema)
    subtotal = Money()
    tax = Money()
    tax_rate = fields.Function(
        _tax_rate_out, metadata={"type": "string", "nullable": True, "description": "Percent"}
    )
    total = Money()
    total_excluding_tax = fields.Function(_total_excluding_tax, metadata={"type": "integer"})


InvoiceListSchema = list_schema(InvoiceSchema)
InvoiceSearchResultSchema = search_result_schema(InvoiceSchema)

INVOICE = InvoiceSchema()
LINE_ITEM = LineItemSchema()
