"""PaymentIntents: create, update, confirm, 3-D Secure completion, capture, cancel, settle.

Every money-moving operation locks the intent row first (``SELECT … FOR UPDATE``; SQLite
write transactions are ``BEGIN IMMEDIATE``), re-checks the status table and the amounts,
and only then calls the processor (through ``attempts``), so two concurrent requests can
never both move money. The processor comes in as ``processors`` (``Registry.processor``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from dealerhub.connectors.processors.base import AttemptStatus, AuthorizeRequest, ProcessorResult
from dealerhub.customers.service import get_customer
from dealerhub.db import new_id, now
from dealerhub.errors import CardDeclined, InvalidRequest, NotFound
from dealerhub.events.service import record_event
from dealerhub.payments import attempts, jobs, methods
from dealerhub.payments.accounts import require_payable_account
from dealerhub.payments.charges import add_charge, charges_of, no_charges_yet
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
from dealerhub.payments.models import Charge, PaymentIntent, PaymentMethod
from dealerhub.payments.response_schemas import CHARGE, PAYMENT_INTENT, PAYMENT_METHOD
from dealerhub.payments.states import PI_EVENTS, PI_TRANSITIONS, PIStatus, check, move
from dealerhub.rows import insert_at_commit
from dealerhub.tasks import enqueue_after_commit
from dealerhub.tenancy import Tenant, get_owned, scoped

# Longer than any gateway call may take (connect + read timeouts, one retry).
IN_FLIGHT_SECONDS = 180
LABEL = "PaymentIntent"


def charges_stmt(tenant: Tenant, payment_intent: str | None) -> Any:
    """The tenant's charges (attempts), optionally of one intent, for ``GET /payment/charges``."""
    stmt = scoped(Charge, tenant)
    if payment_intent:
        stmt = stmt.where(col(Charge.payment_intent_id) == payment_intent)
    return stmt


def get_charge(session: Session, tenant: Tenant, charge_id: str) -> Charge:
    return get_owned(session, Charge, charge_id, tenant, name="charge")


def _snapshot(session: Session, pi: PaymentIntent) -> dict[str, Any]:
    """Event snapshots leave the client secret out: events travel to webhook endpoints."""
    out: dict[str, Any] = PAYMENT_INTENT.dump(pi)
    out["client_secret"] = None
    return out


def _event(session: Session, tenant: Tenant, pi: PaymentIntent, type_: str, **kw: Any) -> None:
    record_event(session, tenant, type_, _snapshot(session, pi), **kw)


def _enqueue_settle(session: Session, pi: PaymentIntent, config: PaymentsConfig) -> None:
    enqueue_after_commit(session, jobs.SETTLE_PAYMENT, pi.id, countdown=config.ach_settle_seconds)


def create_intent(
    session: Session,
    tenant: Tenant,
    config: PaymentsConfig,
    data: dict[str, Any],
    *,
    processors: Processors,
) -> PaymentIntent:
    """Create (and with ``confirm=true`` confirm) an intent. A decline raises CardDeclined
    after the intent and its failed charge are recorded (they are committed)."""
    customer_id = data.get("customer")
    if customer_id:
        get_customer(session, tenant, customer_id, param="customer")
    if data.get("on_behalf_of"):
        require_payable_account(session, tenant, data["on_behalf_of"])
    pi_id = new_id("pi")
    pi = PaymentIntent(
        id=pi_id,
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        amount=data["amount"],
        currency=data["currency"],
        status=PIStatus.REQUIRES_PAYMENT_METHOD,
        customer_id=customer_id,
        payment_method_types=data.get("payment_method_types") or ["card"],
        capture_method=data.get("capture_method", "automatic"),
        setup_future_usage=data.get("setup_future_usage"),
        on_behalf_of=data.get("on_behalf_of"),
        description=data.get("description"),
        receipt_email=data.get("receipt_email"),
        shipping=data.get("shipping"),
        client_secret=client_secret(pi_id),
        metadata_=merge_metadata({}, data.get("metadata")),
    )
    pm = None
    if data.get("payment_method"):
        pm = methods.resolve(session, tenant, config, data["payment_method"])
        _use_payment_method(pi, pm)
    session.add(pi)
    no_charges_yet(session, pi)
    _event(session, tenant, pi, "payment_intent.created")
    if data.get("confirm"):
        if pm is None:
            raise InvalidRequest(
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                param="payment_method",
                code="payment_intent_unexpected_state",
            )
        _confirm_locked(
            session, tenant, config, pi, pm, processors, off_session=data.get("off_session")
        )
    # The request's hot path: its new rows by prebuilt INSERTs rather than the unit of work,
    # at commit, so that SQLite's write lock is not held while the response is rendered.
    insert_at_commit(session, *([pm] if pm else []), pi, *charges_of(session, pi))
    return pi


