"""The HTTP contract of /dms: request bodies, query arguments and response objects."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from dealerhub.pagination import ListArgsSchema
from dealerhub.schemas import Metadata, list_schema

_ZIP = re.compile(r"\d{5}(?:-\d{4})?")
SYNC_STATUSES = ("pending", "synced", "failed", "dead")
LEAD_STATUSES = ("new", "contacted", "qualified", "won", "lost")


class AddressSchema(Schema):
    line1 = fields.String(validate=validate.Length(max=200), allow_none=True)
    line2 = fields.String(validate=validate.Length(max=200), allow_none=True)
    city = fields.String(validate=validate.Length(max=100), allow_none=True)
    state = fields.String(validate=validate.Length(max=50), allow_none=True)
    postal_code = fields.String(validate=validate.Length(max=20), allow_none=True)
    country = fields.String(validate=validate.Length(max=60), allow_none=True)

    @validates_schema
    def _us_zip(self, data: dict[str, Any], **_kw: Any) -> None:
        # Dealers route and de-duplicate on ZIP: a US (or unspecified-country) address must
        # carry a real ZIP or ZIP+4, as ADF intakes reject with "invalid ZIP".
        country = (data.get("country") or "US").strip().upper()
        code = data.get("postal_code")
        if code and country in ("US", "USA") and not _ZIP.fullmatch(code.strip()):
            raise ValidationError("Not a valid US ZIP code.", "postal_code")


class LeadCustomerSchema(Schema):
    first_name = fields.String(validate=validate.Length(min=1, max=100), allow_none=True)
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^\+?[\d\s().-]{7,25}$", error="Not a valid phone number."),
    )
    address = fields.Nested(AddressSchema, allow_none=True)


class LeadCustomerUpdateSchema(LeadCustomerSchema):
    last_name = fields.String(validate=validate.Length(min=1, max=100))


class VehicleSchema(Schema):
    vin = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$", error="Not a valid VIN."),
    )
    year = fields.Integer(allow_none=True, validate=validate.Range(min=1900, max=2100))
    make = fields.String(allow_none=True, validate=validate.Length(max=60))
    model = fields.String(allow_none=True, validate=validate.Length(max=60))
    trim = fields.String(allow_none=True, validate=validate.Length(max=100))
    stock_number = fields.String(allow_none=True, validate=validate.Length(max=40))
    condition = fields.String(allow_none=True, validate=validate.OneOf(("new", "used")))
    interest = fields.String(
        allow_none=True, validate=validate.OneOf(("buy", "lease", "sell", "test-drive"))
    )

    @post_load
    def _upper_vin(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        if data.get("vin"):
            data["vin"] = data["vin"].upper()
        return data


class TradeInSchema(Schema):
    vin = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$", error="Not a valid VIN."),
    )
    year = fields.Integer(allow_none=True, validate=validate.Range(min=1900, max=2100))
    make = fields.String(allow_none=True, validate=validate.Length(max=60))
    model = fields.String(allow_none=True, validate=validate.Length(max=60))
    mileage = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=2_000_000))


class ConsentSchema(Schema):
    contact_by_phone = fields.Boolean(load_default=False)
    contact_by_email = fields.Boolean(load_default=False)
    obtained_at = fields.Integer(allow_none=True, validate=validate.Range(min=0))


class LeadCreateSchema(Schema):
    customer = fields.Nested(LeadCustomerSchema, required=True)
    vehicle = fields.Nested(VehicleSchema, allow_none=True)
    vehicles = fields.List(fields.Nested(VehicleSchema), validate=validate.Length(max=10))
    trade_in = fields.Nested(TradeInSchema, allow_none=True)
    source = fields.String(allow_none=True, validate=validate.Length(max=200))
    comments = fields.String(allow_none=True, validate=validate.Length(max=5000))
    consent = fields.Nested(ConsentSchema, allow_none=True)
    metadata = Metadata()

    @validates_schema
    def _one_vehicle_field(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("vehicle") and data.get("vehicles"):
            raise ValidationError("Send either vehicle or vehicles, not both.", "vehicles")


class LeadUpdateSchema(Schema):
    customer = fields.Nested(LeadCustomerUpdateSchema)
    vehicle = fields.Nested(VehicleSchema, allow_none=True)
    vehicles = fields.List(fields.Nested(VehicleSchema), validate=validate.Length(max=10))
    trade_in = fields.Nested(TradeInSchema, allow_none=True)
    source = fields.String(allow_none=True, validate=validate.Length(max=200))
    comments = fields.String(allow_none=True, validate=validate.Length(max=5000))
    consent = fields.Nested(ConsentSchema, allow_none=True)
    status = fields.String(validate=validate.OneOf(LEAD_STATUSES))
    metadata = Metadata()


class DmsSyncSchema(Schema):
    status = fields.String()
    external_id = fields.String(allow_none=True)
    dms_customer_key = fields.String(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    synced_at = fields.Integer(allow_none=True)


class MergedSourceSchema(Schema):
    submission = fields.String()
    service_provider = fields.String()
    source = fields.String(allow_none=True)
    format = fields.String()
    received = fields.Integer()
    vehicles = fields.List(fields.Dict())


class LeadSchema(Schema):
    id = fields.String()
    object = fields.String()
    created = fields.Integer()
    livemode = fields.Boolean()
    customer_id = fields.String()
    service_provider = fields.String()
    customer = fields.Dict()
    vehicle = fields.Dict(allow_none=True)
    vehicles = fields.List(fields.Dict())
    trade_in = fields.Dict(allow_none=True)
    source = fields.String(allow_none=True)
    comments = fields.String(allow_none=True)
    consent = fields.Dict(allow_none=True)
    status = fields.String()
    dms_sync = fields.Nested(DmsSyncSchema)
    duplicate_of = fields.String(allow_none=True)
    merged_sources = fields.List(fields.Nested(MergedSourceSchema))
    metadata = fields.Dict()


class LeadSearchArgsSchema(ListArgsSchema):
    # Stripe's search language (``query=email:'a@b.c' AND sync_status:'dead'``) with ``page``;
    # without ``query`` the plain filters below page with cursors like a list.
    query = fields.String(validate=validate.Length(min=1, max=1000))
    page = fields.String(validate=validate.Length(min=1, max=100))
    email = fields.String(validate=validate.Length(max=254))
    phone = fields.String(validate=validate.Length(max=32))
    last_name = fields.String(validate=validate.Length(max=100))
    status = fields.String(validate=validate.OneOf(LEAD_STATUSES))
    sync_status = fields.String(validate=validate.OneOf(SYNC_STATUSES))


class LeadListSchema(Schema):
    object = fields.String()
    data = fields.List(fields.Nested(LeadSchema))
    has_more = fields.Boolean()
    next_page = fields.String(allow_none=True)
    url = fields.String()


class SyncFailureSchema(Schema):
    id = fields.String()
    object = fields.String()
    record_type = fields.String()
    created = fields.Integer()
    livemode = fields.Boolean()
    failed_at = fields.Integer()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    status = fields.String()


SyncFailureListSchema = list_schema(SyncFailureSchema)


class SyncRunSchema(Schema):
    id = fields.String()
    object = fields.String()
    created = fields.Integer()
    livemode = fields.Boolean()
    workflow = fields.String()
    trigger = fields.String()
    status = fields.String()
    finished = fields.Integer(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    error = fields.String(allow_none=True)


SyncRunListSchema = list_schema(SyncRunSchema)


class SyncRunArgsSchema(ListArgsSchema):
    workflow = fields.String()
