"""Background work: settle bank debits and pending refunds, cancel uncaptured intents after
``PAYMENTS_AUTO_CANCEL_DAYS`` (7), and sweep anything whose settle task was lost."""

from __future__ import annotations

import logging
from typing import Any

from celery.schedules import crontab
from sqlmodel import col, select

from dealerhub.db import now
from dealerhub.payments import webhooks  # registers the processor webhook handlers
from dealerhub.tasks import enqueue_after_commit, flask_app, register

__all__ = ["BEAT_SCHEDULE", "enqueue_after_commit", "webhooks"]

log = logging.getLogger(__name__)

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "payments-expire-uncaptured": {
        "task": "dealerhub.payments.tasks.expire_uncaptured",
        "schedule": crontab(minute="*/15"),
    },
    "payments-sweep-processing": {
        "task": "dealerhub.payments.tasks.sweep_processing",
        "schedule": crontab(minute="*/5"),
    },
}


def _config() -> Any:
    from dealerhub.payments.common import PaymentsConfig

    app = flask_app()
    return PaymentsConfig.from_settings(app.extensions["settings"])


@register
def settle_payment(pi_id: str) -> str | None:
    from dealerhub.payments.intents import settle

    with flask_app().extensions["db"].transaction() as session:
        pi = settle(session, _config(), pi_id)
        return pi.status if pi else None


@register
def settle_refund(refund_id: str) -> str | None:
    from dealerhub.payments.refunds import settle_refund as settle

    with flask_app().extensions["db"].transaction() as session:
        refund = settle(session, refund_id)
        return refund.status if refund else None


@register
def expire_uncaptured() -> int:
    """Cancel (reason ``automatic``) intents authorized more than N days ago, one per
    transaction so one failure does not block the others."""
    from dealerhub.payments.intents import cancel_intent
    from dealerhub.payments.models import PaymentIntent
    from dealerhub.tenancy import Tenant

    db = flask_app().extensions["db"]
    cutoff = now() - _config().auto_cancel_days * 86400
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(PaymentIntent.id, PaymentIntent.dealer_id, PaymentIntent.livemode).where(
                col(PaymentIntent.status) == "requires_capture",
                col(PaymentIntent.authorized_at) < cutoff,
            )
        ).all()
    count = 0
    for pi_id, dealer_id, livemode in rows:
        try:
            with db.transaction() as session:
                pi = cancel_intent(
                    session, Tenant(dealer_id, livemode), pi_id, "automatic", trigger="expire"
                )
                count += pi.status == "canceled"
        except Exception:  # another request captured or canceled it meanwhile
            log.warning("could not auto-cancel %s", pi_id, exc_info=True)
    return count


@register
def sweep_processing() -> int:
    """Re-enqueue settle tasks for intents stuck in processing (a lost broker message)."""
    from dealerhub.payments.models import PaymentIntent

    db = flask_app().extensions["db"]
    with db.transaction(write=False) as session:
        ids = list(
            session.scalars(
                select(PaymentIntent.id).where(
                    col(PaymentIntent.status) == "processing",
                    col(PaymentIntent.created) < now() - 60,
                )
            )
        )
    for pi_id in ids:
        settle_payment.apply_async(args=(pi_id,))
    return len(ids)