def _use_payment_method(pi: PaymentIntent, pm: PaymentMethod) -> None:
    if pm.type not in pi.payment_method_types:
        raise InvalidRequest(
            f"The payment method type {pm.type} is not in this PaymentIntent's "
            f"payment_method_types ({', '.join(pi.payment_method_types)}).",
            param="payment_method",
        )
    methods.require_customer_pm(pm, pi.customer_id)
    pi.payment_method_id = pm.id
    pi.status = PIStatus.REQUIRES_CONFIRMATION


def get_intent(session: Session, tenant: Tenant, pi_id: str) -> PaymentIntent:
    return get_owned(session, PaymentIntent, pi_id, tenant, name="payment_intent")


def get_with_secret(
    session: Session, tenant: Tenant, pi_id: str, secret: str | None, *, for_update: bool = False
) -> PaymentIntent:
    return owned_with_secret(
        session, PaymentIntent, pi_id, tenant, secret, name="payment_intent", for_update=for_update
    )


def update_intent(
    session: Session, tenant: Tenant, config: PaymentsConfig, pi_id: str, data: dict[str, Any]
) -> PaymentIntent:
    pi = get_owned(session, PaymentIntent, pi_id, tenant, name="payment_intent", for_update=True)
    check(PI_TRANSITIONS, pi, "update", label=LABEL)
    before = _snapshot(session, pi)
    if data.get("customer"):
        get_customer(session, tenant, data["customer"], param="customer")
    if data.get("on_behalf_of"):
        require_payable_account(session, tenant, data["on_behalf_of"])
    for field in (
        "amount",
        "currency",
        "description",
        "receipt_email",
        "shipping",
        "setup_future_usage",
        "capture_method",
        "payment_method_types",
        "on_behalf_of",
    ):
        if field in data:
            setattr(pi, field, data[field])
    if "customer" in data:
        pi.customer_id = data["customer"]
    if "metadata" in data:
        pi.metadata_ = merge_metadata(pi.metadata_, data["metadata"])
    if data.get("payment_method"):
        _use_payment_method(pi, methods.resolve(session, tenant, config, data["payment_method"]))
    elif pi.status == PIStatus.REQUIRES_ACTION:
        pi.status = PIStatus.REQUIRES_CONFIRMATION  # updating abandons the pending action
    pi.next_action = None if pi.status != PIStatus.REQUIRES_ACTION else pi.next_action
    pi.last_payment_error = None  # "cleared if the PaymentIntent is later updated"
    after = _snapshot(session, pi)
    previous = {k: v for k, v in before.items() if after.get(k) != v}
    if previous:
        _event(session, tenant, pi, "payment_intent.updated", previous_attributes=previous)
    return pi


def confirm_intent(
    session: Session,
    tenant: Tenant,
    config: PaymentsConfig,
    pi_id: str,
    data: dict[str, Any],
    *,
    processors: Processors,
    publishable: bool = False,
) -> PaymentIntent:
    if publishable:
        pi = get_with_secret(session, tenant, pi_id, data.get("client_secret"), for_update=True)
    else:
        pi = get_owned(
            session, PaymentIntent, pi_id, tenant, name="payment_intent", for_update=True
        )
    check(PI_TRANSITIONS, pi, "confirm", label=LABEL)
    if data.get("payment_method"):
        pm = methods.resolve(session, tenant, config, data["payment_method"])
        _use_payment_method(pi, pm)
    elif pi.payment_method_id:
        pm = get_owned(session, PaymentMethod, pi.payment_method_id, tenant)
    else:
        raise InvalidRequest(
            "You cannot confirm this PaymentIntent because it's missing a payment method. "
            "Pass payment_method.",
            param="payment_method",
            code="payment_intent_unexpected_state",
        )
    if data.get("receipt_email"):
        pi.receipt_email = data["receipt_email"]
    _confirm_locked(
        session, tenant, config, pi, pm, processors, off_session=data.get("off_session")
    )
    return pi


