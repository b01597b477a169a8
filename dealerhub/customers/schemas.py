"""HTTP contract of the customers API."""

from __future__ import annotations

from marshmallow import fields, validate

from dealerhub.pagination import ListArgsSchema
from dealerhub.schemas import (
    Computed,
    Const,
    Metadata,
    ObjectSchema,
    PostalAddressSchema,
    ResponseSchema,
    Str,
    StrictSchema,
    list_schema,
)


class AddressSchema(StrictSchema):
    line1 = fields.String(allow_none=True, validate=validate.Length(max=200))
    line2 = fields.String(allow_none=True, validate=validate.Length(max=200))
    city = fields.String(allow_none=True, validate=validate.Length(max=100))
    state = fields.String(allow_none=True, validate=validate.Length(max=100))
    postal_code = fields.String(allow_none=True, validate=validate.Length(max=20))
    country = fields.String(
        allow_none=True, validate=validate.Regexp(r"^[A-Z]{2}$", error="Use a 2-letter code.")
    )


class ShippingSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=256))
    phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    address = fields.Nested(AddressSchema, required=True)


class CustomerCreateSchema(StrictSchema):
    name = fields.String(allow_none=True, validate=validate.Length(max=256))
    email = fields.Email(allow_none=True, validate=validate.Length(max=512))
    phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    description = fields.String(allow_none=True, validate=validate.Length(max=1000))
    address = fields.Nested(AddressSchema, allow_none=True)
    shipping = fields.Nested(ShippingSchema, allow_none=True)
    metadata = Metadata()


class CustomerUpdateSchema(CustomerCreateSchema):
    default_payment_method = fields.String(allow_none=True, validate=validate.Length(max=40))


class CustomerListArgs(ListArgsSchema):
    email = fields.String(validate=validate.Length(max=512))


class ShippingDetailsSchema(ResponseSchema):
    name = Str()
    phone = Str(allow_none=True)
    address = fields.Nested(PostalAddressSchema)


class InvoiceSettingsSchema(ResponseSchema):
    default_payment_method = Str(allow_none=True)


class CustomerSchema(ObjectSchema):
    """The Customer object (also the event snapshot)."""

    object = Const("customer")
    name = Str(allow_none=True)
    email = Str(allow_none=True)
    phone = Str(allow_none=True)
    description = Str(allow_none=True)
    address = fields.Nested(PostalAddressSchema, allow_none=True)
    shipping = fields.Nested(ShippingDetailsSchema, allow_none=True)
    invoice_settings = Computed(InvoiceSettingsSchema)
    metadata = Metadata(attribute="metadata_")


CustomerListSchema = list_schema(CustomerSchema)
CUSTOMER = CustomerSchema()
