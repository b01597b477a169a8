"""The /credit contract: the Hubex 1.1.69 applicant request plus pull type and consent, and the
1.1.74 response (masked)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
)
from stdnum.us import ssn as us_ssn

from dealerhub.pagination import ListArgsSchema
from dealerhub.schemas import Metadata, StrictSchema, list_schema

PROVIDERS = ("transunion",)
PURPOSES = ("credit_transaction", "written_instruction")


def _text(max_len: int = 100, **kw: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_len), **kw)


class ProviderHeaderSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    provider = fields.String(
        data_key="x-service-provider",
        load_default="transunion",
        validate=validate.OneOf(PROVIDERS, error="Must be one of: {choices}."),
        metadata={"description": "Credit service to use: transunion"},
    )


class AddressSchema(StrictSchema):
    line1 = _text(200, required=True)
    line2 = _text(200, allow_none=True)
    city = _text(100, required=True)
    state = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    postal_code = fields.String(required=True, validate=validate.Regexp(r"^\d{5}(-\d{4})?$"))
    country = fields.String(load_default="US", validate=validate.OneOf(["US"]))


class ConsentSchema(StrictSchema):
    obtained_at = fields.Integer(required=True, metadata={"description": "Unix seconds"})
    method = fields.String(
        required=True, validate=validate.OneOf(["electronic_signature", "written", "click_through"])
    )
    text_version = _text(100, required=True)
    pull_type = fields.String(
        required=True,
        validate=validate.OneOf(["soft", "hard"]),
        metadata={
            "description": "What the applicant authorised: a soft consent never covers a hard pull."
        },
    )


class CreditCheckRequestSchema(StrictSchema):
    first_name = _text(required=True)
    middle_name = _text(allow_none=True)
    last_name = _text(required=True)
    suffix = _text(10, allow_none=True)
    date_of_birth = fields.Date(required=True, metadata={"description": "YYYY-MM-DD, 18+"})
    gender = fields.String(allow_none=True, validate=validate.OneOf(["Male", "Female", "Other"]))
    phone_numbers = fields.List(
        fields.String(validate=validate.Regexp(r"^\+?[\d\s().-]{7,20}$")),
        load_default=list,
        validate=validate.Length(max=5),
    )
    occupation = _text(allow_none=True)
    employer = _text(allow_none=True)
    driver_license_number = _text(30, allow_none=True)
    social_security_number = fields.String(required=True)
    addresses = fields.List(
        fields.Nested(AddressSchema), required=True, validate=validate.Length(min=1, max=3)
    )
    pull_type = fields.String(load_default="soft", validate=validate.OneOf(["soft", "hard"]))
    permissible_purpose = fields.String(validate=validate.OneOf(PURPOSES))
    consent = fields.Nested(ConsentSchema, required=True)
    force = fields.Boolean(
        load_default=False,
        metadata={"description": "Pull again even if this applicant was pulled today."},
    )
    metadata = Metadata(load_default=dict)

    @validates("social_security_number")
    def _ssn(self, value: str, **_kw: Any) -> None:
        # The message never repeats the value: errors must not carry PII.
        if not us_ssn.is_valid(value):
            raise ValidationError("Not a valid US Social Security number.")

    @validates("date_of_birth")
    def _adult(self, value: dt.date, **_kw: Any) -> None:
        today = dt.datetime.now(dt.UTC).date()
        age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
        if age < 18:
            raise ValidationError("The applicant must be at least 18 years old.")
        if age > 120:
            raise ValidationError("Not a plausible date of birth.")


class CreditCheckSchema(Schema):
    id = fields.String()
    object = fields.String()
    created = fields.Integer()
    livemode = fields.Boolean()
    status = fields.String(metadata={"description": "completed, no_hit, frozen or failed"})
    provider = fields.String()
    pull_type = fields.String()
    permissible_purpose = fields.String()
    forced = fields.Boolean()
    consumer = fields.Dict(metadata={"description": "first/middle/last name, masked DOB"})
    addresses = fields.List(fields.Dict())
    phones = fields.List(fields.Dict())
    social_security_number = fields.String(allow_none=True)
    trade = fields.List(fields.Dict(), metadata={"description": "1.1.74 tradelines"})
    risk_model = fields.Dict(allow_none=True)
    adverse_action = fields.Dict(allow_none=True)
    consent = fields.Dict()
    failure_code = fields.String(allow_none=True)
    failure_message = fields.String(allow_none=True)
    raw_response_retained = fields.Boolean()
    metadata = fields.Dict()


CreditCheckListSchema = list_schema(CreditCheckSchema)


class CreditCheckListArgsSchema(ListArgsSchema):
    class Meta:
        unknown = RAISE

    status = fields.String(validate=validate.OneOf(["completed", "no_hit", "frozen", "failed"]))