def _confirm_locked(
    session: Session,
    tenant: Tenant,
    config: PaymentsConfig,
    pi: PaymentIntent,
    pm: PaymentMethod,
    processors: Processors,
    *,
    off_session: bool | None,
) -> None:
    if pm.type == "us_bank_account" and pi.capture_method == "manual":
        raise InvalidRequest(
            "capture_method=manual is not available for us_bank_account payments.",
            param="capture_method",
        )
    gateways = processors_for_payment(
        processors, tenant, pm, currency=pi.currency, on_behalf_of=pi.on_behalf_of
    )
    for processor in gateways[:1]:  # failover targets were checked when the rule was saved
        caps = processor.capabilities
        require_flow(processor, pi.currency in caps.currencies, f"take {pi.currency}", "currency")
        require_flow(
            processor,
            pi.capture_method != "manual" or caps.manual_capture,
            "hold funds for a later capture",
            "capture_method",
        )
        require_flow(
            processor,
            pm.type != "us_bank_account" or caps.bank_debit,
            "debit bank accounts",
            "payment_method",
        )
    pi.last_payment_error = None
    trigger = "confirm"
    for position, processor in enumerate(gateways):
        charge = _new_attempt(session, tenant, pi, pm, processor.name)
        if tenant.livemode:
            # Real money: the attempt is committed before the gateway is called, so a process
            # that dies during the call leaves a processing intent whose attempt the sweep
            # settles by asking the gateway (never a payment the hub has no record of, which
            # a retried confirm would charge again). The gateway call holds no lock either.
            move(PI_TRANSITIONS, pi, "confirm", PIStatus.PROCESSING, label=LABEL)
            session.commit()
            trigger = "settle"
        request = AuthorizeRequest(
            attempt_id=charge.id,
            amount=pi.amount,
            currency=pi.currency,
            source=methods.source_of(pm),
            capture=pi.capture_method != "manual",
            description=pi.description,
            return_url=f"{config.public_url}/payment/sandbox/3ds/{pi.id}",
            off_session=bool(off_session) and pm.set_up_off_session,
            metadata=dict(pi.metadata_),
        )
        try:
            result = attempts.authorize(processor, request)
        except attempts.ProcessingError as exc:
            if not _still_ours(session, pi, charge, trigger):
                raise
            _attempt_failed(session, tenant, pi, charge, exc)
            if trigger == "settle":
                move(PI_TRANSITIONS, pi, "release", PIStatus.REQUIRES_CONFIRMATION, label=LABEL)
            # Only a bank debit falls over, and only when the gateway certainly moved no
            # money (a card token means nothing at another gateway).
            if exc.retryable and pm.type == "us_bank_account" and position + 1 < len(gateways):
                continue
            raise
        break
    if not _still_ours(session, pi, charge, trigger):
        return  # the sweep settled this attempt while the gateway answered
    charge.processor_reference = result.reference
    if pi.setup_future_usage and pi.customer_id and pm.customer_id is None:
        methods.attach(session, tenant, pi.customer_id, pm.id)
    _apply(session, tenant, config, pi, charge, pm, result, trigger, raise_decline=True)


def _still_ours(session: Session, pi: PaymentIntent, charge: Charge, trigger: str) -> bool:
    """After a call made outside the transaction (live mode), lock the intent and its attempt
    again and check that nobody (the sweep) has recorded an outcome meanwhile."""
    if trigger != "settle":
        return True
    session.refresh(pi, with_for_update=True)
    session.refresh(charge, with_for_update=True)
    return pi.status == PIStatus.PROCESSING and charge.status == "pending" and not charge.outcome


