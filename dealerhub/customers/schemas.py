"""HTTP contract of the customers API."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from dealerhub.pagination import ListArgsSchema, list_schema


def validate_metadata(value: dict[str, str]) -> None:
    if len(value) > 50:
        raise ValidationError("metadata may have at most 50 keys.")
    for key, item in value.items():
        if len(key) > 40 or "[" in key or "]" in key:
            raise ValidationError(f"Invalid metadata key '{key[:40]}'.")
        if not isinstance(item, str) or len(item) > 500:
            raise ValidationError(f"metadata['{key}'] must be a string of at most 500 chars.")


def Metadata() -> fields.Dict:  # noqa: N802 - reads as a field type
    return fields.Dict(keys=fields.String(), values=fields.String(), validate=validate_metadata)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class AddressSchema(Strict):
    line1 = fields.String(allow_none=True, validate=validate.Length(max=200))
    line2 = fields.String(allow_none=True, validate=validate.Length(max=200))
    city = fields.String(allow_none=True, validate=validate.Length(max=100))
    state = fields.String(allow_none=True, validate=validate.Length(max=100))
    postal_code = fields.String(allow_none=True, validate=validate.Length(max=20))
    country = fields.String(
        allow_none=True, validate=validate.Regexp(r"^[A-Z]{2}$", error="Use a 2-letter code.")
    )


class ShippingSchema(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=256))
    phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    address = fields.Nested(AddressSchema, required=True)


class CustomerCreateSchema(Strict):
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
