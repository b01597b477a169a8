"""Background work of the billing area: finalize auto_advance drafts an hour after they were
made, pay invoices whose PaymentIntent succeeded after the request (3-D Secure, bank debits),
and deliver invoice e-mails."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery.schedules import crontab
from sqlalchemy.orm import Session

from dealerhub.billing import delivery, jobs, transitions
from dealerhub.connectors.base import ConnectorError
from dealerhub.connectors.mail.factory import mailer
from dealerhub.connectors.registry import Registry
from dealerhub.db import now
from dealerhub.errors import DealerhubError
from dealerhub.payments.common import PaymentsConfig, Processors
from dealerhub.tasks import enqueue_now, flask_app, register
from dealerhub.tenancy import Tenant

log = logging.getLogger(__name__)

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "billing-auto-advance": {
        "task": "dealerhub.billing.tasks.auto_advance_drafts",
        "schedule": crontab(minute="*/5"),
    },
    "billing-resend-pending-mail": {
        "task": "dealerhub.billing.tasks.resend_pending_mail",
        "schedule": crontab(minute="*/5"),
    },
    "billing-sync-payments": {
        "task": "dealerhub.billing.tasks.sync_payments",
        "schedule": crontab(minute="*"),
    },
}


def _config() -> PaymentsConfig:
    return PaymentsConfig.from_settings(flask_app().extensions["settings"])


def _processors(session: Session) -> Processors:
    registry: Registry = flask_app().extensions["connectors"]
    return registry.processors_for(session)


def _each(rows: list[tuple[str, str, bool]], work: Callable[[Session, Tenant, str], Any]) -> int:
    """Run ``work`` for each invoice in its own transaction: one failure (a decline is not
    one: it is recorded on the invoice) does not hold up the others."""
    db = flask_app().extensions["db"]
    done = 0
    for invoice_id, dealer_id, livemode in rows:
        try:
            with db.transaction() as session:
                work(session, Tenant(dealer_id, livemode), invoice_id)
            done += 1
        except DealerhubError as exc:
            log.warning("invoice %s: %s %s", invoice_id, type(exc).__name__, exc.code)
    return done


@register
def auto_advance_drafts() -> int:
    db = flask_app().extensions["db"]
    with db.transaction(write=False) as session:
        rows = transitions.auto_advance_due(session, now() - transitions.AUTO_ADVANCE_AFTER)

    def advance(session: Session, tenant: Tenant, invoice_id: str) -> None:
        transitions.auto_advance(
            session, tenant, invoice_id, processors=_processors(session), config=_config()
        )

    return _each(rows, advance)


@register
def sync_payments() -> int:
    db = flask_app().extensions["db"]
    with db.transaction(write=False) as session:
        rows = transitions.payments_to_sync(session)
    return _each(rows, transitions.sync_invoice)


@register
def send_invoice_email(email_id: str) -> str:
    """Deliver one invoice e-mail, at most once (see ``billing.delivery``); transient SMTP
    failures are retried by the task base class with backoff."""
    app = flask_app()
    db, settings = app.extensions["db"], app.extensions["settings"]
    with db.transaction() as session:
        message = delivery.claim(
            session, email_id, sender=settings.option("MAIL_FROM", "billing@localhost")
        )
    if message is None:
        return "skipped"
    try:
        mailer(settings).send(message)
    except ConnectorError as exc:
        with db.transaction() as session:
            delivery.record_failure(session, email_id, exc)
        log.warning("invoice e-mail %s: %s %s", email_id, type(exc).__name__, exc.vendor_code)
        if exc.retryable:
            raise
        return "failed"
    with db.transaction() as session:
        delivery.record_sent(session, email_id)
    return "sent"


@register
def resend_pending_mail() -> int:
    db = flask_app().extensions["db"]
    with db.transaction(write=False) as session:
        ids = delivery.stale_pending(session, now() - 300)
    return sum(enqueue_now(jobs.SEND_INVOICE_EMAIL, email_id) for email_id in ids)
