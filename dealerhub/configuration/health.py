"""Credential status per integration, and the daily certificate-expiry notices."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from dealerhub.configuration.certificates import days_until_expiry
from dealerhub.configuration.models import Certificate
from dealerhub.configuration.schemas import CERTIFICATE_EVENT, CERTIFICATE_INFO
from dealerhub.configuration.service import certificate_row, resolved_config
from dealerhub.configuration.tree import get_path
from dealerhub.connectors.processors import routing
from dealerhub.connectors.processors.catalog import GATEWAYS
from dealerhub.db import now
from dealerhub.events.service import record_event
from dealerhub.payments.models import Charge
from dealerhub.tenancy import Tenant

INTEGRATIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "transunion",
        "credit_application.transunion",
        (
            "system_id",
            "system_password",
            "subscriber_code",
            "subscriber_prefix",
            "subscriber_password",
            "industry_code",
            "certificate_file",
            "certificate_password",
        ),
    ),
    (
        "dealer_track",
        "dealer_management_system.dealer_track.dms",
        ("api_url", "username", "password", "enterprise_code", "company_number"),
    ),
    ("fraud_identification", "fraud_identification", ("provider", "api_url", "api_key")),
    ("black_book", "trade_in.black_book", ("username", "password")),
    ("usps", "address_verification.usps", ("client_id", "client_secret")),
    ("pen", "pen", ("username", "password")),
)
EXPIRY_NOTICE_DAYS = (30, 14, 7, 1)
# Failure codes of attempts the gateway never answered (payments.attempts).
GATEWAY_ERRORS = ("processing_error", "processor_timeout")


def configuration_health(session: Session, tenant: Tenant) -> dict[str, Any]:
    tree = resolved_config(session, tenant)
    cert = certificate_row(session, tenant)
    items = []
    for name, path, required in INTEGRATIONS:
        node = get_path(tree, path) or {}
        missing = [f for f in required if not node.get(f)]
        status = "not_configured" if not node else "incomplete" if missing else "configured"
        item: dict[str, Any] = {
            "name": name,
            "path": path,
            "status": status,
            "missing_fields": missing,
            "certificate": None,
        }
        if name == "transunion" and cert is not None:
            item["certificate"] = CERTIFICATE_INFO.dump(cert)
            days = days_until_expiry(cert.not_after, now())
            if cert.not_after < now():
                item["status"] = "expired"
            elif days <= EXPIRY_NOTICE_DAYS[0] and status == "configured":
                item["status"] = "expiring"
        items.append(item)
    items.extend(gateway_health(session, tenant, tree))
    return {"object": "configuration_health", "livemode": tenant.livemode, "integrations": items}


def gateway_health(session: Session, tenant: Tenant, tree: dict[str, Any]) -> list[dict[str, Any]]:
    """Each payment gateway: configured or not, what is missing, and how its latest calls for
    this dealer went (read off the attempts themselves: a charge with the gateway's reference
    is a call that answered; a ``processing_error`` is one that did not)."""
    items = []
    for name, spec in GATEWAYS.items():
        block = routing.gateway_block(tree, name)
        missing = routing.missing_fields(spec, block)
        if not block:
            status = "not_configured"
        elif block.get("enabled") is False:
            status = "disabled"
        else:
            status = "incomplete" if missing else "configured"
        base = select(Charge.created).where(
            col(Charge.dealer_id) == tenant.dealer_id,
            col(Charge.livemode) == tenant.livemode,
            col(Charge.processor) == name,
        )
        last_ok = session.scalar(
            base.where(col(Charge.processor_reference).is_not(None))
            .order_by(col(Charge.created).desc())
            .limit(1)
        )
        last_error = session.execute(
            select(Charge.created, Charge.failure_code)
            .where(
                col(Charge.dealer_id) == tenant.dealer_id,
                col(Charge.livemode) == tenant.livemode,
                col(Charge.processor) == name,
                col(Charge.failure_code).in_(GATEWAY_ERRORS),
            )
            .order_by(col(Charge.created).desc())
            .limit(1)
        ).first()
        items.append(
            {
                "name": name,
                "path": f"{routing.GATEWAYS_KEY}.{name}",
                "status": status,
                "missing_fields": missing,
                "certificate": None,
                "environment": block.get("environment") or routing.environment_for(tenant.livemode),
                "last_success": last_ok,
                "last_error": last_error.created if last_error else None,
                "last_error_code": last_error.failure_code if last_error else None,
            }
        )
    return items


def notify_certificate_expiry(session: Session) -> int:
    """Record ``certificate.expiring`` at 30/14/7/1 days left and ``certificate.expired`` once
    after; the thresholds already announced are stored, so re-running is harmless."""
    at = now()
    count = 0
    rows = session.scalars(select(Certificate).where(col(Certificate.active)).with_for_update())
    for cert in rows:
        tenant = Tenant(cert.dealer_id, cert.livemode)
        if cert.not_after < at:
            if not cert.expired_notified:
                record_event(session, tenant, "certificate.expired", CERTIFICATE_EVENT.dump(cert))
                cert.expired_notified = True
                count += 1
        else:
            days = days_until_expiry(cert.not_after, at)
            due = [d for d in EXPIRY_NOTICE_DAYS if days <= d]
            if due and (cert.notified_days is None or min(due) < cert.notified_days):
                record_event(session, tenant, "certificate.expiring", CERTIFICATE_EVENT.dump(cert))
                cert.notified_days = min(due)
                count += 1
        session.add(cert)
    return count
