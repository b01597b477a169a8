"""Background work: settle bank debits, pending refunds and attempts whose outcome was
unknown, cancel uncaptured intents after ``PAYMENTS_AUTO_CANCEL_DAYS`` (7), and sweep
anything whose settle task was lost."""

from __future__ import annotations

import logging
from typing import Any

from celery.schedules import crontab
from sqlalchemy.orm import Session
from sqlmodel import col, select

from dealerhub.connectors.registry import Registry
from dealerhub.db import now
from dealerhub.payments import jobs
from dealerhub.payments.common import PaymentsConfig, Processors
from dealerhub.payments.intents import cancel_intent, settle
from dealerhub.payments.models import PaymentIntent, Refund
from dealerhub.payments.refunds import settle_refund as settle_one_refund
from dealerhub.tasks import enqueue_now, flask_app, register
from dealerhub.tenancy import Tenant

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


def _config() -> PaymentsConfig:
    return PaymentsConfig.from_settings(flask_app().extensions["settings"])


def _processors(session: Session) -> Processors:
    registry: Registry = flask_app().extensions["connectors"]
    return registry.processors_for(session)


@register
def settle_payment(pi_id: str) -> str | None:
    with flask_app().extensions["db"].transaction() as session:
        pi = settle(session, _config(), pi_id, processors=_processors(session))
        return pi.status if pi else None


@register
def settle_refund(refund_id: str) -> str | None:
    with flask_app().extensions["db"].transaction() as session:
        refund = settle_one_refund(session, refund_id, processors=_processors(session))
        return refund.status if refund else None


@register
def expire_uncaptured() -> int:
    """Cancel (reason ``automatic``) intents authorized more than N days ago, one per
    transaction so one failure does not block the others."""
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
                    session,
                    Tenant(dealer_id, livemode),
                    pi_id,
                    "automatic",
                    processors=_processors(session),
                    trigger="expire",
                )
                count += pi.status == "canceled"
        except Exception:  # another request captured or canceled it meanwhile
            log.warning("could not auto-cancel %s", pi_id, exc_info=True)
    return count


@register
def sweep_processing() -> int:
    """Re-enqueue settle tasks for intents stuck in processing (bank debits, unknown
    outcomes) and for pending refunds: a lost broker message, or a processor that has not
    made up its mind yet. Without the refunds here a refund whose message was lost stayed
    pending for good."""
    db = flask_app().extensions["db"]
    cutoff = now() - 60
    with db.transaction(write=False) as session:
        ids = list(
            session.scalars(
                select(PaymentIntent.id).where(
                    col(PaymentIntent.status) == "processing",
                    col(PaymentIntent.created) < cutoff,
                )
            )
        )
        refund_ids = list(
            session.scalars(
                select(Refund.id).where(
                    col(Refund.status) == "pending", col(Refund.created) < cutoff
                )
            )
        )
    for pi_id in ids:
        enqueue_now(jobs.SETTLE_PAYMENT, pi_id)
    for refund_id in refund_ids:
        enqueue_now(jobs.SETTLE_REFUND, refund_id)
    return len(ids) + len(refund_ids)
