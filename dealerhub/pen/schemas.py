"""The ``/set-dealer`` contract: PEN's ``SetDealer`` fields as Hubex passes them through
(camelCase, ``penDealerId`` an integer) and the 1.1.18 response
``{dealer_id, success, error{dsi_log_id, description, error_code}}``."""

from __future__ import annotations

from typing import Any, ClassVar

import phonenumbers
from marshmallow import ValidationError, fields, validate, validates_schema

from dealerhub.connectors.pen.base import ACTIONS, TIME_ZONES
from dealerhub.schemas import Bool, Const, Int, ObjectSchema, ResponseSchema, Str, StrictSchema

# USPS codes of the states, DC and the territories PEN's dealers are in.
US_STATES = frozenset(
    # One string reads as the USPS list it is; 56 quoted codes would not.
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "  # noqa: SIM905
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP".split()
)
# What PEN needs to create or replace a dealer record; UNREGISTER needs only the id.
PROFILE_REQUIRED = (
    "dealershipName",
    "address1",
    "city",
    "state",
    "zipCode",
    "phone",
    "timeZone",
)


def _text(max_len: int, **kw: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_len), allow_none=True, **kw)


def _us_phone(value: str) -> str:
    """A valid US/NANP number, as its ten national digits (what PEN's forms print)."""
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        raise ValidationError("Not a phone number.") from None
    if number.country_code != 1 or not phonenumbers.is_valid_number(number):
        raise ValidationError("Not a valid US phone number.")
    return str(number.national_number)


class UsPhone(fields.String):
    """A US phone number, loaded as its ten national digits (``_deserialize`` is marshmallow's
    documented hook for a custom field's input)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return _us_phone(super()._deserialize(value, attr, data, **kwargs))


class SetDealerRequestSchema(StrictSchema):
    action = fields.String(
        required=True,
        validate=validate.OneOf(ACTIONS, error="Must be one of: {choices}."),
        metadata={"description": "REGISTER, UPDATE or UNREGISTER"},
    )
    pen_dealer_id = fields.Integer(
        data_key="penDealerId",
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=2_147_483_647),
        metadata={
            "description": "PEN Dealer ID Number. Set to zero (0) for Action REGISTER or set "
            "dealer id value for Action UPDATE and UNREGISTER"
        },
    )
    dealership_name = _text(100, data_key="dealershipName")
    address1 = _text(100)
    address2 = _text(100)
    city = _text(50)
    state = fields.String(
        allow_none=True,
        validate=validate.OneOf(sorted(US_STATES), error="Must be a US state code such as CA."),
        metadata={"description": "Two-letter USPS code, e.g. CA"},
    )
    zip_code = fields.String(
        data_key="zipCode",
        allow_none=True,
        validate=validate.Regexp(r"^\d{5}(-\d{4})?$", error="Must be 12345 or 12345-6789."),
    )
    phone = UsPhone(allow_none=True, metadata={"description": "US number; sent as 10 digits"})
    fax = UsPhone(allow_none=True, metadata={"description": "US number; sent as 10 digits"})
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    web_site = fields.Url(
        data_key="webSite",
        allow_none=True,
        schemes={"http", "https"},
        validate=validate.Length(max=200),
    )
    contact_name = _text(100, data_key="contactName")
    time_zone = fields.String(
        data_key="timeZone",
        allow_none=True,
        validate=validate.OneOf(TIME_ZONES, error="Must be one of: {choices}."),
    )
    observes_daylight_saving = fields.Boolean(
        data_key="observesDaylightSaving", allow_none=True, metadata={"description": "Default true"}
    )
    is_test_dealer = fields.Boolean(
        data_key="isTestDealer", allow_none=True, metadata={"description": "Default false"}
    )

    # _pen_rules for the OpenAPI document: penDealerId 0 exactly when registering; the
    # profile's fields present unless unregistering.
    json_schema: ClassVar[dict[str, Any]] = {
        "allOf": [
            {
                "anyOf": [
                    {
                        "properties": {
                            "action": {"enum": ["REGISTER"]},
                            "penDealerId": {"enum": [0]},
                        }
                    },
                    {
                        "properties": {
                            "action": {"enum": ["UPDATE", "UNREGISTER"]},
                            "penDealerId": {"not": {"enum": [0]}},
                        }
                    },
                ]
            },
            {
                "anyOf": [
                    {"properties": {"action": {"enum": ["UNREGISTER"]}}},
                    {
                        "required": list(PROFILE_REQUIRED),
                        "properties": {
                            key: {"not": {"enum": [None, ""]}} for key in PROFILE_REQUIRED
                        },
                    },
                ]
            },
        ]
    }

    @validates_schema
    def _pen_rules(self, data: dict[str, Any], **_kw: Any) -> None:
        action, pen_id = data.get("action"), data.get("pen_dealer_id")
        if action is None or pen_id is None:
            return  # already reported as missing
        if action == "REGISTER" and pen_id != 0:
            raise ValidationError(
                "Must be 0 for action REGISTER (PEN issues the id).", field_name="penDealerId"
            )
        if action != "REGISTER" and pen_id == 0:
            raise ValidationError(
                f"Must be the dealer's PEN id for action {action}.", field_name="penDealerId"
            )
        if action == "UNREGISTER":
            return
        names = {f.data_key or name: name for name, f in self.load_fields.items()}
        missing = {
            key: [f"Missing data for required field (action {action})."]
            for key in PROFILE_REQUIRED
            if data.get(names[key]) in (None, "")
        }
        if missing:
            raise ValidationError(missing)


class PenErrorSchema(ResponseSchema):
    dsi_log_id = Str(
        allow_none=True,
        metadata={"description": "PEN's log id for the call; null when dealerhub refused it"},
    )
    description = Str()
    error_code = Str()


class SetDealerResponseSchema(ResponseSchema):
    dealer_id = Str(metadata={"description": "The dealer's PEN id (what penDealerId takes)"})
    success = Str(metadata={"enum": ["Success", "Failed"]})
    error = fields.Nested(PenErrorSchema, allow_none=True)


class PenRegistrationSchema(ObjectSchema):
    """The dealer's PEN registration as /configuration shows it (no contact details)."""

    object = Const("pen_registration")
    pen_dealer_id = Int()
    status = Str(metadata={"description": "registered or unregistered"})
    last_action = Str(metadata={"description": "REGISTER, UPDATE or UNREGISTER"})
    last_change = Int(metadata={"description": "Unix seconds: when PEN confirmed last_action"})
    dealership_name = Str()
    is_test_dealer = Bool()


PEN_REGISTRATION = PenRegistrationSchema()