def _new_attempt(
    session: Session, tenant: Tenant, pi: PaymentIntent, pm: PaymentMethod, processor: str
) -> Charge:
    """A new charge: in the session before the call, so it commits with the request whatever
    the processor does (its id is the processor's idempotency / reference key)."""
    charge = Charge(
        id=new_id("ch"),
        dealer_id=tenant.dealer_id,
        livemode=tenant.livemode,
        payment_intent_id=pi.id,
        payment_method_id=pm.id,
        amount=pi.amount,
        currency=pi.currency,
        status="pending",
        processor=processor,
    )
    add_charge(session, pi, charge)
    pi.latest_charge_id = charge.id
    return charge


def _attempt_failed(
    session: Session,
    tenant: Tenant,
    pi: PaymentIntent,
    charge: Charge,
    exc: attempts.ProcessingError,
) -> None:
    """The processor could not take the attempt (nothing happened there): the charge is
    recorded as failed and the intent keeps its payment method, so confirming again retries."""
    charge.status = "failed"
    charge.failure_code = exc.code
    charge.failure_message = exc.message
    pi.last_payment_error = {
        "type": exc.type,
        "code": exc.code,
        "message": exc.message,
        "charge": charge.id,
    }
    record_event(session, tenant, "charge.failed", CHARGE.dump(charge))


def _apply(
    session: Session,
    tenant: Tenant,
    config: PaymentsConfig,
    pi: PaymentIntent,
    charge: Charge,
    pm: PaymentMethod | None,
    result: ProcessorResult,
    trigger: str,
    *,
    raise_decline: bool,
) -> None:
    """Move the intent and its charge to what the processor answered, with events."""
    status = result.status
    charge.outcome = _outcome(result)
    if status == AttemptStatus.REQUIRES_ACTION:
        move(PI_TRANSITIONS, pi, trigger, PIStatus.REQUIRES_ACTION, label=LABEL)
        url = f"{config.public_url}/payment/sandbox/3ds/{pi.id}?client_secret={pi.client_secret}"
        pi.next_action = {
            "type": "redirect_to_url",
            "redirect_to_url": {"url": url, "return_url": None},
        }
        _event(session, tenant, pi, PI_EVENTS[PIStatus.REQUIRES_ACTION])
        return
    pi.next_action = None
    if status in (AttemptStatus.PROCESSING, AttemptStatus.PENDING, AttemptStatus.UNKNOWN):
        # Unknown outcomes are never guessed: they wait in processing for ``sync``.
        move(PI_TRANSITIONS, pi, trigger, PIStatus.PROCESSING, label=LABEL)
        _event(session, tenant, pi, PI_EVENTS[PIStatus.PROCESSING])
        _enqueue_settle(session, pi, config)
        return
    # A partial approval (the gateway approved less than asked) counts for what it approved.
    approved = result.amount if 0 < result.amount < charge.amount else charge.amount
    if status == AttemptStatus.AUTHORIZED:
        charge.status = "succeeded"
        pi.amount_capturable = approved
        pi.authorized_at = now()
        move(PI_TRANSITIONS, pi, trigger, PIStatus.REQUIRES_CAPTURE, label=LABEL)
        _event(session, tenant, pi, PI_EVENTS[PIStatus.REQUIRES_CAPTURE])
        return
    if status == AttemptStatus.SUCCEEDED:
        charge.status = "succeeded"
        charge.captured = True
        charge.amount_captured = approved
        pi.amount_received = approved
        pi.amount_capturable = 0
        move(PI_TRANSITIONS, pi, trigger, PIStatus.SUCCEEDED, label=LABEL)
        _event(session, tenant, pi, PI_EVENTS[PIStatus.SUCCEEDED])
        record_event(session, tenant, "charge.succeeded", CHARGE.dump(charge))
        return
    # Declined: the intent goes back to requires_payment_method with last_payment_error.
    charge.status = "failed"
    charge.failure_code = result.failure_code or "card_declined"
    charge.failure_message = result.message or "Your card was declined."
    error: dict[str, Any] = {
        "type": "card_error",
        "code": charge.failure_code,
        "decline_code": result.decline_code,
        "message": charge.failure_message,
        "charge": charge.id,
        "payment_method": PAYMENT_METHOD.dump(pm) if pm is not None else None,
    }
    pi.last_payment_error = error
    pi.payment_method_id = None
    move(PI_TRANSITIONS, pi, trigger, PIStatus.REQUIRES_PAYMENT_METHOD, label=LABEL)
    _event(session, tenant, pi, PI_EVENTS[PIStatus.REQUIRES_PAYMENT_METHOD])
    record_event(session, tenant, "charge.failed", CHARGE.dump(charge))
    if raise_decline:
        raise CardDeclined(
            charge.failure_message,
            code=charge.failure_code,
            decline_code=result.decline_code,
            charge=charge.id,
            payment_intent=PAYMENT_INTENT.dump(pi),
        )


