"""The /credit contract: the Hubex 1.1.69 applicant request plus pull type and consent, and the
1.1.74 response (masked)."""

from __future__ import annotations

import datetime as dt
import json
import re
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

from dealerhub.connectors.credit.reasons import (
    BUREAU_CONTACT,
    INQUIRIES_CODE,
    MODEL_NAME,
    SCORE_RANGE,
)
from dealerhub.credit.models import CreditCheck
from dealerhub.crypto import mask_date, mask_last4, mask_ssn
from dealerhub.pagination import ListArgsSchema
from dealerhub.schemas import (
    Bool,
    Computed,
    Const,
    Int,
    Metadata,
    ObjectSchema,
    ResponseSchema,
    Str,
    StrictSchema,
    list_schema,
)

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


# What python-stdnum's us.ssn accepts (no area 000, 666 or 9xx, no group 00, no serial
# 0000), for the OpenAPI document.
SSN_PATTERN = (
    r"^(?:00[1-9]|0[1-9][0-9]|[1-5][0-9]{2}|6[0-5][0-9]|66[0-57-9]|6[7-9][0-9]|[78][0-9]{2})"
    r"-?(?:0[1-9]|[1-9][0-9])-?(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})$"
)


def _dob_pattern() -> str:
    """Dates of birth _adult accepts whatever the day (18 to 120 years ago: the years
    strictly inside that range, days 1-28), for the OpenAPI document."""
    year = dt.datetime.now(dt.UTC).year
    years = "|".join(str(y) for y in range(year - 119, year - 18))
    return rf"^(?:{years})-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])$"


_DOB_PATTERN = _dob_pattern()


class CreditCheckRequestSchema(StrictSchema):
    first_name = _text(required=True)
    middle_name = _text(allow_none=True)
    last_name = _text(required=True)
    suffix = _text(10, allow_none=True)
    date_of_birth = fields.Date(
        required=True,
        metadata={"description": "YYYY-MM-DD, 18+", "json_schema": {"pattern": _DOB_PATTERN}},
    )
    gender = fields.String(allow_none=True, validate=validate.OneOf(["Male", "Female", "Other"]))
    phone_numbers = fields.List(
        fields.String(validate=validate.Regexp(r"^\+?[\d\s().-]{7,20}$")),
        load_default=list,
        validate=validate.Length(max=5),
    )
    occupation = _text(allow_none=True)
    employer = _text(allow_none=True)
    driver_license_number = _text(30, allow_none=True)
    social_security_number = fields.String(
        required=True,
        metadata={"json_schema": {"pattern": SSN_PATTERN}, "description": "123-45-6789"},
    )
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


# -- the response: a masked view of the stored report -----------------------------------------


class _WithReport:
    """A credit check as its response reads it: the stored report (JSON) parsed once per
    dump rather than once per field; every other attribute is the check's own."""

    __slots__ = ("check", "report")

    def __init__(self, check: CreditCheck) -> None:
        self.check = check
        self.report: dict[str, Any] = json.loads(check.report) if check.report else {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.check, name)


def _consumer(check: _WithReport) -> dict[str, Any]:
    consumer = dict(check.report.get("consumer") or {})
    if consumer.get("date_of_birth"):
        consumer["date_of_birth"] = mask_date(consumer["date_of_birth"])
    return consumer


def _addresses(check: _WithReport) -> list[dict[str, Any]]:
    return list(check.report.get("addresses") or [])


def _mask_phone(phone: dict[str, Any]) -> dict[str, Any]:
    digits = re.sub(r"\D", "", str(phone.get("number", "")))
    return {**phone, "number": "***-***-" + digits[-4:] if len(digits) >= 4 else "********"}


def _phones(check: _WithReport) -> list[dict[str, Any]]:
    return [_mask_phone(p) for p in check.report.get("phones") or []]


def _ssn(check: _WithReport) -> str | None:
    ssn = check.report.get("social_security_number")
    return mask_ssn(ssn) if ssn else None


def _mask_trade(trade: dict[str, Any]) -> dict[str, Any]:
    number = trade.get("account_number")
    return {**trade, "account_number": mask_last4(number) if number else number}


def _trade(check: _WithReport) -> list[dict[str, Any]]:
    return [_mask_trade(t) for t in check.report.get("trade") or []]


def _risk_model(check: _WithReport) -> dict[str, Any] | None:
    risk: dict[str, Any] | None = check.report.get("risk_model")
    return risk


