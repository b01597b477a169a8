"""SetupIntents: verify and save a payment method for later, without charging it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dealerhub.connectors.processors.base import AttemptStatus, ProcessorResult
from dealerhub.customers.service import get_customer
from dealerhub.db import new_id
from dealerhub.errors import CardDeclined, InvalidRequest, NotFound
from dealerhub.events.service import record_event
from dealerhub.payments import attempts, methods
from dealerhub.payments.common import (
    PaymentsConfig,
    Processors,
    client_secret,
    merge_metadata,
    owned_with_secret,
    processors_for_payment,
    require_flow,
    secret_matches,
)
from dealerhub.payments.models import PaymentMethod, SetupIntent
from dealerhub.payments.response_schemas import PAYMENT_METHOD, SETUP_INTENT
from dealerhub.payments.states import SI_EVENTS, SI_TRANSITIONS, SIStatus, check, move
from dealerhub.tenancy import Tenant, get_owned

LABEL = "SetupIntent"


def _snapshot(si: SetupIntent) -> dict[str, Any]:
    out: dict[str, Any] = SETUP_INTENT.dump(si)
    out["client_secret"] = None
    return out


def _event(session: Session, tenant: Tenant, si: SetupIntent, type_: str) -> None:
    session.flush()
    record_event(session, tenant, type_, _snapshot(si))


def create_setup_intent(
    session: Session,
    tenant: Tenant,
    config: PaymentsConfig,
    data: dict[str, Any],
    *,
    processors: Processors,
) -> SetupIntent:
    if data.get("customer"):
        get_customer(session, tenant, data["customer"], param="customer")
    si_id = new_id("seti")
    si = SetupIntent(
        id=si_id,
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        status=SIStatus.REQUIRES_PAYMENT_METHOD,
        customer_id=data.get("customer"),
        payment_method_types=data.get("payment_method_types") or ["card"],
        usage=data.get("usage", "off_session"),
        description=data.get("description"),
        client_secret=client_secret(si_id),
        metadata_=merge_metadata({}, data.get("metadata")),
    )
    if data.get("payment_method"):
        pm = methods.resolve(session, tenant, config, data["payment_method"])
        methods.require_customer_pm(pm, si.customer_id)
        si.payment_method_id = pm.id
        si.status = SIStatus.REQUIRES_CONFIRMATION
    session.add(si)
    _event(session, tenant, si, "setup_intent.created")
    if data.get("confirm"):
        _confirm_locked(session, tenant, config, si, processors)
    return si


def get_setup_intent(session: Session, tenant: Tenant, si_id: str) -> SetupIntent:
    return get_owned(session, SetupIntent, si_id, tenant, name="setup_intent")


def get_with_secret(
    session: Session, tenant: Tenant, si_id: str, secret: str | None
) -> SetupIntent:
    return owned_with_secret(session, SetupIntent, si_id, tenant, secret, name="setup_intent")


def confirm_setup_intent(
    session: Session,
    tenant: Tenant,
    config: PaymentsConfig,
    si_id: str,
    data: dict[str, Any],
    *,
    processors: Processors,
    publishable: bool = False,
) -> SetupIntent:
    if publishable:
        get_with_secret(session, tenant, si_id, data.get("client_secret"))
    si = get_owned(session, SetupIntent, si_id, tenant, name="setup_intent", for_update=True)
    check(SI_TRANSITIONS, si, "confirm", label=LABEL)
    if data.get("payment_method"):
        pm = methods.resolve(session, tenant, config, data["payment_method"])
        methods.require_customer_pm(pm, si.customer_id)
        si.payment_method_id = pm.id
    _confirm_locked(session, tenant, config, si, processors)
    return si


def _confirm_locked(
    session: Session,
    tenant: Tenant,
    config: PaymentsConfig,
    si: SetupIntent,
    processors: Processors,
) -> None:
    if not si.payment_method_id:
        raise InvalidRequest(
            "You cannot confirm this SetupIntent because it's missing a payment method.",
            param="payment_method",
            code="setup_intent_unexpected_state",
        )
    pm = get_owned(session, PaymentMethod, si.payment_method_id, tenant)
    processor = processors_for_payment(processors, tenant, pm, currency="usd")[0]
    require_flow(processor, processor.capabilities.setup, "save a payment method", "payment_method")
    si.processor = processor.name
    result = attempts.setup(processor, methods.source_of(pm), attempt_id=si.id)
    si.processor_reference = result.reference
    if result.vault_token:
        # The gateway's reusable token replaces the one-time one the browser sent.
        pm.processor_token = result.vault_token
        pm.processor = processor.name
    _apply(session, tenant, config, si, pm, result, "confirm", raise_decline=True)


def _apply(
    session: Session,
    tenant: Tenant,
    config: PaymentsConfig,
    si: SetupIntent,
    pm: PaymentMethod,
    result: ProcessorResult,
    trigger: str,
    *,
    raise_decline: bool,
) -> None:
    if result.status == AttemptStatus.UNKNOWN:
        # A verification moves no money: one that got no answer is simply tried again.
        raise attempts.ProcessingError(
            "The processor did not answer the verification of this card; try again.",
            retryable=True,
        )
    si.last_setup_error = None
    si.next_action = None
    if result.status == AttemptStatus.REQUIRES_ACTION:
        move(SI_TRANSITIONS, si, trigger, SIStatus.REQUIRES_ACTION, label=LABEL)
        url = f"{config.public_url}/payment/sandbox/3ds/{si.id}?client_secret={si.client_secret}"
        si.next_action = {
            "type": "redirect_to_url",
            "redirect_to_url": {"url": url, "return_url": None},
        }
        _event(session, tenant, si, SI_EVENTS[SIStatus.REQUIRES_ACTION])
        return
    if result.status in (AttemptStatus.SUCCEEDED, AttemptStatus.AUTHORIZED):
        move(SI_TRANSITIONS, si, trigger, SIStatus.SUCCEEDED, label=LABEL)
        pm.set_up_off_session = si.usage == "off_session"
        if si.customer_id and pm.customer_id != si.customer_id:
            methods.attach(session, tenant, si.customer_id, pm.id)
        _event(session, tenant, si, SI_EVENTS[SIStatus.SUCCEEDED])
        return
    si.last_setup_error = {
        "type": "card_error",
        "code": result.failure_code or "card_declined",
        "decline_code": result.decline_code,
        "message": result.message or "Your card was declined.",
        "payment_method": PAYMENT_METHOD.dump(pm),
    }
    si.payment_method_id = None
    move(SI_TRANSITIONS, si, trigger, SIStatus.REQUIRES_PAYMENT_METHOD, label=LABEL)
    _event(session, tenant, si, SI_EVENTS[SIStatus.REQUIRES_PAYMENT_METHOD])
    if raise_decline:
        raise CardDeclined(
            si.last_setup_error["message"],
            code=si.last_setup_error["code"],
            decline_code=result.decline_code,
            setup_intent=SETUP_INTENT.dump(si),
        )


def authenticate(
    session: Session,
    config: PaymentsConfig,
    si_id: str,
    secret: str | None,
    success: bool,
    *,
    processors: Processors,
) -> SetupIntent:
    row = session.get(SetupIntent, si_id)
    if row is None or row.livemode or not secret_matches(row.client_secret, secret):
        raise NotFound(f"No such setup_intent: '{si_id}'")
    tenant = Tenant(row.dealer_id, row.livemode)
    si = get_owned(session, SetupIntent, si_id, tenant, for_update=True)
    check(SI_TRANSITIONS, si, "authenticate", label=LABEL)
    pm = get_owned(session, PaymentMethod, si.payment_method_id or "", tenant)
    result = attempts.complete_action(
        processors.named(tenant, si.processor),
        si.processor_reference or "",
        attempt_id=si.id,
        success=success,
        capture=False,
    )
    if result.status == AttemptStatus.DECLINED and success:
        result = ProcessorResult(AttemptStatus.SUCCEEDED, result.reference)  # no charge in setup
    _apply(session, tenant, config, si, pm, result, "authenticate", raise_decline=False)
    return si


def cancel_setup_intent(
    session: Session, tenant: Tenant, si_id: str, reason: str | None
) -> SetupIntent:
    si = get_owned(session, SetupIntent, si_id, tenant, name="setup_intent", for_update=True)
    move(SI_TRANSITIONS, si, "cancel", SIStatus.CANCELED, label=LABEL)
    si.cancellation_reason = reason
    si.next_action = None
    _event(session, tenant, si, SI_EVENTS[SIStatus.CANCELED])
    return si
