"""HTTP contract of the payments API: request bodies and query args (the response objects
are in ``response_schemas``)."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from dealerhub.customers.schemas import AddressSchema, ShippingSchema
from dealerhub.pagination import ListArgsSchema
from dealerhub.schemas import Metadata, StrictSchema

# ISO 4217 codes we accept; the processor's capabilities narrow this at confirm time.
CURRENCIES = ("usd", "cad", "eur", "gbp", "mxn", "aud", "jpy", "chf", "nzd", "brl")
PM_TYPES = ("card", "us_bank_account")
CANCEL_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")


def _id(**kw: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=3, max=80), **kw)


class BillingDetailsSchema(StrictSchema):
    address = fields.Nested(AddressSchema, allow_none=True)
    email = fields.Email(allow_none=True)
    name = fields.String(allow_none=True, validate=validate.Length(max=256))
    phone = fields.String(allow_none=True, validate=validate.Length(max=32))


class CardInSchema(StrictSchema):
    # _number_or_token for the OpenAPI document (dealerhub.openapi_contract).
    json_schema: ClassVar[dict[str, Any]] = {
        "oneOf": [
            {"required": ["token"], "not": {"required": ["number"]}},
            {"required": ["number", "exp_month", "exp_year"], "not": {"required": ["token"]}},
        ]
    }
    number = fields.String(validate=validate.Regexp(r"^[0-9 -]{12,23}$", error="Not a number."))
    exp_month = fields.Integer(validate=validate.Range(min=1, max=12))
    exp_year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    cvc = fields.String(load_only=True, validate=validate.Regexp(r"^[0-9]{3,4}$"))
    token = fields.String(validate=validate.Length(min=4, max=200))

    @validates_schema
    def _number_or_token(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("token"):
            if data.get("number"):
                raise ValidationError("Send either card.number or card.token.", "token")
            return
        for name in ("number", "exp_month", "exp_year"):
            if data.get(name) is None:
                raise ValidationError("Missing data for required field.", name)


def _aba_routing_number(value: str) -> None:
    """ABA checksum: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) is a multiple of 10."""
    if len(value) != 9 or not value.isdigit():
        return  # the nine-digit rule beside this one reports it (marshmallow runs both)
    d = [int(c) for c in value]
    if (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8]) % 10:
        raise ValidationError("Not a valid ABA routing number (its check digit is wrong).")


class BankAccountInSchema(StrictSchema):
    routing_number = fields.String(
        required=True,
        validate=[validate.Regexp(r"^[0-9]{9}$", error="Nine digits."), _aba_routing_number],
    )
    account_number = fields.String(
        required=True,
        load_only=True,
        validate=validate.Regexp(r"^[0-9]{4,17}$", error="4 to 17 digits."),
    )
    account_type = fields.String(
        load_default="checking", validate=validate.OneOf(["checking", "savings"])
    )
    account_holder_type = fields.String(
        load_default="individual", validate=validate.OneOf(["individual", "company"])
    )


class PaymentMethodCreateSchema(StrictSchema):
    # _details_of_type for the OpenAPI document: the details of the type, and only those
    # (said with not/required, which client generators take as plain objects).
    json_schema: ClassVar[dict[str, Any]] = {
        "allOf": [
            {"anyOf": [{"required": ["card"]}, {"required": ["us_bank_account"]}]},
            {"not": {"required": ["card", "us_bank_account"]}},
            {"not": {"required": ["us_bank_account"], "properties": {"type": {"enum": ["card"]}}}},
            {
                "not": {
                    "required": ["card"],
                    "properties": {"type": {"enum": ["us_bank_account"]}},
                }
            },
            {
                "not": {
                    "properties": {
                        "type": {"enum": ["us_bank_account"]},
                        "billing_details": {
                            "not": {
                                "required": ["name"],
                                "properties": {"name": {"type": "string", "minLength": 1}},
                            }
                        },
                    }
                }
            },
            {
                "not": {
                    "required": ["us_bank_account"],
                    "not": {"required": ["billing_details"]},
                }
            },
        ]
    }
    type = fields.String(required=True, validate=validate.OneOf(["card", "us_bank_account"]))
    card = fields.Nested(CardInSchema)
    us_bank_account = fields.Nested(
        BankAccountInSchema,
        metadata={"description": "Secret key only; billing_details.name is the account holder"},
    )
    billing_details = fields.Nested(BillingDetailsSchema)
    customer = _id()
    metadata = Metadata()
    processor = fields.String(
        validate=validate.Length(min=1, max=32),
        metadata={
            "description": "The gateway whose tokenizer issued card.token (live mode); "
            "by default the one routing picks for cards."
        },
    )

    @validates_schema
    def _details_of_type(self, data: dict[str, Any], **_kw: Any) -> None:
        kind = data.get("type")
        other = "us_bank_account" if kind == "card" else "card"
        if kind and data.get(kind) is None:
            raise ValidationError("Missing data for required field.", kind)
        if data.get(other) is not None:
            raise ValidationError(f"Only {kind} details go with type {kind}.", other)
        if kind == "us_bank_account" and not (data.get("billing_details") or {}).get("name"):
            raise ValidationError("The account holder's name is required.", "billing_details")


class TokenizerArgs(StrictSchema):
    type = fields.String(load_default="card", validate=validate.OneOf(["card"]))


class PaymentMethodUpdateSchema(StrictSchema):
    billing_details = fields.Nested(BillingDetailsSchema)
    metadata = Metadata()


class PaymentMethodListArgs(ListArgsSchema):
    type = fields.String(validate=validate.OneOf(PM_TYPES))


class IntentCreateSchema(StrictSchema):
    # _off_session for the OpenAPI document: off_session=true only with confirm=true.
    json_schema: ClassVar[dict[str, Any]] = {
        "not": {
            "properties": {"off_session": {"enum": [True]}, "confirm": {"enum": [False]}},
            "required": ["off_session"],
        }
    }
    amount = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=50, max=99999999)
    )
    currency = fields.String(required=True, validate=validate.OneOf(CURRENCIES))
    customer = _id(allow_none=True)
    payment_method = _id()
    payment_method_types = fields.List(
        fields.String(validate=validate.OneOf(PM_TYPES)), validate=validate.Length(min=1)
    )
    capture_method = fields.String(validate=validate.OneOf(["automatic", "manual"]))
    confirm = fields.Boolean()
    off_session = fields.Boolean()
    setup_future_usage = fields.String(
        allow_none=True, validate=validate.OneOf(["on_session", "off_session"])
    )
    on_behalf_of = _id(allow_none=True)
    description = fields.String(allow_none=True, validate=validate.Length(max=1000))
    receipt_email = fields.Email(allow_none=True)
    shipping = fields.Nested(ShippingSchema, allow_none=True)
    metadata = Metadata()

    @validates_schema
    def _off_session(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("off_session") and not data.get("confirm"):
            raise ValidationError("off_session can only be used with confirm=true.", "off_session")


class IntentUpdateSchema(StrictSchema):
    amount = fields.Integer(strict=True, validate=validate.Range(min=50, max=99999999))
    currency = fields.String(validate=validate.OneOf(CURRENCIES))
    customer = _id(allow_none=True)
    payment_method = _id()
    payment_method_types = fields.List(
        fields.String(validate=validate.OneOf(PM_TYPES)), validate=validate.Length(min=1)
    )
    capture_method = fields.String(validate=validate.OneOf(["automatic", "manual"]))
    setup_future_usage = fields.String(
        allow_none=True, validate=validate.OneOf(["on_session", "off_session"])
    )
    on_behalf_of = _id(allow_none=True)
    description = fields.String(allow_none=True, validate=validate.Length(max=1000))
    receipt_email = fields.Email(allow_none=True)
    shipping = fields.Nested(ShippingSchema, allow_none=True)
    metadata = Metadata()


class ConfirmSchema(StrictSchema):
    payment_method = _id()
    client_secret = fields.String(validate=validate.Length(max=200))
    off_session = fields.Boolean()
    receipt_email = fields.Email()
    return_url = fields.Url()


class CaptureSchema(StrictSchema):
    amount_to_capture = fields.Integer(strict=True, validate=validate.Range(min=1))


class CancelSchema(StrictSchema):
    cancellation_reason = fields.String(validate=validate.OneOf(CANCEL_REASONS))


class ClientSecretArgs(Schema):
    client_secret = fields.String(validate=validate.Length(max=200))


class IntentListArgs(ListArgsSchema):
    customer = fields.String(validate=validate.Length(max=80))


class RefundCreateSchema(StrictSchema):
    payment_intent = _id(required=True)
    amount = fields.Integer(strict=True, validate=validate.Range(min=1))
    reason = fields.String(
        validate=validate.OneOf(["duplicate", "fraudulent", "requested_by_customer"])
    )
    metadata = Metadata()


class RefundListArgs(ListArgsSchema):
    payment_intent = fields.String(validate=validate.Length(max=80))


class ChargeListArgs(ListArgsSchema):
    payment_intent = fields.String(validate=validate.Length(max=80))


class SetupIntentCreateSchema(StrictSchema):
    customer = _id()
    payment_method = _id()
    payment_method_types = fields.List(fields.String(validate=validate.OneOf(PM_TYPES)))
    usage = fields.String(validate=validate.OneOf(["on_session", "off_session"]))
    confirm = fields.Boolean()
    description = fields.String(validate=validate.Length(max=1000))
    metadata = Metadata()


class SetupCancelSchema(StrictSchema):
    cancellation_reason = fields.String(
        validate=validate.OneOf(["abandoned", "requested_by_customer", "duplicate"])
    )


class LinkTokenCreateSchema(StrictSchema):
    client_name = fields.String(validate=validate.Length(max=100))
    user = fields.Dict()


class SandboxPublicTokenSchema(StrictSchema):
    institution_id = fields.String(validate=validate.Length(max=40))


class BankAccountCreateSchema(StrictSchema):
    public_token = fields.String(required=True, validate=validate.Length(min=10, max=200))
    account_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    customer = _id()
    billing_details = fields.Nested(BillingDetailsSchema)


class ExternalAccountSchema(StrictSchema):
    routing_number = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{9}$"))
    account_number = fields.String(
        required=True, load_only=True, validate=validate.Regexp(r"^[0-9]{4,17}$")
    )


class AccountCreateSchema(StrictSchema):
    type = fields.String(validate=validate.OneOf(["custom", "express", "standard"]))
    country = fields.String(validate=validate.Regexp(r"^[A-Z]{2}$"))
    default_currency = fields.String(validate=validate.OneOf(CURRENCIES))
    email = fields.Email()
    business_profile = fields.Dict()
    company = fields.Dict()
    external_account = fields.Nested(ExternalAccountSchema)
    tos_acceptance = fields.Dict()
    metadata = Metadata()
