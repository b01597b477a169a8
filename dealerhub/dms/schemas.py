"""The HTTP contract of /dms: request bodies, query arguments and response objects."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any, ClassVar

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)
from sqlalchemy.orm import Session, object_session
from sqlmodel import col, select

from dealerhub.dms.models import Lead, LeadSubmission
from dealerhub.pagination import ListArgsSchema
from dealerhub.schemas import (
    Bool,
    Computed,
    Const,
    Int,
    Metadata,
    ObjectSchema,
    PostalAddressSchema,
    ResponseSchema,
    Str,
    list_schema,
    search_result_schema,
)

_ZIP = re.compile(r"\d{5}(?:-\d{4})?")
SYNC_STATUSES = ("pending", "synced", "failed", "dead")
LEAD_STATUSES = ("new", "contacted", "qualified", "won", "lost")


class AddressSchema(Schema):
    # _us_zip for the OpenAPI document: a ZIP, or a country other than the US.
    json_schema: ClassVar[dict[str, Any]] = {
        "anyOf": [
            {"properties": {"postal_code": {"pattern": r"^\d{5}(?:-\d{4})?$"}}},
            {
                "required": ["country"],
                "properties": {
                    "country": {
                        "type": "string",
                        "pattern": r"^(?:[A-TV-Za-tv-z][A-Za-z]|[Uu][A-RT-Za-rt-z])$",
                    }
                },
            },
        ]
    }
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


def _HAS(name: str) -> dict[str, Any]:  # noqa: N802 - reads as a schema constant
    return {"required": [name], "properties": {name: {"type": "string", "minLength": 1}}}


class LeadCreateSchema(Schema):
    # The intake's rules for the OpenAPI document: vehicle or vehicles; an email or a phone;
    # a phone-only lead only with consent.contact_by_phone (TCPA).
    json_schema: ClassVar[dict[str, Any]] = {
        "allOf": [
            {"not": {"required": ["vehicle", "vehicles"]}},
            {"properties": {"customer": {"anyOf": [_HAS("email"), _HAS("phone")]}}},
            {
                "anyOf": [
                    {"properties": {"customer": _HAS("email")}},
                    {
                        "required": ["consent"],
                        "properties": {
                            "consent": {
                                "type": "object",
                                "required": ["contact_by_phone"],
                                "properties": {"contact_by_phone": {"enum": [True]}},
                            }
                        },
                    },
                ]
            },
        ]
    }
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


# -- responses -------------------------------------------------------------------------------


class LeadContactSchema(ResponseSchema):
    """The lead's contact as it was sent (the keys that were sent)."""

    first_name = Str(allow_none=True)
    last_name = Str(allow_none=True)
    email = Str(allow_none=True)
    phone = Str(allow_none=True)
    address = fields.Nested(PostalAddressSchema, allow_none=True)


class VehicleOutSchema(ResponseSchema):
    vin = Str(allow_none=True)
    year = Int(allow_none=True)
    make = Str(allow_none=True)
    model = Str(allow_none=True)
    trim = Str(allow_none=True)
    stock_number = Str(allow_none=True)
    condition = Str(allow_none=True, metadata={"description": "new or used"})
    interest = Str(allow_none=True, metadata={"description": "buy, lease, sell or test-drive"})


class TradeInOutSchema(ResponseSchema):
    vin = Str(allow_none=True)
    year = Int(allow_none=True)
    make = Str(allow_none=True)
    model = Str(allow_none=True)
    mileage = Int(allow_none=True)


class LeadConsentSchema(ResponseSchema):
    contact_by_phone = Bool()
    contact_by_email = Bool()
    obtained_at = Int(allow_none=True)


class DmsSyncSchema(ResponseSchema):
    """A lead's or deal's DMS sync state, read from its sync columns."""

    status = Str(attribute="sync_status", metadata={"description": "pending, synced, failed, dead"})
    external_id = Str(allow_none=True)
    dms_customer_key = Str(allow_none=True)
    attempts = Int(attribute="sync_attempts")
    last_error = Str(attribute="sync_last_error", allow_none=True)
    synced_at = Int(allow_none=True)


