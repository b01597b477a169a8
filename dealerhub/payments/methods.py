"""Payment methods: create from a test card or a processor token, attach, detach, list.

Raw card numbers live only in this module's local variables: they are reduced to brand,
last4 and a keyed fingerprint before anything is stored, logged or returned."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col
from stdnum import luhn

from dealerhub.connectors.processors import sandbox
from dealerhub.connectors.processors.base import BankAccount, PaymentSource
from dealerhub.customers.service import get_customer
from dealerhub.db import new_id
from dealerhub.errors import CardDeclined, InvalidRequest, NotFound
from dealerhub.events.service import record_event
from dealerhub.payments.common import PaymentsConfig, Processors, merge_metadata
from dealerhub.payments.models import PaymentMethod
from dealerhub.payments.response_schemas import PAYMENT_METHOD
from dealerhub.tenancy import Tenant, get_owned, scoped

# Stripe's tok_* test tokens map onto the same cards as the pm_card_* ids.
_TEST_TOKENS = {
    "tok_" + pm.removeprefix("pm_card_"): number
    for pm, number in sandbox.TEST_PAYMENT_METHODS.items()
}


def _card_from_test_number(
    tenant: Tenant, config: PaymentsConfig, number: str, exp_month: int, exp_year: int
) -> tuple[dict[str, Any], str]:
    if not luhn.is_valid(number):
        raise CardDeclined(
            "Your card number is incorrect.", code="incorrect_number", param="card.number"
        )
    test_card = sandbox.CARDS_BY_NUMBER.get(number)
    if test_card is None:
        raise CardDeclined(
            "Your card was declined. Your request was in test mode, but used a non test card. "
            "For a list of valid test cards, see docs/sandbox.md.",
            decline_code="test_mode_live_card",
            param="card.number",
        )
    today = dt.datetime.now(dt.UTC).date()
    if (exp_year, exp_month) < (today.year, today.month):
        raise CardDeclined(
            "Your card's expiration year is invalid.",
            code="invalid_expiry_year",
            param="card.exp_year",
        )
    card = {
        "brand": test_card.brand,
        "last4": number[-4:],
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": config.fingerprint(tenant, number),
        "funding": test_card.funding,
        "country": test_card.country,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "pass",
            **dict(sandbox.BEHAVIOURS[test_card.behaviour].checks or {}),
        },
    }
    return card, sandbox.card_token(test_card)


def _token_issuer(processors: Processors, tenant: Tenant, named: str | None) -> str:
    """The gateway whose tokenizer issued a card token: the one the request names (which
    must be configured for this dealer and mode), else the one routing picks for cards."""
    if named:
        return processors.named(tenant, named).name
    return processors.route(tenant, method_type="card", currency="usd", on_behalf_of=None)[0].name


def tokenizer(processors: Processors, tenant: Tenant) -> dict[str, Any]:
    """Which tokenizer a browser loads for a new card, and with which public key."""
    gateway = processors.route(tenant, method_type="card", currency="usd", on_behalf_of=None)[0]
    info = gateway.tokenizer()
    return {
        "object": "tokenizer",
        "livemode": tenant.livemode,
        "type": "card",
        "processor": gateway.name,
        "script_url": info.script_url if info else None,
        "public_key": info.public_key if info else None,
    }


def check_publishable(tenant: Tenant, data: dict[str, Any]) -> None:
    """What a publishable key (a browser) may create: an unattached card, and in live mode
    only from a gateway tokenizer's token (the card number went to the gateway, not here)."""
    if data["type"] != "card":
        raise InvalidRequest(
            "A publishable key can only create card payment methods.", param="type"
        )
    if data.get("customer"):
        raise InvalidRequest(
            "A publishable key cannot attach a payment method to a customer; attach it from "
            "your server with the secret key.",
            param="customer",
        )
    if tenant.livemode and (data.get("card") or {}).get("number"):
        raise InvalidRequest(
            "Live card numbers never go to the hub: send card.token from the gateway's "
            "tokenizer (GET /payment/payment-methods/tokenizer names it).",
            param="card.number",
        )


