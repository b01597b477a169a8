"""The ``address_verification`` object of ``GET /api/verify-address/{address}``."""

from __future__ import annotations

from marshmallow import fields

from dealerhub.schemas import Bool, Const, ResponseSchema, Str, StrictSchema, StrList


class NoQueryArgsSchema(StrictSchema):
    """The endpoint takes no query parameters: any is a 400 naming it."""


class VerifiedAddressSchema(ResponseSchema):
    """An address in USPS Publication 28 form (upper case, standard abbreviations)."""

    line1 = Str(metadata={"description": "Street line (or PO BOX n)"})
    line2 = Str(allow_none=True, metadata={"description": "Unit: APT 4, STE 200, # 3B"})
    city = Str(allow_none=True)
    state = Str(allow_none=True, metadata={"description": "Two-letter USPS code"})
    postal_code = Str(allow_none=True, metadata={"description": "5-digit ZIP code"})
    zip4 = Str(allow_none=True, metadata={"description": "ZIP+4 add-on"})
    country = Str(metadata={"description": "Always US"})


def _part(description: str) -> Str:
    return Str(allow_none=True, metadata={"description": description})


def _flag(description: str) -> Bool:
    return Bool(allow_none=True, metadata={"description": description})


class AddressComponentsSchema(ResponseSchema):
    """The standardised address split into parts, and what the provider knows about it.
    Every key is present; null when unknown (the sandbox has no delivery-point data)."""

    primary_number = _part("House or building number")
    street_predirection = _part("N, S, E, W, NE, …")
    street_pretype = _part("A type before the name (AVENUE in AVENUE B)")
    street_name = _part("")
    street_suffix = _part("ST, AVE, BLVD, … (Publication 28 abbreviation)")
    street_postdirection = _part("NW, SE, …")
    secondary_designator = _part("APT, STE, UNIT, # …")
    secondary_number = _part("")
    po_box_designator = _part("PO BOX")
    po_box_number = _part("")
    city = _part("")
    state = _part("")
    zip5 = _part("")
    zip4 = _part("")
    county = _part("County of the ZIP code (sandbox)")
    zip_type = _part("STANDARD, PO BOX, UNIQUE or MILITARY (sandbox)")
    dpv_confirmation = _part("USPS DPV: Y confirmed, D unit missing, S unit unconfirmed, N not")
    dpv_cmra = _flag("A commercial mail receiving agency (USPS)")
    business = _flag("A business address (USPS)")
    vacant = _flag("Vacant for 90 days or more (USPS)")
    central_delivery_point = _flag("Central delivery point (USPS)")
    carrier_route = _part("USPS carrier route")
    delivery_point = _part("USPS delivery point (2 digits)")
    firm = _part("Business name at the address (USPS)")
    corrections = StrList(allow_none=True, metadata={"description": "USPS corrections made"})


class AddressVerificationSchema(ResponseSchema):
    object = Const("address_verification")
    input = Str(metadata={"description": "The address as it was sent (URL-decoded)"})
    verified = Bool(
        metadata={
            "description": "Sandbox: parsed, and the ZIP code exists and matches the state and "
            "city. USPS: delivery point confirmed (DPV Y)."
        }
    )
    address = fields.Nested(
        VerifiedAddressSchema,
        allow_none=True,
        metadata={"description": "The standardised address; null when the input did not parse"},
    )
    components = fields.Nested(AddressComponentsSchema)
    candidates = fields.List(
        fields.Nested(VerifiedAddressSchema),
        metadata={"description": "Corrections to consider when the address is not verified"},
    )
    error_message = Str(allow_none=True, metadata={"description": "Why it is not verified"})


ADDRESS_VERIFICATION = AddressVerificationSchema()