class MergedSourceSchema(ResponseSchema):
    """One merged submission (a LeadSubmission row)."""

    submission = Str(attribute="id")
    service_provider = Str()
    source = Str(allow_none=True)
    format = Str(metadata={"description": "json or adf"})
    received = Int(attribute="created")
    vehicles = fields.List(fields.Nested(VehicleOutSchema))


def _first_vehicle(lead: Lead) -> dict[str, Any] | None:
    return lead.vehicles[0] if lead.vehicles else None


_PRELOADED_SOURCES = "dms.merged_sources"


def _merged_sources_stmt(lead_ids: Collection[str]) -> Any:
    return (
        select(LeadSubmission)
        .where(
            col(LeadSubmission.lead_id).in_(list(lead_ids)), col(LeadSubmission.merged).is_(True)
        )
        .order_by(col(LeadSubmission.created), col(LeadSubmission.id))
    )


def preload_merged_sources(session: Session, lead_ids: Collection[str]) -> None:
    """Read the merged sources of many leads in one query for the dumps that follow in this
    session (a sync batch's events), instead of one query (and autoflush) per lead. Only for
    a session that merges no submission into these leads afterwards."""
    if not lead_ids:
        return
    found: dict[str, list[LeadSubmission]] = {lead_id: [] for lead_id in lead_ids}
    for submission in session.scalars(_merged_sources_stmt(lead_ids)):
        found[submission.lead_id].append(submission)
    session.info.setdefault(_PRELOADED_SOURCES, {}).update(found)


def _merged_sources(lead: Lead) -> list[LeadSubmission]:
    session = object_session(lead)
    if session is None:
        return []
    preloaded = session.info.get(_PRELOADED_SOURCES, {}).get(lead.id)
    if preloaded is not None:
        return list(preloaded)
    return list(session.scalars(_merged_sources_stmt([lead.id])))


class LeadSchema(ObjectSchema):
    """The Lead object (unmasked: the API caller owns this data; events mask it)."""

    object = Const("lead")
    customer_id = Str()
    service_provider = Str()
    customer = fields.Nested(LeadContactSchema, attribute="contact")
    vehicle = Computed(VehicleOutSchema, _first_vehicle, allow_none=True)
    vehicles = fields.List(fields.Nested(VehicleOutSchema))
    trade_in = fields.Nested(TradeInOutSchema, allow_none=True)
    source = Str(allow_none=True)
    comments = Str(allow_none=True)
    consent = fields.Nested(LeadConsentSchema, allow_none=True)
    status = Str(metadata={"description": "new, contacted, qualified, won or lost"})
    dms_sync = Computed(DmsSyncSchema)
    duplicate_of = Str(allow_none=True)
    merged_sources = Computed(MergedSourceSchema, _merged_sources, many=True)
    metadata = Metadata(attribute="metadata_")


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


LeadListSchema = search_result_schema(LeadSchema, name="LeadListSchema", or_list=True)
LEAD = LeadSchema()
# What a publishable key (a browser) learns of the lead it sent.
LEAD_RECEIPT = LeadSchema(only=("id", "object", "created", "livemode", "status"))


class SyncFailureSchema(ResponseSchema):
    """A dead lead or deal (the record itself, seen as a sync failure)."""

    id = Str()
    object = Const("sync_failure")
    record_type = Str(attribute="__object_name__", metadata={"description": "lead or deal"})
    created = Int()
    livemode = Bool()
    failed_at = Int(attribute="updated")
    attempts = Int(attribute="sync_attempts")
    last_error = Str(attribute="sync_last_error", allow_none=True)
    status = Str(attribute="sync_status")


SyncFailureListSchema = list_schema(SyncFailureSchema)


class SyncRunSchema(ObjectSchema):
    object = Const("sync_run")
    workflow = Str()
    trigger = Str(metadata={"description": "schedule or manual"})
    status = Str()
    finished = Int(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    error = Str(allow_none=True)


SyncRunListSchema = list_schema(SyncRunSchema)


class SyncRunArgsSchema(ListArgsSchema):
    workflow = fields.String()