def _outcome(result: ProcessorResult) -> dict[str, Any]:
    approved = result.status in (AttemptStatus.AUTHORIZED, AttemptStatus.SUCCEEDED)
    declined = result.status == AttemptStatus.DECLINED
    blocked = declined and result.decline_code == "fraudulent"
    if result.status == AttemptStatus.UNKNOWN:
        return {
            "network_status": None,
            "reason": result.failure_code,
            "risk_level": result.risk_level,
            "type": "unknown",
            "seller_message": result.message,
            "checks": {},
        }
    return {
        "network_status": result.network_status,
        "reason": result.decline_code if declined else None,
        "risk_level": result.risk_level,
        "type": "blocked"
        if blocked
        else "issuer_declined"
        if declined
        else "authorized"
        if approved
        else "pending",
        "seller_message": "Payment complete." if approved else result.message,
        "checks": dict(result.checks),
    }


def authenticate(
    session: Session,
    config: PaymentsConfig,
    pi_id: str,
    secret: str | None,
    success: bool,
    *,
    processors: Processors,
) -> PaymentIntent:
    """The sandbox 3-D Secure page's answer (public: the client secret is the credential)."""
    row = session.scalars(select(PaymentIntent).where(col(PaymentIntent.id) == pi_id)).first()
    if row is None or row.livemode or not secret_matches(row.client_secret, secret):
        raise NotFound(f"No such payment_intent: '{pi_id}'")
    tenant = Tenant(row.dealer_id, row.livemode)
    pi = get_owned(session, PaymentIntent, pi_id, tenant, for_update=True)
    check(PI_TRANSITIONS, pi, "authenticate", label=LABEL)
    charge = get_owned(session, Charge, pi.latest_charge_id or "", tenant, for_update=True)
    pm = session.get(PaymentMethod, charge.payment_method_id)
    result = attempts.complete_action(
        processors.named(tenant, charge.processor),
        charge.processor_reference or "",
        attempt_id=charge.id,
        success=success,
        capture=pi.capture_method != "manual",
    )
    if result.status in (AttemptStatus.AUTHORIZED, AttemptStatus.SUCCEEDED) and pm is not None:
        pm.set_up_off_session = pm.set_up_off_session or pi.setup_future_usage == "off_session"
    _apply(session, tenant, config, pi, charge, pm, result, "authenticate", raise_decline=False)
    return pi


def capture_intent(
    session: Session,
    tenant: Tenant,
    pi_id: str,
    amount_to_capture: int | None,
    *,
    processors: Processors,
) -> PaymentIntent:
    pi = get_owned(session, PaymentIntent, pi_id, tenant, name="payment_intent", for_update=True)
    check(PI_TRANSITIONS, pi, "capture", label=LABEL)
    amount = pi.amount_capturable if amount_to_capture is None else amount_to_capture
    if amount > pi.amount_capturable:
        raise InvalidRequest(
            f"amount_to_capture ({amount}) must be less than or equal to amount_capturable "
            f"({pi.amount_capturable}).",
            param="amount_to_capture",
            code="amount_too_large",
        )
    charge = get_owned(session, Charge, pi.latest_charge_id or "", tenant, for_update=True)
    processor = processors.named(tenant, charge.processor)
    require_flow(
        processor,
        amount == pi.amount_capturable or processor.capabilities.partial_capture,
        "capture part of an authorization",
        "amount_to_capture",
    )
    result = attempts.capture(
        processor, charge.processor_reference or "", amount, attempt_id=charge.id
    )
    _require_done(result, "capture", pi)
    charge.captured = True
    charge.amount_captured = result.amount or amount
    pi.amount_received = charge.amount_captured
    pi.amount_capturable = 0  # the rest of the hold is released
    move(PI_TRANSITIONS, pi, "capture", PIStatus.SUCCEEDED, label=LABEL)
    _event(session, tenant, pi, PI_EVENTS[PIStatus.SUCCEEDED])
    record_event(session, tenant, "charge.captured", CHARGE.dump(charge))
    return pi


