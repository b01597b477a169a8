"""The public objects (API responses and event snapshots). Nothing here holds a PAN, CVC or
processor token; client secrets appear only in intent objects, as in Stripe."""

from __future__ import annotations

from typing import Any

from dealerhub.payments.models import (
    Charge,
    ConnectedAccount,
    PaymentIntent,
    PaymentMethod,
    Refund,
    SetupIntent,
)


def _base(obj: Any, name: str) -> dict[str, Any]:
    return {"id": obj.id, "object": name, "created": obj.created, "livemode": obj.livemode}


def payment_method(pm: PaymentMethod) -> dict[str, Any]:
    out = _base(pm, "payment_method")
    out.update(
        type=pm.type,
        customer=pm.customer_id,
        billing_details=_billing(pm.billing_details),
        card=dict(pm.card) if pm.card else None,
        us_bank_account=dict(pm.us_bank_account) if pm.us_bank_account else None,
        metadata=dict(pm.metadata_),
    )
    return out


def _billing(details: dict[str, Any] | None) -> dict[str, Any]:
    details = details or {}
    address = details.get("address") or {}
    return {
        "address": {
            k: address.get(k) for k in ("line1", "line2", "city", "state", "postal_code", "country")
        },
        "email": details.get("email"),
        "name": details.get("name"),
        "phone": details.get("phone"),
    }


def charge(ch: Charge) -> dict[str, Any]:
    out = _base(ch, "charge")
    out.update(
        amount=ch.amount,
        amount_captured=ch.amount_captured,
        amount_refunded=ch.amount_refunded,
        currency=ch.currency,
        captured=ch.captured,
        paid=ch.status == "succeeded",
        refunded=ch.amount_captured > 0 and ch.amount_refunded == ch.amount_captured,
        status=ch.status,
        payment_intent=ch.payment_intent_id,
        payment_method=ch.payment_method_id,
        failure_code=ch.failure_code,
        failure_message=ch.failure_message,
        outcome=ch.outcome,
    )
    return out


def payment_intent(
    pi: PaymentIntent, charges: list[Charge], *, url_prefix: str = "/payment/charges"
) -> dict[str, Any]:
    out = _base(pi, "payment_intent")
    out.update(
        amount=pi.amount,
        amount_capturable=pi.amount_capturable,
        amount_received=pi.amount_received,
        application=None,
        canceled_at=pi.canceled_at,
        cancellation_reason=pi.cancellation_reason,
        capture_method=pi.capture_method,
        charges={
            "object": "list",
            "data": [charge(c) for c in charges],
            "has_more": False,
            "url": f"{url_prefix}?payment_intent={pi.id}",
        },
        client_secret=pi.client_secret,
        confirmation_method="automatic",
        currency=pi.currency,
        customer=pi.customer_id,
        description=pi.description,
        invoice=None,
        last_payment_error=pi.last_payment_error,
        latest_charge=pi.latest_charge_id,
        metadata=dict(pi.metadata_),
        next_action=pi.next_action,
        on_behalf_of=pi.on_behalf_of,
        payment_method=pi.payment_method_id,
        payment_method_options={"card": {"request_three_d_secure": "automatic"}},
        payment_method_types=list(pi.payment_method_types),
        receipt_email=pi.receipt_email,
        review=None,
        setup_future_usage=pi.setup_future_usage,
        shipping=pi.shipping,
        status=pi.status,
    )
    return out


def refund(r: Refund) -> dict[str, Any]:
    out = _base(r, "refund")
    out.update(
        amount=r.amount,
        charge=r.charge_id,
        currency=r.currency,
        payment_intent=r.payment_intent_id,
        reason=r.reason,
        status=r.status,
        failure_reason=r.failure_reason,
        metadata=dict(r.metadata_),
    )
    return out


def setup_intent(si: SetupIntent) -> dict[str, Any]:
    out = _base(si, "setup_intent")
    out.update(
        cancellation_reason=si.cancellation_reason,
        client_secret=si.client_secret,
        customer=si.customer_id,
        description=si.description,
        last_setup_error=si.last_setup_error,
        metadata=dict(si.metadata_),
        next_action=si.next_action,
        payment_method=si.payment_method_id,
        payment_method_types=list(si.payment_method_types),
        status=si.status,
        usage=si.usage,
    )
    return out


def account(acct: ConnectedAccount, currently_due: list[str]) -> dict[str, Any]:
    out = _base(acct, "account")
    details_submitted = not currently_due
    out.update(
        type=acct.type,
        country=acct.country,
        default_currency=acct.default_currency,
        email=acct.email,
        business_profile=acct.business_profile,
        company=acct.company,
        charges_enabled=details_submitted,
        payouts_enabled=details_submitted and acct.external_account is not None,
        details_submitted=details_submitted,
        requirements={
            "currently_due": currently_due,
            "disabled_reason": ("requirements.past_due" if currently_due else None),
        },
        external_accounts={
            "object": "list",
            "data": [acct.external_account] if acct.external_account else [],
            "has_more": False,
            "url": f"/payment/accounts/{acct.id}/external_accounts",
        },
        metadata=dict(acct.metadata_),
    )
    return out
