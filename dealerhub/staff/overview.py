"""What the desk's home page shows: today's money, invoices to chase, leads to call, sync
failures and integration health. Read-only queries over the other areas' tables; the
integration health is the configuration area's own report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from sqlmodel import col

from dealerhub.billing.models import Invoice
from dealerhub.configuration.health import configuration_health
from dealerhub.dms.models import Deal, Lead
from dealerhub.payments.models import PaymentIntent, Refund
from dealerhub.tenancy import Tenant, scoped

LIMIT = 20


@dataclass(frozen=True)
class Overview:
    payments: list[PaymentIntent]
    refunds: list[Refund]
    open_invoices: list[Invoice]
    overdue_invoices: list[Invoice]
    new_leads: list[Lead]
    sync_failures: list[Lead | Deal]
    integrations: list[dict[str, Any]]

    @property
    def certificate_warnings(self) -> list[dict[str, Any]]:
        return [i for i in self.integrations if i["status"] in ("expiring", "expired")]


def start_of_day(at: int, zone: ZoneInfo) -> int:
    local = dt.datetime.fromtimestamp(at, zone)
    return int(local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())


def overview(session: Session, tenant: Tenant, *, at: int, zone: ZoneInfo) -> Overview:
    since = start_of_day(at, zone)

    def newest(model: Any, *where: Any) -> list[Any]:
        stmt = scoped(model, tenant).where(*where).order_by(col(model.created).desc())
        return list(session.scalars(stmt.limit(LIMIT)).all())

    open_invoices = newest(Invoice, col(Invoice.status) == "open")
    failures = newest(Lead, col(Lead.sync_status).in_(("failed", "dead"))) + newest(
        Deal, col(Deal.sync_status).in_(("failed", "dead"))
    )
    return Overview(
        payments=newest(PaymentIntent, col(PaymentIntent.created) >= since),
        refunds=newest(Refund, col(Refund.created) >= since),
        open_invoices=[i for i in open_invoices if not (i.due_date and i.due_date < at)],
        overdue_invoices=[i for i in open_invoices if i.due_date and i.due_date < at],
        new_leads=newest(Lead, col(Lead.status) == "new"),
        sync_failures=failures,
        integrations=configuration_health(session, tenant)["integrations"],
    )
