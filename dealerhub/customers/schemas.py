"""HTTP contract of the customers API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from dealerhub.pagination import ListArgsSchema
from dealerhub.schemas import Metadata, StrictSchema, list_schema


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


class CustomerSchema(Schema):
    id = fields.String()
    object = fields.String()
    created = fields.Integer()
    livemode = fields.Boolean()
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    address = fields.Dict(allow_none=True)
    shipping = fields.Dict(allow_none=True)
    invoice_settings = fields.Dict()
    metadata = fields.Dict()


CustomerListSchema = list_schema(CustomerSchema)
