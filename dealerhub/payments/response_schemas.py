"""The payment objects: one schema per object, dumped from the models for API responses and
event snapshots alike. Nothing here holds a PAN, CVC or processor token; client secrets
appear only in intent objects, as in Stripe (event snapshots blank them).

Schemas are instantiated once below (``PAYMENT_INTENT``, ``CHARGE``, ...): services use those
instances for snapshots, routes name the classes in ``@blp.response``.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields
from sqlalchemy.orm import object_session

from dealerhub.customers.schemas import ShippingDetailsSchema
from dealerhub.payments.charges import charges_of
from dealerhub.payments.common import currently_due
from dealerhub.payments.models import Charge, ConnectedAccount, PaymentIntent
from dealerhub.schemas import (
    Bool,
    Computed,
    Const,
    Currency,
    Int,
    Metadata,
    Money,
    NestedOrEmpty,
    Obj,
    ObjectSchema,
    ResponseSchema,
    Str,
    StrList,
    StrMap,
    list_schema,
)


def _snapshot_of(name: str) -> dict[str, Any]:
    """A stored snapshot of another object, documented as that object."""
    return {
        "type": "object",
        "nullable": True,
        "allOf": [{"$ref": f"#/components/schemas/{name}"}],
        "description": f"The {name} as it was at the time.",
    }


# -- payment methods -------------------------------------------------------------------------


class BillingAddressSchema(ResponseSchema):
    line1 = Str(dump_default=None, allow_none=True)
    line2 = Str(dump_default=None, allow_none=True)
    city = Str(dump_default=None, allow_none=True)
    state = Str(dump_default=None, allow_none=True)
    postal_code = Str(dump_default=None, allow_none=True)
    country = Str(dump_default=None, allow_none=True)


class PaymentMethodBillingSchema(ResponseSchema):
    """Always every key (null when unknown), as in Stripe."""

    address = NestedOrEmpty(BillingAddressSchema)
    email = Str(dump_default=None, allow_none=True)
    name = Str(dump_default=None, allow_none=True)
    phone = Str(dump_default=None, allow_none=True)


class CardChecksSchema(ResponseSchema):
    address_line1_check = Str(allow_none=True)
    address_postal_code_check = Str(allow_none=True)
    cvc_check = Str(allow_none=True)


class CardSchema(ResponseSchema):
    brand = Str()
    last4 = Str(allow_none=True)
    exp_month = Int(allow_none=True)
    exp_year = Int(allow_none=True)
    fingerprint = Str(allow_none=True)
    funding = Str()
    country = Str(allow_none=True)
    checks = fields.Nested(CardChecksSchema)


class UsBankAccountSchema(ResponseSchema):
    bank_name = Str(allow_none=True)
    last4 = Str()
    routing_number = Str()
    account_type = Str(metadata={"description": "checking or savings"})
    account_holder_type = Str()


class PaymentMethodSchema(ObjectSchema):
    object = Const("payment_method")
    type = Str(metadata={"description": "card or us_bank_account"})
    customer = Str(attribute="customer_id", allow_none=True)
    billing_details = NestedOrEmpty(PaymentMethodBillingSchema)
    card = fields.Nested(CardSchema, allow_none=True)
    us_bank_account = fields.Nested(UsBankAccountSchema, allow_none=True)
    metadata = Metadata(attribute="metadata_")


# -- charges ---------------------------------------------------------------------------------


class OutcomeSchema(ResponseSchema):
    network_status = Str(allow_none=True)
    reason = Str(allow_none=True)
    risk_level = Str(allow_none=True)
    type = Str(metadata={"description": "authorized, issuer_declined, blocked, pending or unknown"})
    seller_message = Str(allow_none=True)
    checks = StrMap()


def _paid(ch: Charge) -> bool:
    return ch.status == "succeeded"


def _refunded(ch: Charge) -> bool:
    return ch.amount_captured > 0 and ch.amount_refunded == ch.amount_captured


class ChargeSchema(ObjectSchema):
    object = Const("charge")
    amount = Money()
    amount_captured = Money()
    amount_refunded = Money()
    currency = Currency()
    captured = Bool()
    paid = fields.Function(_paid, metadata={"type": "boolean"})
    refunded = fields.Function(_refunded, metadata={"type": "boolean"})
    status = Str(metadata={"description": "pending, succeeded or failed"})
    payment_intent = Str(attribute="payment_intent_id")
    payment_method = Str(attribute="payment_method_id", allow_none=True)
    failure_code = Str(allow_none=True)
    failure_message = Str(allow_none=True)
    outcome = fields.Nested(OutcomeSchema, allow_none=True)


ChargeListSchema = list_schema(ChargeSchema)


# -- payment intents -------------------------------------------------------------------------


class RedirectToUrlSchema(ResponseSchema):
    url = Str()
    return_url = Str(allow_none=True)


class NextActionSchema(ResponseSchema):
    type = Str(metadata={"description": "redirect_to_url"})
    redirect_to_url = fields.Nested(RedirectToUrlSchema)


class PaymentErrorSchema(ResponseSchema):
    type = Str()
    code = Str(allow_none=True)
    decline_code = Str(allow_none=True)
    message = Str(allow_none=True)
    charge = Str(allow_none=True)
    payment_method = Obj(allow_none=True, metadata=_snapshot_of("PaymentMethod"))


class CardOptionsSchema(ResponseSchema):
    request_three_d_secure = Str()


class PaymentMethodOptionsSchema(ResponseSchema):
    card = fields.Nested(CardOptionsSchema)


def _charges(pi: PaymentIntent) -> dict[str, Any]:
    """The intent's charges list (newest first), from the session's per-request cache."""
    session = object_session(pi)
    return {
        "data": charges_of(session, pi) if session is not None else [],
        "has_more": False,
        "url": f"/payment/charges?payment_intent={pi.id}",
    }


def _payment_method_options(_pi: PaymentIntent) -> dict[str, Any]:
    return {"card": {"request_three_d_secure": "automatic"}}


class PaymentIntentSchema(ObjectSchema):
    object = Const("payment_intent")
    amount = Money()
    amount_capturable = Money()
    amount_received = Money()
    application = Const(None)
    canceled_at = Int(allow_none=True)
    cancellation_reason = Str(allow_none=True)
    capture_method = Str(metadata={"description": "automatic or manual"})
    charges = Computed(ChargeListSchema, _charges)
    client_secret = Str(
        allow_none=True, metadata={"description": "null in event snapshots (events leave us)"}
    )
    confirmation_method = Const("automatic")
    currency = Currency()
    customer = Str(attribute="customer_id", allow_none=True)
    description = Str(allow_none=True)
    invoice = Const(None)
    last_payment_error = fields.Nested(PaymentErrorSchema, allow_none=True)
    latest_charge = Str(attribute="latest_charge_id", allow_none=True)
    metadata = Metadata(attribute="metadata_")
    next_action = fields.Nested(NextActionSchema, allow_none=True)
    on_behalf_of = Str(allow_none=True)
    payment_method = Str(attribute="payment_method_id", allow_none=True)
    payment_method_options = Computed(PaymentMethodOptionsSchema, _payment_method_options)
    payment_method_types = StrList()
    receipt_email = Str(allow_none=True)
    review = Const(None)
    setup_future_usage = Str(allow_none=True)
    shipping = fields.Nested(ShippingDetailsSchema, allow_none=True)
    status = Str()


# -- refunds, setup intents ------------------------------------------------------------------


class RefundSchema(ObjectSchema):
    object = Const("refund")
    amount = Money()
    charge = Str(attribute="charge_id")
    currency = Currency()
    payment_intent = Str(attribute="payment_intent_id")
    reason = Str(allow_none=True)
    status = Str(metadata={"description": "pending, succeeded, failed or canceled"})
    failure_reason = Str(allow_none=True)
    metadata = Metadata(attribute="metadata_")


class SetupErrorSchema(ResponseSchema):
    type = Str()
    code = Str(allow_none=True)
    decline_code = Str(allow_none=True)
    message = Str(allow_none=True)
    payment_method = Obj(allow_none=True, metadata=_snapshot_of("PaymentMethod"))


class SetupIntentSchema(ObjectSchema):
    object = Const("setup_intent")
    cancellation_reason = Str(allow_none=True)
    client_secret = Str(allow_none=True)
    customer = Str(attribute="customer_id", allow_none=True)
    description = Str(allow_none=True)
    last_setup_error = fields.Nested(SetupErrorSchema, allow_none=True)
    metadata = Metadata(attribute="metadata_")
    next_action = fields.Nested(NextActionSchema, allow_none=True)
    payment_method = Str(attribute="payment_method_id", allow_none=True)
    payment_method_types = StrList()
    status = Str()
    usage = Str()


# -- connected accounts, bank-account linking ------------------------------------------------


class RequirementsSchema(ResponseSchema):
    currently_due = fields.List(fields.String())
    disabled_reason = Str(allow_none=True)


class BankAccountSchema(ResponseSchema):
    id = Str()
    object = Const("bank_account")
    bank_name = Str(allow_none=True)
    routing_number = Str()
    last4 = Str()
    currency = Currency()


BankAccountListSchema = list_schema(BankAccountSchema)


def _currently_due(acct: ConnectedAccount) -> list[str]:
    return currently_due(acct)


def _details_submitted(acct: ConnectedAccount) -> bool:
    return not _currently_due(acct)


def _payouts_enabled(acct: ConnectedAccount) -> bool:
    return _details_submitted(acct) and acct.external_account is not None


def _requirements(acct: ConnectedAccount) -> dict[str, Any]:
    due = _currently_due(acct)
    return {
        "currently_due": due,
        "disabled_reason": "requirements.past_due" if due else None,
    }


def _external_accounts(acct: ConnectedAccount) -> dict[str, Any]:
    return {
        "data": [acct.external_account] if acct.external_account else [],
        "has_more": False,
        "url": f"/payment/accounts/{acct.id}/external_accounts",
    }


class AccountSchema(ObjectSchema):
    object = Const("account")
    type = Str(metadata={"description": "custom, express or standard"})
    country = Str()
    default_currency = Currency()
    email = Str(allow_none=True)
    business_profile = Obj()
    company = Obj()
    charges_enabled = fields.Function(_details_submitted, metadata={"type": "boolean"})
    payouts_enabled = fields.Function(_payouts_enabled, metadata={"type": "boolean"})
    details_submitted = fields.Function(_details_submitted, metadata={"type": "boolean"})
    requirements = Computed(RequirementsSchema, _requirements)
    external_accounts = Computed(BankAccountListSchema, _external_accounts)
    metadata = Metadata(attribute="metadata_")


class LinkTokenSchema(ResponseSchema):
    link_token = Str()
    expiration = Str(metadata={"description": "ISO 8601, UTC"})


class LinkedAccountSchema(ResponseSchema):
    account_id = Str()
    mask = Str()
    subtype = Str()
    type = Str()


class PublicTokenSchema(ResponseSchema):
    public_token = Str()
    accounts = fields.List(fields.Nested(LinkedAccountSchema))


PaymentMethodListSchema = list_schema(PaymentMethodSchema)
PaymentIntentListSchema = list_schema(PaymentIntentSchema)
RefundListSchema = list_schema(RefundSchema)

PAYMENT_METHOD = PaymentMethodSchema()
CHARGE = ChargeSchema()
PAYMENT_INTENT = PaymentIntentSchema()
REFUND = RefundSchema()
SETUP_INTENT = SetupIntentSchema()
ACCOUNT = AccountSchema()


class TokenizerSchema(ResponseSchema):
    object = Const("tokenizer")
    livemode = Bool()
    type = Str()
    processor = Str(metadata={"description": "Send it back as `processor` with the token"})
    script_url = Str(allow_none=True, metadata={"description": "null: send test cards as they are"})
    public_key = Str(allow_none=True)