def create_payment_method(
    session: Session,
    tenant: Tenant,
    config: PaymentsConfig,
    data: dict[str, Any],
    *,
    processors: Processors,
) -> PaymentMethod:
    """``data`` is the validated request: ``type``, ``card`` (number… or token),
    ``billing_details``, ``metadata``, optional ``customer`` and ``processor``."""
    if data["type"] == "us_bank_account":
        return create_bank_account_method(session, tenant, data)
    card_in = dict(data.get("card") or {})
    token = card_in.get("token")
    issuer = sandbox.VENDOR
    if token:
        number = _TEST_TOKENS.get(token) if not tenant.livemode else None
        if number is None and not token.startswith("tok_sandbox_"):
            issuer = _token_issuer(processors, tenant, data.get("processor"))
        if number is not None:
            today = dt.datetime.now(dt.UTC).date()
            card, proc_token = _card_from_test_number(tenant, config, number, 12, today.year + 3)
        elif issuer == sandbox.VENDOR and not token.startswith("tok_sandbox_"):
            raise InvalidRequest(f"No such token: '{token}'", param="card.token")
        else:
            # A token a processor issued (live) or a sandbox token: details come from it later.
            card = {
                "brand": "unknown",
                "last4": None,
                "exp_month": None,
                "exp_year": None,
                "fingerprint": None,
                "funding": "unknown",
                "country": None,
            }
            proc_token = token
    else:
        if tenant.livemode:
            raise InvalidRequest(
                "Raw card numbers are accepted only in test mode. In live mode, tokenize the "
                "card with the processor's hosted fields and send card.token.",
                param="card.number",
            )
        number = "".join(ch for ch in str(card_in["number"]) if ch.isdigit())
        card, proc_token = _card_from_test_number(
            tenant, config, number, int(card_in["exp_month"]), int(card_in["exp_year"])
        )
        del number  # the PAN goes no further than this function
    pm = PaymentMethod(
        id=new_id("pm"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        type="card",
        billing_details=data.get("billing_details") or {},
        card=card,
        processor_token=proc_token,
        processor=issuer,
        metadata_=merge_metadata({}, data.get("metadata")),
    )
    session.add(pm)
    if data.get("customer"):
        get_customer(session, tenant, data["customer"], param="customer")
        pm.customer_id = data["customer"]
    session.flush()
    if pm.customer_id:
        record_event(session, tenant, "payment_method.attached", PAYMENT_METHOD.dump(pm))
    return pm


def create_bank_payment_method(
    session: Session,
    tenant: Tenant,
    *,
    account_id: str,
    processor_token: str,
    mask: str,
    account_type: str,
    billing_details: dict[str, Any] | None = None,
) -> PaymentMethod:
    pm = PaymentMethod(
        id=new_id("pm"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        type="us_bank_account",
        billing_details=billing_details or {},
        us_bank_account={
            "bank_name": sandbox.SANDBOX_BANK_NAME,
            "last4": mask,
            "routing_number": sandbox.SANDBOX_ROUTING_NUMBER,
            "account_type": account_type,
            "account_holder_type": "individual",
        },
        processor_token=processor_token,
        processor=sandbox.VENDOR,  # the sandbox Link's accounts; routing picks at confirm
    )
    session.add(pm)
    session.flush()
    return pm


def resolve(
    session: Session,
    tenant: Tenant,
    config: PaymentsConfig,
    pm_id: str,
    *,
    param: str = "payment_method",
) -> PaymentMethod:
    """A stored payment method, or (test mode) a fresh one for a ``pm_card_*`` id."""
    number = sandbox.TEST_PAYMENT_METHODS.get(pm_id)
    if number is not None and not tenant.livemode:
        today = dt.datetime.now(dt.UTC).date()
        card, token = _card_from_test_number(tenant, config, number, 12, today.year + 3)
        pm = PaymentMethod(
            id=new_id("pm"),
            dealer_id=tenant.dealer_id,
            livemode=False,
            type="card",
            card=card,
            processor_token=token,
            processor=sandbox.VENDOR,
        )
        session.add(pm)
        return pm
    return get_owned(session, PaymentMethod, pm_id, tenant, name="payment_method", param=param)


# A bank account whose numbers the hub holds (no gateway tokenizes bank accounts in the
# browser): its "token" is the numbers themselves, in the encrypted processor_token column.
BANK_NUMBERS = "ach:"


def create_bank_account_method(
    session: Session, tenant: Tenant, data: dict[str, Any]
) -> PaymentMethod:
    """A ``us_bank_account`` payment method from routing and account numbers."""
    bank = data["us_bank_account"]
    numbers = {k: bank[k] for k in ("routing_number", "account_number")}
    pm = PaymentMethod(
        id=new_id("pm"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        type="us_bank_account",
        billing_details=data.get("billing_details") or {},
        us_bank_account={
            "bank_name": None,
            "last4": bank["account_number"][-4:],
            "routing_number": bank["routing_number"],
            "account_type": bank["account_type"],
            "account_holder_type": bank["account_holder_type"],
        },
        processor_token=BANK_NUMBERS + json.dumps(numbers),
        processor=None,  # routing picks the gateway at each confirm
        metadata_=merge_metadata({}, data.get("metadata")),
    )
    session.add(pm)
    if data.get("customer"):
        get_customer(session, tenant, data["customer"], param="customer")
        pm.customer_id = data["customer"]
    session.flush()
    if pm.customer_id:
        record_event(session, tenant, "payment_method.attached", PAYMENT_METHOD.dump(pm))
    return pm


def _bank_of(pm: PaymentMethod) -> BankAccount | None:
    if pm.type != "us_bank_account" or not pm.processor_token.startswith(BANK_NUMBERS):
        return None
    numbers = json.loads(pm.processor_token[len(BANK_NUMBERS) :])
    details = pm.us_bank_account or {}
    return BankAccount(
        routing_number=numbers["routing_number"],
        account_number=numbers["account_number"],
        account_type=details.get("account_type", "checking"),
        holder_name=str(pm.billing_details.get("name") or ""),
        holder_type=details.get("account_holder_type", "individual"),
    )


def source_of(pm: PaymentMethod) -> PaymentSource:
    details = pm.card or pm.us_bank_account or {}
    bank = _bank_of(pm)
    return PaymentSource(
        type=pm.type,
        token="" if bank else pm.processor_token,
        bank=bank,
        brand=details.get("brand"),
        last4=details.get("last4"),
        customer_ref=pm.customer_id,
    )


def get_payment_method(session: Session, tenant: Tenant, pm_id: str) -> PaymentMethod:
    return get_owned(session, PaymentMethod, pm_id, tenant, name="payment_method")


def attach(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    pm_id: str,
    *,
    billing_details: dict[str, Any] | None = None,
    metadata: dict[str, str] | None = None,
) -> PaymentMethod:
    """Attach to ``customer_id`` (if not yet) and/or update billing details and metadata."""
    customer = get_customer(session, tenant, customer_id, param="customer_id")
    pm = get_owned(session, PaymentMethod, pm_id, tenant, name="payment_method", for_update=True)
    if pm.customer_id and pm.customer_id != customer.id:
        raise InvalidRequest(
            f"The payment method {pm.id} is attached to another customer; detach it first.",
            param="payment_method_id",
            code="payment_method_unexpected_state",
        )
    newly_attached = pm.customer_id is None
    previous: dict[str, Any] = {}
    if billing_details is not None:
        previous["billing_details"] = PAYMENT_METHOD.dump(pm)["billing_details"]
        merged = dict(pm.billing_details or {})
        merged.update(billing_details)
        pm.billing_details = merged
    if metadata is not None:
        previous["metadata"] = dict(pm.metadata_)
        pm.metadata_ = merge_metadata(pm.metadata_, metadata)
    pm.customer_id = customer.id
    session.flush()
    if newly_attached:
        record_event(session, tenant, "payment_method.attached", PAYMENT_METHOD.dump(pm))
    elif previous:
        record_event(
            session,
            tenant,
            "payment_method.updated",
            PAYMENT_METHOD.dump(pm),
            previous_attributes=previous,
        )
    return pm


def detach(session: Session, tenant: Tenant, pm_id: str) -> PaymentMethod:
    pm = get_owned(session, PaymentMethod, pm_id, tenant, name="payment_method", for_update=True)
    if pm.customer_id is None:
        raise InvalidRequest(
            f"The payment method {pm.id} is not attached to a customer.",
            param="payment_method_id",
            code="payment_method_unexpected_state",
        )
    previous = pm.customer_id
    pm.customer_id = None
    session.flush()
    record_event(
        session,
        tenant,
        "payment_method.detached",
        PAYMENT_METHOD.dump(pm),
        previous_attributes={"customer": previous},
    )
    return pm


def detach_all(session: Session, tenant: Tenant, customer_id: str) -> int:
    """Detach every payment method of a customer (used when the customer is deleted)."""
    stmt = scoped(PaymentMethod, tenant).where(col(PaymentMethod.customer_id) == customer_id)
    count = 0
    for pm in session.scalars(stmt.with_for_update()):
        pm.customer_id = None
        record_event(
            session,
            tenant,
            "payment_method.detached",
            PAYMENT_METHOD.dump(pm),
            previous_attributes={"customer": customer_id},
        )
        count += 1
    return count


def list_stmt(session: Session, tenant: Tenant, customer_id: str, type_: str | None) -> Any:
    get_customer(session, tenant, customer_id)
    stmt = scoped(PaymentMethod, tenant).where(col(PaymentMethod.customer_id) == customer_id)
    if type_:
        stmt = stmt.where(col(PaymentMethod.type) == type_)
    return stmt


def require_customer_pm(pm: PaymentMethod, customer_id: str | None) -> None:
    """A payment method attached to one customer cannot pay for another."""
    if pm.customer_id and customer_id and pm.customer_id != customer_id:
        raise NotFound(
            f"No such payment method for customer {customer_id}: '{pm.id}'",
            param="payment_method",
        )