def _require_done(result: ProcessorResult, verb: str, pi: PaymentIntent) -> None:
    """A capture or void must be confirmed by the processor before the intent moves. An
    unknown answer leaves everything as it was: the call is safe to repeat (the processor
    deduplicates it by the attempt id), so the client is told to try again."""
    if result.status == AttemptStatus.SUCCEEDED:
        return
    if result.status == AttemptStatus.UNKNOWN:
        raise attempts.ProcessingError(
            f"The processor did not confirm the {verb} of {pi.id}; nothing changed here. "
            "Try again: the processor recognises a repeated request.",
            retryable=True,
        )
    raise attempts.ProcessingError(
        f"The processor refused the {verb} of {pi.id}"
        + (f" ({result.failure_code})." if result.failure_code else "."),
        retryable=False,
    )


def cancel_intent(
    session: Session,
    tenant: Tenant,
    pi_id: str,
    reason: str | None,
    *,
    processors: Processors,
    trigger: str = "cancel",
) -> PaymentIntent:
    pi = get_owned(session, PaymentIntent, pi_id, tenant, name="payment_intent", for_update=True)
    check(PI_TRANSITIONS, pi, trigger, label=LABEL)
    if pi.latest_charge_id:
        charge = get_owned(session, Charge, pi.latest_charge_id, tenant, for_update=True)
        if pi.status == PIStatus.REQUIRES_CAPTURE:
            result = attempts.void(
                processors.named(tenant, charge.processor),
                charge.processor_reference or "",
                attempt_id=charge.id,
            )
            _require_done(result, "void", pi)
            record_event(
                session,
                tenant,
                "charge.expired" if trigger == "expire" else "charge.updated",
                CHARGE.dump(charge),
            )
        elif charge.status == "pending":
            charge.status = "failed"
            charge.failure_code = "payment_intent_canceled"
    pi.amount_capturable = 0
    pi.next_action = None
    pi.canceled_at = now()
    pi.cancellation_reason = reason
    move(PI_TRANSITIONS, pi, trigger, PIStatus.CANCELED, label=LABEL)
    _event(session, tenant, pi, PI_EVENTS[PIStatus.CANCELED])
    return pi


def settle(
    session: Session, config: PaymentsConfig, pi_id: str, *, processors: Processors
) -> PaymentIntent | None:
    """Background: ask the processor how a ``processing`` attempt ended (a bank debit, or an
    attempt whose answer never came). Idempotent."""
    row = session.get(PaymentIntent, pi_id)
    if row is None:
        return None
    tenant = Tenant(row.dealer_id, row.livemode)
    pi = get_owned(session, PaymentIntent, pi_id, tenant, for_update=True)
    if pi.status != PIStatus.PROCESSING:
        return pi  # already settled (a retried or duplicated task)
    charge = get_owned(session, Charge, pi.latest_charge_id or "", tenant, for_update=True)
    if not charge.outcome and charge.created > now() - IN_FLIGHT_SECONDS:
        # Committed before its gateway call and no answer recorded yet: the call may still
        # be in flight (a lookup now could miss it). Its process records the answer; if that
        # process died, a later sweep asks the gateway.
        return pi
    pm = session.get(PaymentMethod, charge.payment_method_id)
    result = attempts.sync(
        processors.named(tenant, charge.processor), charge.processor_reference, attempt_id=charge.id
    )
    if not attempts.settled(result):
        return pi  # still in flight; the sweep asks again
    charge.processor_reference = charge.processor_reference or result.reference
    if result.status == AttemptStatus.SUCCEEDED:
        result = ProcessorResult(AttemptStatus.SUCCEEDED, result.reference, pi.amount)
    _apply(session, tenant, config, pi, charge, pm, result, "settle", raise_decline=False)
    return pi