def adverse_action(check: _WithReport) -> dict[str, Any] | None:
    """What FCRA §615 / ECOA need for a notice: score, range, date, model, up to four key
    factors (five when inquiries is one of them), and the bureau's contact details."""
    risk = _risk_model(check)
    if check.status != "completed" or not risk:
        return None
    factors = list(risk.get("score_factor") or [])
    top = factors[:4]
    if INQUIRIES_CODE not in [f.get("code") for f in top] and any(
        f.get("code") == INQUIRIES_CODE for f in factors[4:5]
    ):
        top = factors[:5]
    pulled = dt.datetime.fromtimestamp(check.completed_at or check.created, dt.UTC)
    return {
        "score": risk.get("score"),
        "score_range": SCORE_RANGE,
        "score_date": pulled.strftime("%Y-%m-%d"),
        "model": MODEL_NAME,
        "model_indicator": risk.get("model_indicator"),
        "key_factors": top,
        "bureau": BUREAU_CONTACT,
        "pull_type": check.pull_type,
    }


class ScoreRangeSchema(ResponseSchema):
    min = Int()
    max = Int()


class KeyFactorSchema(ResponseSchema):
    code = Int(dump_default=None, allow_none=True, metadata={"description": "Reason code"})
    description = Str(dump_default=None, allow_none=True)


class BureauContactSchema(ResponseSchema):
    name = Str()
    address = Str()
    phone = Str()
    website = Str()


class AdverseActionSchema(ResponseSchema):
    score = Int(allow_none=True)
    score_range = fields.Nested(ScoreRangeSchema)
    score_date = Str(metadata={"description": "YYYY-MM-DD"})
    model = Str()
    model_indicator = Str(allow_none=True)
    key_factors = fields.List(fields.Nested(KeyFactorSchema))
    bureau = fields.Nested(BureauContactSchema)
    pull_type = Str()


class ConsentRecordSchema(ResponseSchema):
    obtained_at = Int(metadata={"description": "Unix seconds"})
    method = Str()
    text_version = Str()
    pull_type = Str()


class CreditCheckSchema(ObjectSchema):
    """The public credit_check object: no raw SSN, DOB, licence or account number."""

    object = Const("credit_check")
    status = Str(metadata={"description": "completed, no_hit, frozen or failed"})
    provider = Str()
    pull_type = Str()
    permissible_purpose = Str()
    forced = Bool()
    consumer = fields.Function(
        _consumer,
        metadata={"type": "object", "description": "first/middle/last name, masked DOB"},
    )
    addresses = fields.Function(_addresses, metadata={"type": "array", "items": {"type": "object"}})
    phones = fields.Function(
        _phones,
        metadata={"type": "array", "items": {"type": "object"}, "description": "masked"},
    )
    social_security_number = fields.Function(
        _ssn, metadata={"type": "string", "nullable": True, "description": "***-**-6789"}
    )
    trade = fields.Function(
        _trade,
        metadata={
            "type": "array",
            "items": {"type": "object"},
            "description": "1.1.74 tradelines, account numbers masked",
        },
    )
    risk_model = fields.Function(_risk_model, metadata={"type": "object", "nullable": True})
    adverse_action = Computed(AdverseActionSchema, adverse_action, allow_none=True)
    consent = fields.Nested(ConsentRecordSchema)
    failure_code = Str(allow_none=True)
    failure_message = Str(allow_none=True)
    raw_response_retained = fields.Function(
        lambda check: check.raw_response is not None, metadata={"type": "boolean"}
    )
    metadata = Metadata(attribute="metadata_")

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        many = self.many if many is None else bool(many)
        view = [_WithReport(check) for check in obj] if many else _WithReport(obj)
        return super().dump(view, many=many)


class CreditCheckEventSchema(ObjectSchema):
    """The event snapshot: status and score only, no identity at all."""

    object = Const("credit_check")
    status = Str()
    provider = Str()
    pull_type = Str()
    score = Int(allow_none=True)
    failure_code = Str(allow_none=True)


CreditCheckListSchema = list_schema(CreditCheckSchema)
CREDIT_CHECK = CreditCheckSchema()
CREDIT_CHECK_EVENT = CreditCheckEventSchema()


class CreditCheckListArgsSchema(ListArgsSchema):
    class Meta:
        unknown = RAISE

    status = fields.String(validate=validate.OneOf(["completed", "no_hit", "frozen", "failed"]))
